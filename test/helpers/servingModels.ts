// Tiny text-classification folders for the model server's tests: a BERT over
// the 25-token letter vocabulary of tinyModels.ts, optionally with an
// out-of-scope label and a saved fallback threshold, optionally exported to ONNX.
import * as path from "node:path";
import { tmpDir } from "./setup";
import { bert, tokenizer } from "./tinyModels";
import { exportOnnxFolder } from "../../lib/onnx";
import { setLogLevel } from "../../lib/utils/log";

/** Texts the tiny tokenizer reads (letters a–t). */
export const TINY_TEXTS = ["a b c", "d e", "f g h i j", "k", "l m n", "o p q r", "s t", "a a b", "c d e f", "g"];

/** Writes a tiny model folder; returns its path. */
export function tinyModelFolder(options: { labels?: string[]; oosThreshold?: number; onnx?: boolean; seed?: number } = {}): string {
  const dir = path.join(tmpDir("serve-model-"), "tiny-bert");
  const model = bert(options.seed ?? 3, options.labels);
  if (options.oosThreshold !== undefined) {
    (model.config as { task_specific_params?: object }).task_specific_params = { "text-classification": { oos_threshold: options.oosThreshold, oos_label: "oos", tuned_on: "validation" } };
  }
  const prev = setLogLevel("warn");
  try {
    if (options.onnx) exportOnnxFolder(model, tokenizer, dir);
    else model.savePretrained(dir);
    tokenizer.savePretrained(dir);
  } finally {
    setLogLevel(prev);
  }
  return dir;
}
