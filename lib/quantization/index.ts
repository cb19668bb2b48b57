// PyTorch-style quantization front ends (torch.quantization): dynamic quantization, quantization-aware training, the int8 matmul timing demo.
export * from "./dynamic";
export * from "./qat";
export * from "./matmulTiming";
