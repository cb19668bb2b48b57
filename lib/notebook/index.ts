export * from "./nbformat";
