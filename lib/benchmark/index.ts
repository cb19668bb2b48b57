export * from "./performanceBenchmark";
export * from "./store";
