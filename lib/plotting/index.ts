export * from "./figure";
export * from "./charts";
