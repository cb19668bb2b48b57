export * from "./loss";
export * from "./trainer";
export * from "./studentInit";
