import * as path from "node:path";
import { ClassLabel } from "./classLabel";
import { Dataset } from "./dataset";
import { IntentDataset, toIntentRow } from "./intents";
import { readJson } from "../utils/fs";
import { attachDataFingerprint, fileFingerprint } from "./fingerprint";

/**
 * The shipped copy of CLINC150 ("plus"), see data/clinc150/README.md.
 *
 * @example
 * loadClinc(CLINC_DIR); // the same as loadClinc(): "<repo>/data/clinc150"
 */
export const CLINC_DIR = path.resolve(__dirname, "..", "..", "data", "clinc150");

export interface DatasetDict {
  train: IntentDataset;
  validation: IntentDataset;
  test: IntentDataset;
}

type RawClinc = Record<"train" | "oos_train" | "val" | "oos_val" | "test" | "oos_test", [string, string][]>;

/**
 * Loads CLINC150 "plus" with the splits and label order of the Hugging Face
 * `clinc_oos` dataset: in-scope rows first, then the out-of-scope ones.
 *
 * @example
 * const clinc = loadClinc();
 * clinc.test.at(42); // { text: "transfer $100 from my checking to saving account", intent: 133 }
 * clinc.test.features.intent.int2str(133); // "transfer"
 */
export function loadClinc(dir: string = CLINC_DIR): DatasetDict {
  const names = readJson<string[]>(path.join(dir, "intents.json"), "CLINC150 label list");
  const raw = readJson<RawClinc>(path.join(dir, "data_oos_plus.json"), "CLINC150 data");
  const intent = new ClassLabel(names);
  const split = (inScope: keyof RawClinc, oos: keyof RawClinc): IntentDataset => {
    const rows = [...(raw[inScope] ?? []), ...(raw[oos] ?? [])];
    if (rows.length === 0) throw new Error(`loadClinc: split "${inScope}" is missing from ${dir}`);
    return new Dataset(
      rows.map(([text, label], i) => toIntentRow(text, label, intent, `CLINC150 ${inScope} row ${i}`)),
      { intent },
    );
  };
  const data = { train: split("train", "oos_train"), validation: split("val", "oos_val"), test: split("test", "oos_test") };
  return attachDataFingerprint(data, { files: { labels: fileFingerprint(path.join(dir, "intents.json")), data: fileFingerprint(path.join(dir, "data_oos_plus.json")) }, options: {} });
}
