export { ClassLabel } from "./classLabel";
export { Dataset, concatenateDatasets } from "./dataset";
export type { Features } from "./dataset";
export { loadClinc, CLINC_DIR } from "./clinc";
export type { DatasetDict } from "./clinc";
export { loadIntentDataset, parseCsv } from "./intents";
export type { IntentRow, IntentDataset } from "./intents";
