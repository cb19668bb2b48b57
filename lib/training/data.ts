import * as tf from "@tensorflow/tfjs-core";
import { Dataset } from "../data/dataset";
import { IntentRow } from "../data/intents";
import { BertTokenizer } from "../tokenizers";
import { Random } from "../utils/random";

/** A tokenized row, ready for a model: ids plus its label id (unused by masked-LM pretraining). */
export interface EncodedRow {
  input_ids: number[];
  label: number;
}

/**
 * Tokenizes an intent dataset (truncating to `maxLength`, [SEP] kept), as the
 * chapter's `clinc.map(tokenize_text, batched=True)`.
 *
 * @example
 * const encoded = tokenizeDataset(clinc.train, tokenizer, 64);
 * encoded.at(0).label === clinc.train.at(0).intent; // true; input_ids start with [CLS] and end with [SEP]
 */
export function tokenizeDataset(ds: Dataset<IntentRow>, tokenizer: BertTokenizer, maxLength = 64): Dataset<EncodedRow> {
  return ds.map((r) => ({ input_ids: tokenizer.encode(r.text, { maxLength }).input_ids, label: r.intent }));
}

/** A batch as tensors (int32): what `Trainer.computeLoss` receives. */
export interface TensorBatch {
  input_ids: tf.Tensor2D;
  attention_mask: tf.Tensor2D;
  token_type_ids: tf.Tensor2D;
  /** One label per row; for masked-LM batches, the original token at each masked position. */
  labels: tf.Tensor1D;
  /** Masked-LM batches: flat indices (row * seq + position) of the masked tokens. */
  masked_positions?: tf.Tensor1D;
}

/** What a batch collator does; workers rebuild one from its `options` (see `createCollator`). */
export interface DataCollator {
  readonly options: CollatorOptions;
  /** Whether the rows' `label` is used (false for masked-LM pretraining). */
  readonly usesLabels: boolean;
  /** Pads and builds the tensors; `rng` drives random masking (training batches). */
  call(rows: readonly EncodedRow[], rng?: Random): TensorBatch;
}

export type CollatorOptions = PaddingCollatorOptions | LanguageModelingCollatorOptions;

export interface PaddingCollatorOptions {
  kind?: "padding";
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
 *
 * @example
 * const collator = new DataCollatorWithPadding({ padTokenId: 0 });
 * collator.call([{ input_ids: [2, 7, 3], label: 1 }, { input_ids: [2, 3], label: 0 }]).input_ids.arraySync(); // [[2, 7, 3], [2, 3, 0]]
 */
export class DataCollatorWithPadding implements DataCollator {
  readonly usesLabels = true;
  constructor(readonly options: PaddingCollatorOptions) {}

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

export interface LanguageModelingCollatorOptions {
  kind: "mlm";
  padTokenId: number;
  maskTokenId: number;
  vocabSize: number;
  /** Share of ordinary tokens chosen for prediction (BERT: 0.15). */
  mlmProbability?: number;
  /** Ids never chosen nor drawn as random replacements ([PAD], [CLS], [SEP], [MASK], [UNK]). */
  specialIds: readonly number[];
  /** Masks of evaluation batches come from this seed, so evaluations compare across epochs. Default 0. */
  evalSeed?: number;
}

/**
 * Hugging Face's DataCollatorForLanguageModeling: pads, picks
 * `mlmProbability` of the ordinary tokens (at least one per batch), and
 * replaces 80% of them with [MASK], 10% with a random token and leaves 10%
 * unchanged; the labels are the original tokens at those positions, which
 * `masked_positions` lists (HF marks the others -100 instead; listing them
 * lets the model compute the vocabulary-sized logits for these alone).
 *
 * @example
 * const collator = new DataCollatorForLanguageModeling({ kind: "mlm", padTokenId: 0, maskTokenId: 103, vocabSize: 30522, specialIds: [0, 100, 101, 102, 103] });
 */
export class DataCollatorForLanguageModeling implements DataCollator {
  readonly usesLabels = false;
  readonly options: Required<LanguageModelingCollatorOptions>;
  private readonly ordinary: number[];

  constructor(options: LanguageModelingCollatorOptions) {
    this.options = { mlmProbability: 0.15, evalSeed: 0, ...options, kind: "mlm" };
    const p = this.options.mlmProbability;
    if (!(p > 0 && p < 1)) throw new Error(`DataCollatorForLanguageModeling: mlmProbability must be in (0, 1), got ${p}`);
    const special = new Set(options.specialIds);
    if (!special.has(options.maskTokenId)) special.add(options.maskTokenId);
    this.ordinary = Array.from({ length: options.vocabSize }, (_, i) => i).filter((i) => !special.has(i));
    if (this.ordinary.length === 0) throw new Error("DataCollatorForLanguageModeling: the vocabulary has no ordinary tokens");
  }

  call(rows: readonly EncodedRow[], rng?: Random): TensorBatch {
    if (rows.length === 0) throw new Error("DataCollatorForLanguageModeling: empty batch");
    const r = rng ?? new Random(this.options.evalSeed);
    const { padTokenId, maskTokenId, mlmProbability } = this.options;
    const special = new Set([...this.options.specialIds, maskTokenId, padTokenId]);
    const len = Math.max(...rows.map((row) => row.input_ids.length));
    const ids = new Int32Array(rows.length * len).fill(padTokenId);
    const mask = new Int32Array(rows.length * len);
    const positions: number[] = [];
    const labels: number[] = [];
    const candidates: number[] = [];
    rows.forEach((row, i) =>
      row.input_ids.forEach((id, j) => {
        const at = i * len + j;
        ids[at] = id;
        mask[at] = 1;
        if (special.has(id)) return;
        candidates.push(at);
        if (r.next() < mlmProbability) positions.push(at);
      }),
    );
    if (candidates.length === 0) throw new Error("DataCollatorForLanguageModeling: the batch has no ordinary tokens to mask");
    if (positions.length === 0) positions.push(candidates[r.int(candidates.length)]);
    for (const at of positions) {
      labels.push(ids[at]);
      const u = r.next();
      if (u < 0.8) ids[at] = maskTokenId;
      else if (u < 0.9) ids[at] = this.ordinary[r.int(this.ordinary.length)];
    }
    return {
      input_ids: tf.tensor2d(ids, [rows.length, len], "int32"),
      attention_mask: tf.tensor2d(mask, [rows.length, len], "int32"),
      token_type_ids: tf.zeros([rows.length, len], "int32") as tf.Tensor2D,
      labels: tf.tensor1d(labels, "int32"),
      masked_positions: tf.tensor1d(positions, "int32"),
    };
  }
}

/**
 * The collator a set of options describes (workers rebuild the Trainer's from its options).
 *
 * @example
 * createCollator({ padTokenId: 0 }); // a DataCollatorWithPadding
 * createCollator({ kind: "mlm", padTokenId: 0, maskTokenId: 103, vocabSize: 30522, specialIds: [0, 100, 101, 102, 103] }); // a DataCollatorForLanguageModeling
 */
export function createCollator(options: CollatorOptions): DataCollator {
  return options.kind === "mlm" ? new DataCollatorForLanguageModeling(options) : new DataCollatorWithPadding(options);
}

/**
 * Batches of indices for one epoch. With `groupByLength`, as HF's
 * LengthGroupedSampler: shuffle, cut into mega-batches of 50 batches, sort
 * each by length, split, then shuffle the batch order. Deterministic in seed.
 *
 * @example
 * epochBatches([5, 2, 9, 3, 7], 2, 0, false, false); // [[0, 1], [2, 3], [4]]
 * const batches = epochBatches(lengths, args.perDeviceTrainBatchSize, args.seed + epoch, args.groupByLength); // shuffled, seeded
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

/**
 * Batches sorted by length for inference (least padding); `order` maps back to row indices.
 *
 * @example
 * inferenceBatches([5, 2, 9, 3], 2); // [[1, 3], [0, 2]] (shortest rows first)
 */
export function inferenceBatches(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const batches: number[][] = [];
  for (let b = 0; b < order.length; b += batchSize) batches.push(order.slice(b, b + batchSize));
  return batches;
}

/**
 * The rows of a batch (`idx` into the dataset), each cut to `maxLength`
 * tokens keeping its final [SEP].
 *
 * @example batchRows(ds, [0, 5, 9], 64).map((r) => r.input_ids.length); // each ≤ 64
 */
export function batchRows(ds: Dataset<EncodedRow>, idx: readonly number[], maxLength: number): EncodedRow[] {
  return idx.map((i) => {
    const r = ds.rows[i];
    if (r.input_ids.length <= maxLength) return r;
    return { ...r, input_ids: [...r.input_ids.slice(0, maxLength - 1), r.input_ids[r.input_ids.length - 1]] };
  });
}
