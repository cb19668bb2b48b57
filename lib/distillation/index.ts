export * from "./loss";
export * from "./trainer";
export * from "./studentInit";
export * from "./compression";
export * from "./oosTargets";
