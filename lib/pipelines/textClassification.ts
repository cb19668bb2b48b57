import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../models/modeling";
import { ModelBatch, SequenceClassificationModel, maxSequenceLength } from "../models/sequenceClassification";
export type { ModelBatch } from "../models/sequenceClassification";
import { BertTokenizer } from "../tokenizers";
import { Callable } from "../utils/callable";
import { checkOptionKeys } from "../utils/options";

export interface ClassificationResult {
  label: string;
  /** The model's probability for this label. */
  score: number;
  /** Set on the out-of-scope row the fallback put first (its score is still the model's own probability for that label). */
  fallback?: true;
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
  /** Texts per forward pass when given a list. Default 32. */
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
 * [...TEXT_CLASSIFICATION_OPTIONS]; // ["topK", "oosThreshold", "oosLabel", "batchSize", "maxLength"]
 * checkOptionKeys({ topk: 3 }, TEXT_CLASSIFICATION_OPTIONS, "text-classification pipeline"); // throws: unknown option "topk" (did you mean "topK"?); …
 */
export const TEXT_CLASSIFICATION_OPTIONS = Object.freeze(["topK", "oosThreshold", "oosLabel", "batchSize", "maxLength"] as const);

/** What a pipeline needs to know about its model besides the labels. */
export interface PipelineModelLimits {
  /** The model's position embeddings (max_position_embeddings): inputs are truncated to at most this many tokens. */
  maxPositions?: number;
  /** Rows of the model's embedding table (vocab_size): the tokenizer's ids must stay below it. */
  vocabSize?: number;
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
 * array) and a model whose outputs id2label does not cover are errors.
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
  options: Required<Omit<TextClassificationOptions, "oosThreshold">> & { oosThreshold: number | null };

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
    const vocabSize = limits.vocabSize ?? positive(cfg.vocab_size);
    if (vocabSize !== undefined && tokenizer.vocabSize > vocabSize) {
      throw new Error(`${WHERE}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${vocabSize}; ids from ${vocabSize} up would index past its embedding table (use the tokenizer saved with the model)`);
    }
    const saved = isConfig ? savedOosFallback(config as { task_specific_params?: unknown }) : undefined;
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { topK: 1, oosLabel: saved?.oos_label ?? "oos", batchSize: 32, maxLength: Math.min(tokenizer.modelMaxLength, this.maxPositions ?? Infinity), oosThreshold: saved?.oos_threshold ?? null, ...defined };
    this.checkOptions(this.options);
  }

  private checkOptions(o: TextClassificationOptions): void {
    const n = this.numLabels;
    if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1 && o.topK <= n)) throw new Error(`${WHERE}: topK must be an integer in [1, ${n}], got ${o.topK}`);
    if (o.oosThreshold !== undefined && o.oosThreshold !== null && !(typeof o.oosThreshold === "number" && o.oosThreshold >= 0 && o.oosThreshold <= 1)) throw new Error(`${WHERE}: oosThreshold must be in [0, 1] (or null for no fallback), got ${o.oosThreshold}`);
    const threshold = o.oosThreshold !== undefined ? o.oosThreshold : this.options?.oosThreshold;
    const fallbackOn = threshold !== null && threshold !== undefined;
    const label = o.oosLabel ?? this.options?.oosLabel ?? "oos";
    if (fallbackOn && !Object.values(this.id2label).includes(label)) throw new Error(`${WHERE}: the fallback label "${label}" is not one of the model's labels (pass oosLabel, or oosThreshold: null for no fallback)`);
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
    inputs.forEach((t, i) => this.checkText(t, i));
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

  /** Logits, one row per text. */
  abstract _forward(batch: ModelBatch): Promise<Float32Array[]>;

  /** `_forward` with its output checked against id2label. */
  private async forward(texts: readonly string[], maxLength: number, offset: number): Promise<Float32Array[]> {
    const rows = await this._forward(this.preprocess(texts, maxLength, offset));
    if (rows.length !== texts.length) throw new Error(`${WHERE}: the model returned ${rows.length} rows for ${texts.length} texts`);
    const width = rows[0]?.length;
    if (width !== this.numLabels) throw new Error(`${WHERE}: the model outputs ${width} scores per text but id2label names ${this.numLabels} labels; the config does not describe this model`);
    return rows;
  }

  postprocess(logits: Float32Array, topK: number, oosThreshold: number | null, oosLabel: string): ClassificationResult[] {
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    let sum = 0;
    for (const v of logits) sum += Math.exp(v - max);
    // Top-k by selection (k is usually 1): no sort of all labels per query.
    const k = Math.min(logits.length, oosThreshold === null ? topK : topK + 1);
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
    if (oosThreshold !== null && ranked[0].score < oosThreshold && ranked[0].label !== oosLabel) {
      // The fallback row keeps the model's own probability for the fallback label.
      const id = Object.keys(this.id2label).find((key) => this.id2label[key] === oosLabel)!;
      const oosRow: ClassificationResult = { label: oosLabel, score: Math.exp(logits[Number(id)] - max) / sum, fallback: true };
      return [oosRow, ...ranked.filter((r) => r.label !== oosLabel)].slice(0, topK);
    }
    return ranked.slice(0, topK);
  }

  /** Raw logits, one row per text (batched), e.g. to tune the oos threshold on a validation set. */
  async logits(texts: readonly string[], options: { batchSize?: number } = {}): Promise<Float32Array[]> {
    checkOptionKeys(options, ["batchSize"], `${WHERE} logits()`);
    this.checkOptions(options);
    const batchSize = options.batchSize ?? this.options.batchSize;
    const { texts: list } = this.checkInputs(texts);
    const rows: Float32Array[] = [];
    for (let s = 0; s < list.length; s += batchSize) rows.push(...(await this.forward(list.slice(s, s + batchSize), this.options.maxLength, s)));
    return rows;
  }

  /** Classifies one text (→ results) or a list (→ one result list per text). */
  async _call(inputs: string | readonly string[], options: TextClassificationOptions = {}): Promise<ClassificationResult[] | ClassificationResult[][]> {
    checkOptionKeys(options, TEXT_CLASSIFICATION_OPTIONS, WHERE);
    this.checkOptions(options);
    const defined = Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
    const o = { ...this.options, ...defined } as typeof this.options;
    const { texts, single } = this.checkInputs(inputs);
    const results: ClassificationResult[][] = [];
    for (let s = 0; s < texts.length; s += o.batchSize) {
      const logits = await this.forward(texts.slice(s, s + o.batchSize), o.maxLength, s);
      for (const row of logits) results.push(this.postprocess(row, o.topK, o.oosThreshold, o.oosLabel));
    }
    return single ? results[0] : results;
  }

  dispose(): void {}
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
    super(tokenizer, model.config, options, { maxPositions: maxSequenceLength(model), vocabSize });
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

  override dispose(): void {
    this.model.dispose();
  }
}
