export * from "./scores";
export * from "./metrics";
export * from "./threshold";
export * from "./mahalanobis";
export * from "./knn";
export * from "./detector";
export * from "./fit";
