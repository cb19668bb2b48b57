export * from "./config";
export * from "./modeling";
export { BertForSequenceClassification } from "./bert";
export { DistilBertForSequenceClassification } from "./distilbert";
export { BertForMaskedLM } from "./bertForMaskedLM";
export { AutoModelForSequenceClassification, createModelFromConfig } from "./auto";
export * from "./safetensors";
