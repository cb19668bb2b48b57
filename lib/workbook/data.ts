import { DatasetDict, loadClinc } from "../data/clinc";

/**
 * The dataset the workbook runs on: CLINC150 unless WORKBOOK_DATA names a
 * folder of your own intent data (see README "Your own data").
 */
export function loadWorkbookData(folder = process.env.WORKBOOK_DATA): DatasetDict {
  if (!folder) return loadClinc();
  throw new Error(`WORKBOOK_DATA=${folder}: loading your own intent data is not available yet`);
}
