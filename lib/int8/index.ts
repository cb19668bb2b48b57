// The int8 core: quantized tensors, observers, fake quantization and the integer arithmetic, below ONNX and the PyTorch-style front ends.
export * from "./int8";
export * from "./qtensor";
export * from "./observer";
export * from "./fakeQuantize";
