export * from "./int8";
export * from "./qtensor";
export * from "./observer";
export * from "./fakeQuantize";
export * from "./dynamic";
export * from "./quantizedPipeline";
export * from "./qat";
export * from "./matmulTiming";
