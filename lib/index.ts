// The workbook's library, imported by the notebooks as "workbook" (see README: notebooks).
export * from "./backend";
export * from "./data";
export * from "./tokenizers";
export * from "./models";
export * from "./training";
export * from "./pipelines";
export * from "./benchmark";
export * from "./plotting";
export * from "./evaluation";
export { Random } from "./utils/random";
export { writeFileAtomic, writeJsonAtomic, readJson } from "./utils/fs";
export * from "./notebook";
export * from "./workbook";
export * from "./utils/log";
export * from "./onnx";
export * from "./quantization";
export * from "./distillation";
