import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../models/modeling";
import { ModelBatch, SequenceClassificationModel, maxSequenceLength } from "../models/sequenceClassification";
export type { ModelBatch } from "../models/sequenceClassification";
import { BertTokenizer } from "../tokenizers";
import { Callable } from "../utils/callable";
import { checkOptionKeys } from "../utils/options";
import { logger } from "../utils/log";
import { configFolder } from "../models/folder";
import { OosDetector, savedOosDetector } from "../oos/detector";
import { maxSoftmaxScore } from "../oos/scores";
import { argmax } from "../evaluation";

export interface ClassificationResult {
  label: string;
  /** The model's probability for this label. */
  score: number;
  /**
   * Set on the out-of-scope row the fallback put first: below the threshold,
   * or for a text the tokenizer cannot read at all (only [UNK] tokens). Its
   * score is still the model's own probability for that label.
   */
  fallback?: true;
  /**
   * With `withOosScore`, on each text's first result: how in scope the text
   * looks to the rule in use (the detector's score, or the top softmax
   * probability), −Infinity when the model predicts its out-of-scope label
   * or the text is unreadable. Higher = more in scope; what AUROC ranks.
   */
  oosScore?: number;
}

export interface TextClassificationOptions {
  /** How many labels to return per text, best first. Default 1. */
  topK?: number;
  /**
   * Out-of-scope fallback: when the best score is below this, the label
   * becomes `oosLabel` (the assistant "yields a fallback response").
   * Default: the threshold saved with the model (config.json
   * `task_specific_params["text-classification"].oos_threshold`, tuned on
   * validation by the recipes), if any; `null` turns it off for a call.
   */
  oosThreshold?: number | null;
  /** Default "oos". */
  oosLabel?: string;
  /**
   * Out-of-scope detector (softmax, energy, Mahalanobis or kNN; see
   * lib/oos): below its threshold the label becomes `oosLabel`. Default: the
   * detector saved with the model (config.json `task_specific_params["text-classification"].oos_detector`,
   * its tensors in oos_detector.safetensors), chosen on validation by the
   * recipes; `null` turns it off (the softmax `oosThreshold` rule applies).
   * Passing `oosThreshold` in a call uses the softmax rule for that call.
   */
  oosDetector?: OosDetector | null;
  /** Put the out-of-scope score on each text's first result (`oosScore`). Default false. */
  withOosScore?: boolean;
  /**
   * Texts per forward pass when given a list. Default 32. Any size is safe:
   * a batch is split further where the model could not hold it in memory
   * (see `rowsPerForward`), and the pipeline yields to the event loop
   * between forward passes.
   */
  batchSize?: number;
  /** Truncation length ([CLS] and [SEP] included). Default: the tokenizer's modelMaxLength, at most the model's position limit. */
  maxLength?: number;
}

/** The fallback settings a model folder carries (config.json `task_specific_params["text-classification"]`). */
export interface SavedOosFallback {
  oos_threshold: number;
  oos_label: string;
  /** Where the threshold was tuned (e.g. "validation"), for reports. */
  tuned_on?: string;
}

/**
 * The out-of-scope fallback saved in a config, if any (validated).
 *
 * @example
 * savedOosFallback(BertForSequenceClassification.fromPretrained("data/models/bert-clinc-teacher").config); // { oos_threshold: 0.2, oos_label: "oos", tuned_on: "validation" }
 * savedOosFallback({ task_specific_params: { "text-classification": { oos_threshold: 0.3 } } }); // { oos_threshold: 0.3, oos_label: "oos" }
 * savedOosFallback({}); // undefined (no fallback saved)
 */
export function savedOosFallback(config: object | undefined): SavedOosFallback | undefined {
  const saved = ((config as { task_specific_params?: unknown } | undefined)?.task_specific_params as Record<string, Partial<SavedOosFallback>> | undefined)?.["text-classification"];
  if (!saved || saved.oos_threshold === undefined) return undefined;
  if (!(typeof saved.oos_threshold === "number" && saved.oos_threshold >= 0 && saved.oos_threshold <= 1)) throw new Error(`config.json: task_specific_params["text-classification"].oos_threshold must be a number in [0, 1], got ${JSON.stringify(saved.oos_threshold)}`);
  return { oos_threshold: saved.oos_threshold, oos_label: saved.oos_label ?? "oos", ...(saved.tuned_on ? { tuned_on: saved.tuned_on } : {}) };
}


/** Callable signature of a text-classification pipeline. */
export interface TextClassificationPipelineCall {
  (inputs: string, options?: TextClassificationOptions): Promise<ClassificationResult[]>;
  (inputs: readonly string[], options?: TextClassificationOptions): Promise<ClassificationResult[][]>;
}

/**
 * The options a pipeline and each call accept (anything else is an error with a did-you-mean).
 *
 * @example
 * [...TEXT_CLASSIFICATION_OPTIONS]; // ["topK", "oosThreshold", "oosLabel", "oosDetector", "withOosScore", "batchSize", "maxLength"]
 * checkOptionKeys({ topk: 3 }, TEXT_CLASSIFICATION_OPTIONS, "text-classification pipeline"); // throws: unknown option "topk" (did you mean "topK"?); …
 */
export const TEXT_CLASSIFICATION_OPTIONS = Object.freeze(["topK", "oosThreshold", "oosLabel", "oosDetector", "withOosScore", "batchSize", "maxLength"] as const);

/** What a pipeline needs to know about its model besides the labels. */
export interface PipelineModelLimits {
  /** The model's position embeddings (max_position_embeddings): inputs are truncated to at most this many tokens. */
  maxPositions?: number;
  /** Rows of the model's embedding table (vocab_size): the tokenizer's ids must stay below it. */
  vocabSize?: number;
  /** Bytes one forward pass holds per input row of `seqLen` tokens. Default: `estimateForwardBytesPerRow(config, seqLen)`. */
  forwardBytesPerRow?: (seqLen: number) => number;
}

/**
 * The memory one forward pass may hold, in bytes (1 GiB): a quarter of what
 * the wasm backend can address (4 GiB). A batch whose activations would
 * exceed it is split (a 5,000-row batch of the BERT teacher needed ~25 GB and
 * crashed the backend with "memory access out of bounds", breaking every
 * later call).
 *
 * @example FORWARD_MEMORY_BUDGET / 2 ** 30; // 1
 */
export const FORWARD_MEMORY_BUDGET = 2 ** 30;

/**
 * Rows tokenized and run at once at most, whatever the memory estimate
 * allows: keeps the tokenizer's arrays (and its spread of row lengths) small.
 *
 * @example MAX_ROWS_PER_FORWARD; // 2048
 */
export const MAX_ROWS_PER_FORWARD = 2048;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * Bytes a TensorFlow.js forward pass holds per input row of `seqLen` tokens,
 * estimated from the model's config. `tf.tidy` keeps every intermediate
 * tensor until the pass ends; measured with `tf.profile` on the wasm backend
 * the peak is ~11–12 floats per (hidden + intermediate) unit per token per
 * layer (BERT teacher: 230 kB per token; DistilBERT: 120 kB), so the
 * estimate takes 16, plus 4 copies of the attention scores. A bag-of-words
 * model holds a few copies of its feature vector per row. Unknown configs
 * are taken as BERT-base (12 × 768 / 3072), which errs on the safe side.
 *
 * @example
 * estimateForwardBytesPerRow(teacher.config, 22); // 7332864 (4 layers, hidden 256, intermediate 1024, 4 heads)
 * estimateForwardBytesPerRow({ model_type: "bag-of-words", num_features: 11727, hidden_size: 256 }, 22); // 766912
 */
export function estimateForwardBytesPerRow(config: object | undefined, seqLen: number): number {
  const c = (config ?? {}) as Record<string, unknown>;
  if (c.model_type === "bag-of-words" && num(c.num_features)) return 4 * 16 * (num(c.num_features)! + (num(c.hidden_size) ?? 256));
  const hidden = num(c.hidden_size) ?? num(c.dim) ?? 768;
  const known = num(c.hidden_size) ?? num(c.dim);
  const layers = num(c.num_hidden_layers) ?? num(c.n_layers) ?? (known ? 1 : 12);
  const intermediate = num(c.intermediate_size) ?? num(c.hidden_dim) ?? 4 * hidden;
  const heads = num(c.num_attention_heads) ?? num(c.n_heads) ?? 12;
  return 4 * seqLen * layers * (16 * (hidden + intermediate) + 4 * heads * seqLen);
}

const WHERE = "text-classification pipeline";

/** Checks an id2label map: ids 0..n-1, each a distinct non-empty name. */
function checkId2Label(id2label: Record<string, string>): void {
  const n = Object.keys(id2label).length;
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = id2label[String(i)];
    if (typeof name !== "string" || name.length === 0) throw new Error(`${WHERE}: id2label has no label for id ${i} (ids must run from 0 to ${n - 1}; keys: ${Object.keys(id2label).slice(0, 5).join(", ")})`);
    if (seen.has(name)) throw new Error(`${WHERE}: id2label names "${name}" twice (ids ${seen.get(name)} and ${i})`);
    seen.set(name, i);
  }
}

/** Lets timers and I/O run between forward passes (a long list would otherwise block the event loop). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `text` for an error: quoted, at most 40 characters. */
function excerpt(text: string): string {
  const chars = [...text];
  return JSON.stringify(chars.length > 40 ? chars.slice(0, 40).join("") + "…" : text);
}

/** Rows from..to of a padded batch, trimmed to their own longest row (what tokenizing them alone would give). */
function sliceBatch(batch: ModelBatch, from: number, to: number): ModelBatch {
  let width = 0;
  for (let i = from; i < to; i++) {
    const mask = batch.attention_mask[i];
    let last = mask.length;
    while (last > 0 && mask[last - 1] === 0) last--;
    width = Math.max(width, last);
  }
  const rows = (m: number[][]) => m.slice(from, to).map((r) => r.slice(0, width));
  return { input_ids: rows(batch.input_ids), attention_mask: rows(batch.attention_mask), token_type_ids: rows(batch.token_type_ids) };
}

/** "U+200B, U+200D": the code points of a text that tokenizes to nothing, for the error. */
function codePoints(text: string): string {
  const cps = [...new Set([...text].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`))];
  return cps.slice(0, 4).join(", ") + (cps.length > 4 ? ", …" : "");
}

// Declaration merging: every pipeline instance is callable (see Callable).
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TextClassificationPipelineBase extends TextClassificationPipelineCall {}

/**
 * Base of text-classification pipelines: `preprocess` (tokenize), `_forward`
 * (model → logits), `postprocess` (softmax, top-k, oos fallback). The ONNX
 * pipeline overrides only `_forward`. Every option, input and output is
 * checked: unknown options, bad inputs (by their index in the caller's
 * array, a hole in a sparse array included) and a model whose outputs
 * id2label does not cover are errors.
 *
 * A text the tokenizer cannot read at all (every token [UNK], e.g. only
 * emoji, or one "word" longer than the tokenizer's 100 characters) is out
 * of scope: its first result is the out-of-scope label (`oosLabel`) with
 * `fallback: true`, whatever the threshold, when the model has that label;
 * a model without it cannot say so, and such a text is an error naming its
 * index. (`logits()` returns the model's raw rows for them.)
 *
 * Any batch size works: batches are split to fit the model's memory
 * (`rowsPerForward`), and a list yields to the event loop between forward
 * passes. After `dispose()` every call is an error.
 *
 * @example
 * class FixedPipeline extends TextClassificationPipelineBase { async _forward(b: ModelBatch) { return b.input_ids.map(() => Float32Array.of(2, 0)); } }
 * const pipe = new FixedPipeline(BertTokenizer.fromPretrained("data/models/bert-clinc-teacher"), { 0: "car_rental", 1: "oos" });
 * await pipe("rent a van in Paris"); // [{ label: "car_rental", score: 0.8807… }]
 */
export abstract class TextClassificationPipelineBase extends Callable {
  readonly task = "text-classification";
  readonly id2label: Record<string, string>;
  readonly numLabels: number;
  /** The model's position limit, when known: inputs are truncated to it. */
  readonly maxPositions?: number;
  options: Required<Omit<TextClassificationOptions, "oosThreshold" | "oosDetector">> & { oosThreshold: number | null; oosDetector: OosDetector | null };
  /** Bytes one forward pass may hold (default FORWARD_MEMORY_BUDGET); batches are split to stay under it. */
  forwardMemoryBudget = FORWARD_MEMORY_BUDGET;
  private readonly bytesPerRow: (seqLen: number) => number;
  private disposed = false;

  /**
   * `config` is the model's config (its `id2label` names the outputs, its
   * `max_position_embeddings` and `vocab_size` bound the inputs, and a saved
   * out-of-scope fallback becomes the default), or just an id2label map.
   */
  constructor(readonly tokenizer: BertTokenizer, config: { id2label?: Record<string, string>; task_specific_params?: unknown; max_position_embeddings?: unknown; vocab_size?: unknown } | Record<string, string> | undefined, options: TextClassificationOptions = {}, limits: PipelineModelLimits = {}) {
    super();
    checkOptionKeys(options, TEXT_CLASSIFICATION_OPTIONS, WHERE);
    const isConfig = !!config && typeof (config as { id2label?: unknown }).id2label === "object";
    const id2label = (isConfig ? (config as { id2label: Record<string, string> }).id2label : config) as Record<string, string> | undefined;
    if (!id2label || Object.keys(id2label).length === 0) {
      throw new Error(`${WHERE}: the model config has no id2label, so predictions cannot be named`);
    }
    checkId2Label(id2label);
    this.id2label = id2label;
    this.numLabels = Object.keys(id2label).length;
    const cfg = isConfig ? (config as { max_position_embeddings?: unknown; vocab_size?: unknown }) : {};
    const positive = (v: unknown) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : undefined);
    this.maxPositions = limits.maxPositions ?? positive(cfg.max_position_embeddings);
    this.bytesPerRow = limits.forwardBytesPerRow ?? ((seqLen) => estimateForwardBytesPerRow(isConfig ? (config as object) : undefined, seqLen));
    const vocabSize = limits.vocabSize ?? positive(cfg.vocab_size);
    if (vocabSize !== undefined && tokenizer.vocabSize > vocabSize) {
      throw new Error(`${WHERE}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${vocabSize}; ids from ${vocabSize} up would index past its embedding table (use the tokenizer saved with the model)`);
    }
    const saved = isConfig ? savedOosFallback(config as { task_specific_params?: unknown }) : undefined;
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { topK: 1, oosLabel: saved?.oos_label ?? "oos", batchSize: 32, maxLength: Math.min(tokenizer.modelMaxLength, this.maxPositions ?? Infinity), oosThreshold: saved?.oos_threshold ?? null, oosDetector: null, withOosScore: false, ...defined };
    this.checkOptions(this.options);
    this.savedDetectorConfig = isConfig ? (config as object) : undefined;
    this.explicitDetector = options.oosDetector !== undefined;
  }

  private savedDetectorConfig?: object;
  private savedDetectorResolved = false;

  /**
   * The detector saved with the model, loaded on first use (subclasses set up
   * their model after the base constructor, and only they know whether it
   * gives pooled features). One that needs features the model cannot give
   * (an ONNX file exported before pooled_output) is left out with a warning:
   * the softmax threshold applies.
   */
  private resolveSavedDetector(): void {
    if (this.savedDetectorResolved) return;
    this.savedDetectorResolved = true;
    if (this.options.oosDetector) this.checkDetector(this.options.oosDetector);
    const config = this.savedDetectorConfig;
    if (!config || this.explicitDetector) return;
    const saved = savedOosDetector(config);
    if (!saved) return;
    const dir = configFolder(config);
    let detector: OosDetector | undefined;
    if (!saved.file) detector = OosDetector.fromPretrained("", config);
    else if (dir) detector = OosDetector.fromPretrained(dir, config);
    else {
      logger.warn(`${WHERE}: the model's config names a ${saved.kind} out-of-scope detector saved in its folder, but this config was not loaded from a folder; pass { oosDetector: OosDetector.fromPretrained(dir) } to apply it (the softmax threshold applies)`);
      return;
    }
    if (detector?.needsFeatures && !this.givesFeatures()) {
      logger.warn(`${WHERE}: the saved ${detector.kind} out-of-scope detector reads the model's pooled features, which this model does not output (re-export the ONNX file to get a pooled_output); the softmax threshold applies`);
      return;
    }
    if (detector) {
      this.checkDetector(detector);
      this.options.oosDetector = detector;
    }
  }

  /** Set when the caller passed `oosDetector` to the constructor (the saved one is then not loaded). */
  private explicitDetector = false;

  /** Whether the model can return its pooled features (what Mahalanobis and kNN read). Subclasses that can override it. */
  givesFeatures(): boolean {
    return false;
  }

  /** Logits and pooled features of a batch, for models that give features (see `givesFeatures`). */
  async _forwardFeatures(_batch: ModelBatch): Promise<{ logits: Float32Array[]; features: Float32Array[] }> {
    throw new Error(`${WHERE}: this model gives no pooled features (out-of-scope detectors that read them cannot be used)`);
  }

  private checkDetector(d: OosDetector): void {
    if (!(d instanceof OosDetector)) throw new Error(`${WHERE}: oosDetector must be an OosDetector (from lib/oos) or null`);
    if (d.needsFeatures && !this.givesFeatures()) throw new Error(`${WHERE}: the ${d.kind} out-of-scope detector reads pooled features, which this model does not output`);
  }

  private checkOptions(o: TextClassificationOptions): void {
    const n = this.numLabels;
    if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1 && o.topK <= n)) throw new Error(`${WHERE}: topK must be an integer in [1, ${n}], got ${o.topK}`);
    if (o.oosThreshold !== undefined && o.oosThreshold !== null && !(typeof o.oosThreshold === "number" && o.oosThreshold >= 0 && o.oosThreshold <= 1)) throw new Error(`${WHERE}: oosThreshold must be in [0, 1] (or null for no fallback), got ${o.oosThreshold}`);
    const threshold = o.oosThreshold !== undefined ? o.oosThreshold : this.options?.oosThreshold;
    const fallbackOn = threshold !== null && threshold !== undefined;
    const label = o.oosLabel ?? this.options?.oosLabel ?? "oos";
    if (fallbackOn && !Object.values(this.id2label).includes(label)) throw new Error(`${WHERE}: the fallback label "${label}" is not one of the model's labels (pass oosLabel, or oosThreshold: null for no fallback)`);
    if (o.withOosScore !== undefined && typeof o.withOosScore !== "boolean") throw new Error(`${WHERE}: withOosScore must be true or false, got ${JSON.stringify(o.withOosScore)}`);
    if (o.oosDetector !== undefined && o.oosDetector !== null && !(o.oosDetector instanceof OosDetector)) throw new Error(`${WHERE}: oosDetector must be an OosDetector (from lib/oos) or null, got ${typeof o.oosDetector}`);
    if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new Error(`${WHERE}: batchSize must be a positive integer, got ${o.batchSize}`);
    if (o.maxLength !== undefined) {
      if (!(Number.isInteger(o.maxLength) && o.maxLength >= 3)) throw new Error(`${WHERE}: maxLength must be an integer >= 3 ([CLS], at least one token, [SEP]), got ${o.maxLength}`);
      if (this.maxPositions !== undefined && o.maxLength > this.maxPositions) throw new Error(`${WHERE}: maxLength ${o.maxLength} exceeds the model's ${this.maxPositions} positions (max_position_embeddings)`);
    }
  }

  /** The texts of a call: one string or an array of strings, each with some text (errors give the index in the caller's array). */
  private checkInputs(inputs: unknown): { texts: readonly string[]; single: boolean } {
    if (typeof inputs === "string") {
      this.checkText(inputs, 0);
      return { texts: [inputs], single: true };
    }
    if (!Array.isArray(inputs)) throw new Error(`${WHERE}: expected a string or an array of strings, got ${inputs === null ? "null" : typeof inputs}`);
    if (inputs.length === 0) throw new Error(`${WHERE}: the input array is empty`);
    // A for loop, not forEach: forEach skips the holes of a sparse array.
    for (let i = 0; i < inputs.length; i++) {
      if (!(i in inputs)) throw new Error(`${WHERE}: input ${i} is missing (the array has a hole at index ${i}, e.g. ["a", , "b"])`);
      this.checkText(inputs[i], i);
    }
    return { texts: inputs as string[], single: false };
  }

  private checkText(t: unknown, i: number): void {
    if (typeof t !== "string") throw new Error(`${WHERE}: input ${i} is ${t === null ? "null" : Array.isArray(t) ? "an array" : typeof t}, expected a string`);
    if (t.trim().length === 0) throw new Error(`${WHERE}: input ${i} is an empty string`);
  }

  /**
   * Tokenizes a batch; `offset` is the batch's first index in the caller's
   * array, so an error names the caller's index.
   */
  preprocess(texts: readonly string[], maxLength: number, offset = 0): ModelBatch {
    texts.forEach((t, i) => this.checkText(t, offset + i));
    const batch = this.tokenizer.call(texts, { maxLength, padding: "longest" });
    batch.attention_mask.forEach((mask, i) => {
      // [CLS] and [SEP] only: nothing the model could classify.
      if (mask.reduce((a, b) => a + b, 0) <= 2) throw new Error(`${WHERE}: input ${offset + i} has no text the tokenizer can read (only control, format or zero-width characters: ${codePoints(texts[i])}), like an empty string`);
    });
    return batch;
  }

  /**
   * Rows of a batch the tokenizer could not read: every token between [CLS]
   * and [SEP] is [UNK] (or another special token). Indices into the batch.
   */
  unreadableRows(batch: ModelBatch): number[] {
    const t = this.tokenizer;
    const special = new Set([t.unkTokenId, t.padTokenId, t.clsTokenId, t.sepTokenId, t.maskTokenId]);
    const out: number[] = [];
    batch.input_ids.forEach((ids, i) => {
      const mask = batch.attention_mask[i];
      if (!ids.some((id, j) => mask[j] === 1 && !special.has(id))) out.push(i);
    });
    return out;
  }

  /**
   * Rows one forward pass takes for inputs of `seqLen` tokens: as many as
   * keep the model's activations under `forwardMemoryBudget` (at least 1, at
   * most MAX_ROWS_PER_FORWARD).
   *
   * @example pipe.rowsPerForward(22); // 146 for the BERT teacher (1 GiB / 7.3 MB per row)
   */
  rowsPerForward(seqLen: number): number {
    const bytes = this.bytesPerRow(seqLen);
    return Math.max(1, Math.min(MAX_ROWS_PER_FORWARD, Number.isFinite(bytes) && bytes > 0 ? Math.floor(this.forwardMemoryBudget / bytes) : 1));
  }

  /** Logits, one row per text. */
  abstract _forward(batch: ModelBatch): Promise<Float32Array[]>;

  private checkNotDisposed(): void {
    if (this.disposed) throw new Error(`${WHERE}: this pipeline was disposed (its model was released by dispose()); create a new pipeline`);
  }

  /**
   * `_forward` over a tokenized batch, split into passes that fit in memory,
   * with each pass's output checked against id2label. `run.passes` counts the
   * passes of the whole call: every pass after its first is preceded by a
   * yield to the event loop.
   */
  private async forward(batch: ModelBatch, run: { passes: number }): Promise<Float32Array[]>;
  private async forward(batch: ModelBatch, run: { passes: number }, withFeatures: true): Promise<{ logits: Float32Array[]; features: Float32Array[] }>;
  private async forward(batch: ModelBatch, run: { passes: number }, withFeatures = false): Promise<Float32Array[] | { logits: Float32Array[]; features: Float32Array[] }> {
    const n = batch.input_ids.length;
    const seqLen = batch.input_ids[0]?.length ?? 0;
    const step = this.rowsPerForward(seqLen);
    if (step < n && run.passes === 0) logger.debug(`${WHERE}: ${n} rows of ${seqLen} tokens run as passes of ${step} rows (forwardMemoryBudget ${this.forwardMemoryBudget} bytes)`);
    const out: Float32Array[] = [];
    const features: Float32Array[] = [];
    for (let s = 0; s < n; s += step) {
      if (run.passes++ > 0) await yieldToEventLoop();
      this.checkNotDisposed();
      const part = step >= n ? batch : sliceBatch(batch, s, Math.min(n, s + step));
      const both = withFeatures ? await this._forwardFeatures(part) : undefined;
      const rows = both ? both.logits : await this._forward(part);
      const want = part.input_ids.length;
      if (rows.length !== want) throw new Error(`${WHERE}: the model returned ${rows.length} rows for ${want} texts`);
      if (both && both.features.length !== want) throw new Error(`${WHERE}: the model returned ${both.features.length} feature rows for ${want} texts`);
      const width = rows[0]?.length;
      if (width !== this.numLabels) throw new Error(`${WHERE}: the model outputs ${width} scores per text but id2label names ${this.numLabels} labels; the config does not describe this model`);
      for (const r of rows) out.push(r);
      if (both) for (const f of both.features) features.push(f);
    }
    return withFeatures ? { logits: out, features } : out;
  }

  /** The texts of a call in groups of at most `batchSize` (and MAX_ROWS_PER_FORWARD), tokenized. */
  private *batches(texts: readonly string[], batchSize: number, maxLength: number): Generator<{ offset: number; texts: readonly string[]; batch: ModelBatch }> {
    const size = Math.min(batchSize, MAX_ROWS_PER_FORWARD);
    for (let s = 0; s < texts.length; s += size) {
      const group = texts.slice(s, s + size);
      yield { offset: s, texts: group, batch: this.preprocess(group, maxLength, s) };
    }
  }

  /**
   * Softmax, top-k and the out-of-scope fallback of one row: the fallback
   * applies when the text is unreadable, when `outOfScope` says so (a
   * detector's verdict), or when the top probability is below `oosThreshold`.
   */
  postprocess(logits: Float32Array, topK: number, oosThreshold: number | null, oosLabel: string, unreadable = false, outOfScope = false): ClassificationResult[] {
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    let sum = 0;
    for (const v of logits) sum += Math.exp(v - max);
    // Top-k by selection (k is usually 1): no sort of all labels per query.
    const k = Math.min(logits.length, oosThreshold === null && !unreadable && !outOfScope ? topK : topK + 1);
    const best: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      if (best.length < k || logits[i] > logits[best[best.length - 1]]) {
        let at = best.length < k ? best.length : best.length - 1;
        best[at] = i;
        while (at > 0 && logits[best[at]] > logits[best[at - 1]]) {
          [best[at], best[at - 1]] = [best[at - 1], best[at]];
          at--;
        }
      }
    }
    const ranked = best.map((i) => ({ label: this.id2label[String(i)], score: Math.exp(logits[i] - max) / sum }));
    // A text the tokenizer cannot read at all is out of scope, whatever the model says about [UNK].
    if (unreadable || ((outOfScope || (oosThreshold !== null && ranked[0].score < oosThreshold)) && ranked[0].label !== oosLabel)) {
      // The fallback row keeps the model's own probability for the fallback label.
      const id = Object.keys(this.id2label).find((key) => this.id2label[key] === oosLabel)!;
      const oosRow: ClassificationResult = { label: oosLabel, score: Math.exp(logits[Number(id)] - max) / sum, fallback: true };
      return [oosRow, ...ranked.filter((r) => r.label !== oosLabel)].slice(0, topK);
    }
    return ranked.slice(0, topK);
  }

  /** Raw logits, one row per text (batched), e.g. to tune the oos threshold on a validation set. */
  async logits(texts: readonly string[], options: { batchSize?: number } = {}): Promise<Float32Array[]> {
    this.checkNotDisposed();
    checkOptionKeys(options, ["batchSize"], `${WHERE} logits()`);
    this.checkOptions(options);
    const batchSize = options.batchSize ?? this.options.batchSize;
    const { texts: list } = this.checkInputs(texts);
    const rows: Float32Array[] = [];
    const run = { passes: 0 };
    for (const { batch } of this.batches(list, batchSize, this.options.maxLength)) for (const r of await this.forward(batch, run)) rows.push(r);
    return rows;
  }

  /**
   * Logits and, when the model gives them, pooled features, one row per text:
   * what out-of-scope detectors are fitted on and scored from.
   *
   * @example
   * const { logits, features } = await pipe.outputs(validationTexts); // features: [n][hidden] (undefined for a model without them)
   */
  async outputs(texts: readonly string[], options: { batchSize?: number } = {}): Promise<{ logits: Float32Array[]; features?: Float32Array[] }> {
    this.checkNotDisposed();
    checkOptionKeys(options, ["batchSize"], `${WHERE} outputs()`);
    this.checkOptions(options);
    if (!this.givesFeatures()) return { logits: await this.logits(texts, options) };
    const batchSize = options.batchSize ?? this.options.batchSize;
    const { texts: list } = this.checkInputs(texts);
    const logits: Float32Array[] = [], features: Float32Array[] = [];
    const run = { passes: 0 };
    for (const { batch } of this.batches(list, batchSize, this.options.maxLength)) {
      const out = await this.forward(batch, run, true);
      for (let i = 0; i < out.logits.length; i++) {
        logits.push(out.logits[i]);
        features.push(out.features[i]);
      }
    }
    return { logits, features };
  }

  /** The out-of-scope detector calls apply by default (the saved one, or the constructor's), or null. */
  get oosDetector(): OosDetector | null {
    this.resolveSavedDetector();
    return this.options.oosDetector;
  }

  /** Classifies one text (→ results) or a list (→ one result list per text). */
  async _call(inputs: string | readonly string[], options: TextClassificationOptions = {}): Promise<ClassificationResult[] | ClassificationResult[][]> {
    this.checkNotDisposed();
    checkOptionKeys(options, TEXT_CLASSIFICATION_OPTIONS, WHERE);
    this.checkOptions(options);
    this.resolveSavedDetector();
    const defined = Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
    const o = { ...this.options, ...defined } as typeof this.options;
    // A threshold passed for this call asks for the softmax rule.
    const detector = "oosThreshold" in defined ? null : o.oosDetector;
    if (detector && detector !== this.options.oosDetector) this.checkDetector(detector);
    const { texts, single } = this.checkInputs(inputs);
    const hasOosLabel = Object.values(this.id2label).includes(o.oosLabel);
    const results: ClassificationResult[][] = [];
    const run = { passes: 0 };
    for (const { offset, texts: group, batch } of this.batches(texts, o.batchSize, o.maxLength)) {
      const unreadable = new Set(this.unreadableRows(batch));
      if (unreadable.size && !hasOosLabel) {
        const i = [...unreadable][0];
        throw new Error(`${WHERE}: input ${offset + i} has no token the tokenizer knows (${excerpt(group[i])} reads as [UNK] only); a text the tokenizer cannot read at all is out of scope, but this model has no "${o.oosLabel}" label to say so (pass oosLabel naming its out-of-scope label)`);
      }
      if (detector) {
        const out = detector.needsFeatures ? await this.forward(batch, run, true) : { logits: await this.forward(batch, run), features: undefined };
        out.logits.forEach((row, i) => {
          const score = detector.score(row, out.features?.[i]);
          const r = this.postprocess(row, o.topK, null, o.oosLabel, unreadable.has(i), hasOosLabel && detector.threshold !== null && score < detector.threshold);
          results.push(o.withOosScore ? this.withScore(r, unreadable.has(i) ? -Infinity : score, o.oosLabel) : r);
        });
      } else {
        const logits = await this.forward(batch, run);
        logits.forEach((row, i) => {
          const r = this.postprocess(row, o.topK, o.oosThreshold, o.oosLabel, unreadable.has(i));
          results.push(o.withOosScore ? this.withScore(r, unreadable.has(i) ? -Infinity : maxSoftmaxScore(row), o.oosLabel, row) : r);
        });
      }
    }
    return single ? results[0] : results;
  }

  /** Results with `oosScore` on the first row (−Infinity when the model's own top label is the out-of-scope one). */
  private withScore(results: ClassificationResult[], score: number, oosLabel: string, logits?: Float32Array): ClassificationResult[] {
    if (logits && this.id2label[String(argmax(logits))] === oosLabel) score = -Infinity;
    return [{ ...results[0], oosScore: score }, ...results.slice(1)];
  }

  /** Releases the model (or session); every later call is an error. Calling it again does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseModel();
  }

  /** What dispose() releases: the model or session of a subclass. */
  protected releaseModel(): void {}
}


/**
 * Text classification with one of our TensorFlow.js models (a transformer, the bag-of-words baseline, an ensemble).
 *
 * @example
 * const pipe = new TextClassificationPipeline(BertForSequenceClassification.fromPretrained(dir), BertTokenizer.fromPretrained(dir), { topK: 3 }); // dir = "data/models/bert-clinc-teacher"
 * await pipe("Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van"); // [{ label: "car_rental", score: 0.92… }, { label: "book_flight", … }, { label: "jump_start", … }]
 * await pipe(["how do I transfer money to my savings account", "what is the meaning of life"], { topK: 1 }); // [[{ label: "transfer", … }], [{ label: "meaning_of_life", … }]]
 */
export class TextClassificationPipeline<M extends SequenceClassificationModel = PreTrainedModel> extends TextClassificationPipelineBase {
  constructor(readonly model: M, tokenizer: BertTokenizer, options: TextClassificationOptions = {}) {
    const vocabSize = (model as { spec?: { vocabSize?: number } }).spec?.vocabSize;
    super(tokenizer, model.config, options, { maxPositions: maxSequenceLength(model), vocabSize, forwardBytesPerRow: (seqLen) => modelBytesPerRow(model, seqLen) });
  }

  async _forward(batch: ModelBatch): Promise<Float32Array[]> {
    const logits = tf.tidy(() =>
      this.model.call({
        input_ids: tf.tensor2d(batch.input_ids, undefined, "int32"),
        attention_mask: tf.tensor2d(batch.attention_mask, undefined, "int32"),
        token_type_ids: tf.tensor2d(batch.token_type_ids, undefined, "int32"),
      }).logits,
    );
    const flat = logits.dataSync() as Float32Array;
    const width = logits.shape[1];
    logits.dispose();
    return batch.input_ids.map((_, i) => flat.slice(i * width, (i + 1) * width));
  }

  /** Transformers give the classifier's input; the bag of words and ensembles do not. */
  override givesFeatures(): boolean {
    return this.model instanceof PreTrainedModel && !!this.model.scheme.headDense;
  }

  override async _forwardFeatures(batch: ModelBatch): Promise<{ logits: Float32Array[]; features: Float32Array[] }> {
    if (!this.givesFeatures()) return super._forwardFeatures(batch);
    const model = this.model as unknown as PreTrainedModel;
    const [logits, pooled] = tf.tidy(() => {
      const out = model.call(
        {
          input_ids: tf.tensor2d(batch.input_ids, undefined, "int32"),
          attention_mask: tf.tensor2d(batch.attention_mask, undefined, "int32"),
          token_type_ids: tf.tensor2d(batch.token_type_ids, undefined, "int32"),
        },
        { outputPooledOutput: true },
      );
      return [out.logits, out.pooledOutput!];
    });
    const rows = (t: tf.Tensor2D) => {
      const flat = t.dataSync() as Float32Array;
      const width = t.shape[1];
      t.dispose();
      return batch.input_ids.map((_, i) => flat.slice(i * width, (i + 1) * width));
    };
    return { logits: rows(logits), features: rows(pooled) };
  }

  protected override releaseModel(): void {
    this.model.dispose();
  }
}

/** A model's forward bytes per row: an ensemble's members run in the same pass, so theirs add up. */
function modelBytesPerRow(model: SequenceClassificationModel, seqLen: number): number {
  const members = (model as { members?: readonly SequenceClassificationModel[] }).members;
  if (Array.isArray(members) && members.length > 0) return members.reduce((a, m) => a + modelBytesPerRow(m, seqLen), 0);
  return estimateForwardBytesPerRow(model.config, seqLen);
}
