import * as tf from "@tensorflow/tfjs-core";
import { Dataset } from "../data/dataset";
import { IntentRow } from "../data/intents";
import { BertTokenizer } from "../tokenizers";
import { Random } from "../utils/random";

/** A tokenized row, ready for a model: ids plus its label id. */
export interface EncodedRow {
  input_ids: number[];
  label: number;
}

/**
 * Tokenizes an intent dataset (truncating to `maxLength`, [SEP] kept), as the
 * chapter's `clinc.map(tokenize_text, batched=True)`.
 */
export function tokenizeDataset(ds: Dataset<IntentRow>, tokenizer: BertTokenizer, maxLength = 64): Dataset<EncodedRow> {
  return ds.map((r) => ({ input_ids: tokenizer.encode(r.text, { maxLength }).input_ids, label: r.intent }));
}

/** A batch as tensors (int32): what `Trainer.computeLoss` receives. */
export interface TensorBatch {
  input_ids: tf.Tensor2D;
  attention_mask: tf.Tensor2D;
  token_type_ids: tf.Tensor2D;
  labels: tf.Tensor1D;
}

export interface CollatorOptions {
  padTokenId: number;
  /** Augmentation: during training, replace each ordinary token with `maskTokenId` with this probability. */
  tokenMaskProb?: number;
  maskTokenId?: number;
  /** Ids never masked ([CLS], [SEP], [PAD]). */
  specialIds?: readonly number[];
}

/**
 * Pads a list of rows to the longest one (dynamic padding, like HF's
 * DataCollatorWithPadding) and builds the tensors.
 */
export class DataCollatorWithPadding {
  constructor(readonly options: CollatorOptions) {}

  call(rows: readonly EncodedRow[], augment?: Random): TensorBatch {
    if (rows.length === 0) throw new Error("DataCollatorWithPadding: empty batch");
    const { padTokenId, tokenMaskProb = 0, maskTokenId, specialIds = [] } = this.options;
    const special = new Set(specialIds);
    const len = Math.max(...rows.map((r) => r.input_ids.length));
    const ids = new Int32Array(rows.length * len).fill(padTokenId);
    const mask = new Int32Array(rows.length * len);
    rows.forEach((r, i) => {
      r.input_ids.forEach((id, j) => {
        const masked = augment && tokenMaskProb > 0 && maskTokenId !== undefined && !special.has(id) && augment.next() < tokenMaskProb;
        ids[i * len + j] = masked ? maskTokenId! : id;
        mask[i * len + j] = 1;
      });
    });
    return {
      input_ids: tf.tensor2d(ids, [rows.length, len], "int32"),
      attention_mask: tf.tensor2d(mask, [rows.length, len], "int32"),
      token_type_ids: tf.zeros([rows.length, len], "int32") as tf.Tensor2D,
      labels: tf.tensor1d(rows.map((r) => r.label), "int32"),
    };
  }
}

/**
 * Batches of indices for one epoch. With `groupByLength`, as HF's
 * LengthGroupedSampler: shuffle, cut into mega-batches of 50 batches, sort
 * each by length, split, then shuffle the batch order. Deterministic in seed.
 */
export function epochBatches(lengths: readonly number[], batchSize: number, seed: number, groupByLength: boolean, shuffle = true): number[][] {
  const rng = new Random(seed);
  const order = shuffle ? rng.permutation(lengths.length) : lengths.map((_, i) => i);
  const batches: number[][] = [];
  if (groupByLength) {
    const mega = batchSize * 50;
    for (let s = 0; s < order.length; s += mega) {
      const chunk = order.slice(s, s + mega).sort((a, b) => lengths[b] - lengths[a]);
      for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
    }
    if (shuffle) return rng.permutation(batches.length).map((i) => batches[i]);
    return batches;
  }
  for (let b = 0; b < order.length; b += batchSize) batches.push(order.slice(b, b + batchSize));
  return batches;
}

/** Batches sorted by length for inference (least padding); `order` maps back to row indices. */
export function inferenceBatches(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const batches: number[][] = [];
  for (let b = 0; b < order.length; b += batchSize) batches.push(order.slice(b, b + batchSize));
  return batches;
}
