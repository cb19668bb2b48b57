export * from "./nbformat";
export * from "./outputs";
export * from "./protocol";
export * from "./kernelspec";
export * from "./kernelManager";
export * from "./client";
export * from "./notebookClient";
export * from "./runner";
