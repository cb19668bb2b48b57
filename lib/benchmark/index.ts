export * from "./performanceBenchmark";
