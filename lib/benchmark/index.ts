export * from "./performanceBenchmark";
export * from "./store";
export * from "./onnxPerformanceBenchmark";
export * from "./plotMetrics";
