export * from "./graphBuilder";
export * from "./export";
export * from "./session";
export * from "./quantize";
export * from "./folder";
export * from "./graphUtils";
export * from "./calibration";
export * from "./model";
