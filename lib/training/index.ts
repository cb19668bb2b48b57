export * from "./trainingArguments";
export * from "./optimizer";
export * from "./data";
export * from "./callbacks";
export * from "./trainer";
export * from "./hyperparameterSearch";
