export * from "./batcher";
export * from "./metrics";
export * from "./server";
export * from "./serve";
export * from "./loadTest";
