import * as ort from "onnxruntime-node";
import { BertTokenizer } from "../../tokenizers";
import { batchFeeds } from "../session";

/** Model inputs for one calibration run, by graph input name. */
export type CalibrationFeeds = Record<string, ort.Tensor>;

/**
 * ONNX Runtime's `CalibrationDataReader`: `getNext()` gives the feeds of
 * one run, then null (or undefined) when the data is exhausted.
 *
 * @example
 * class MyReader implements CalibrationDataReader {
 *   getNext() { return this.batches.shift() ?? null; }
 * }
 */
export interface CalibrationDataReader {
  getNext(): CalibrationFeeds | null | undefined;
}

/** Options of `TextCalibrationDataReader`. */
export interface TextCalibrationDataReaderOptions {
  /** Texts per run. Default 1: each query alone, unpadded, as at inference time. */
  batchSize?: number;
  /** Truncation length. Default: the tokenizer's modelMaxLength. */
  maxLength?: number;
}

/**
 * A calibration reader over texts (e.g. validation queries): tokenizes
 * `batchSize` texts per run into int64 `input_ids`, `attention_mask` and
 * `token_type_ids` (the calibrator keeps those the model takes).
 *
 * @example
 * const reader = new TextCalibrationDataReader(tokenizer, clinc.validation.column("text").slice(0, 500));
 * await quantizeStatic("model.onnx", "model_static.onnx", reader);
 */
export class TextCalibrationDataReader implements CalibrationDataReader {
  private next = 0;
  readonly batchSize: number;

  constructor(readonly tokenizer: BertTokenizer, readonly texts: readonly string[], readonly options: TextCalibrationDataReaderOptions = {}) {
    const known = new Set(["batchSize", "maxLength"]);
    for (const k of Object.keys(options)) if (!known.has(k)) throw new Error(`TextCalibrationDataReader: unknown option "${k}" (known: ${[...known].join(", ")})`);
    this.batchSize = options.batchSize ?? 1;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new Error(`TextCalibrationDataReader: batchSize must be a positive integer, got ${options.batchSize}`);
    texts.forEach((t, i) => {
      if (typeof t !== "string" || !t.trim()) throw new Error(`TextCalibrationDataReader: text ${i} is ${typeof t === "string" ? "empty" : typeof t}, expected a non-empty string`);
    });
  }

  getNext(): CalibrationFeeds | null {
    if (this.next >= this.texts.length) return null;
    const batch = this.texts.slice(this.next, this.next + this.batchSize);
    this.next += batch.length;
    const enc = this.tokenizer.call(batch, { maxLength: this.options.maxLength ?? this.tokenizer.modelMaxLength, padding: "longest" });
    return batchFeeds(enc, ["input_ids", "attention_mask", "token_type_ids"]);
  }

  /** Starts again from the first text. */
  rewind(): void {
    this.next = 0;
  }
}
