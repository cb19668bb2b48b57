export * from "./dataReader";
export * from "./histogram";
export * from "./calibrator";
