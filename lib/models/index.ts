export * from "./config";
export * from "./modeling";
export { BertForSequenceClassification } from "./bert";
export { DistilBertForSequenceClassification } from "./distilbert";
export { AutoModelForSequenceClassification, createModelFromConfig } from "./auto";
export * from "./safetensors";
