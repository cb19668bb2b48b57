export * from "./graphBuilder";
export * from "./export";
export * from "./session";
export * from "./onnxPipeline";
export * from "./quantize";
export * from "./folder";
export * from "./graphUtils";
export * from "./calibration";
