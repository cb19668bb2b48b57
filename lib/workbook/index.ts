// The workbook's own helpers: profiles, the recipes behind the shipped
// models, where models and outputs live, the final report, printSource.
export * from "./profile";
export * from "./hub";
export * from "./recipes";
export * from "./report";
export * from "./printSource";
export * from "./data";
export * from "./dataFacts";
export * from "./models";
export * from "./pruningRecipe";
export * from "./evidence";
export * from "./baselineRecipe";
export * from "./oosRecipe";
export * from "./chapter";
export * from "./cells";
export * from "./searchPlan";
