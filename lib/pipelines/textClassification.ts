import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../models/modeling";
import { SequenceClassificationModel, maxSequenceLength } from "../models/sequenceClassification";
import { BertTokenizer } from "../tokenizers";
import { Callable } from "../utils/callable";

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
  /** Truncation length. Default: the tokenizer's modelMaxLength. */
  maxLength?: number;
}

/** The fallback settings a model folder carries (config.json `task_specific_params["text-classification"]`). */
export interface SavedOosFallback {
  oos_threshold: number;
  oos_label: string;
  /** Where the threshold was tuned (e.g. "validation"), for reports. */
  tuned_on?: string;
}

/** The out-of-scope fallback saved in a config, if any (validated). */
export function savedOosFallback(config: { task_specific_params?: unknown } | undefined): SavedOosFallback | undefined {
  const saved = (config?.task_specific_params as Record<string, Partial<SavedOosFallback>> | undefined)?.["text-classification"];
  if (!saved || saved.oos_threshold === undefined) return undefined;
  if (!(typeof saved.oos_threshold === "number" && saved.oos_threshold >= 0 && saved.oos_threshold <= 1)) throw new Error(`config.json: task_specific_params["text-classification"].oos_threshold must be a number in [0, 1], got ${JSON.stringify(saved.oos_threshold)}`);
  return { oos_threshold: saved.oos_threshold, oos_label: saved.oos_label ?? "oos", ...(saved.tuned_on ? { tuned_on: saved.tuned_on } : {}) };
}

/** What a pipeline's model stage consumes: padded ids and masks. */
export interface ModelBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
}

/** Callable signature of a text-classification pipeline. */
export interface TextClassificationPipelineCall {
  (inputs: string, options?: TextClassificationOptions): Promise<ClassificationResult[]>;
  (inputs: readonly string[], options?: TextClassificationOptions): Promise<ClassificationResult[][]>;
}

// Declaration merging: every pipeline instance is callable (see Callable).
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TextClassificationPipelineBase extends TextClassificationPipelineCall {}

/**
 * Base of text-classification pipelines: `preprocess` (tokenize), `_forward`
 * (model → logits), `postprocess` (softmax, top-k, oos fallback). The ONNX
 * pipeline overrides only `_forward`.
 */
export abstract class TextClassificationPipelineBase extends Callable {
  readonly task = "text-classification";
  readonly id2label: Record<string, string>;
  options: Required<Omit<TextClassificationOptions, "oosThreshold">> & { oosThreshold: number | null };

  /**
   * `config` is the model's config (its `id2label` names the outputs, and a
   * saved out-of-scope fallback becomes the default), or just an id2label map.
   */
  constructor(readonly tokenizer: BertTokenizer, config: { id2label?: Record<string, string>; task_specific_params?: unknown } | Record<string, string> | undefined, options: TextClassificationOptions = {}) {
    super();
    const isConfig = !!config && typeof (config as { id2label?: unknown }).id2label === "object";
    const id2label = (isConfig ? (config as { id2label: Record<string, string> }).id2label : config) as Record<string, string> | undefined;
    if (!id2label || Object.keys(id2label).length === 0) {
      throw new Error("text-classification pipeline: the model config has no id2label, so predictions cannot be named");
    }
    this.id2label = id2label;
    const saved = isConfig ? savedOosFallback(config as { task_specific_params?: unknown }) : undefined;
    this.options = { topK: 1, oosLabel: saved?.oos_label ?? "oos", batchSize: 32, maxLength: tokenizer.modelMaxLength, oosThreshold: saved?.oos_threshold ?? null, ...options };
    this.checkOptions(this.options);
  }

  private checkOptions(o: TextClassificationOptions): void {
    const n = Object.keys(this.id2label).length;
    if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1 && o.topK <= n)) throw new Error(`text-classification pipeline: topK must be an integer in [1, ${n}], got ${o.topK}`);
    if (o.oosThreshold !== undefined && o.oosThreshold !== null && !(o.oosThreshold >= 0 && o.oosThreshold <= 1)) throw new Error(`text-classification pipeline: oosThreshold must be in [0, 1] (or null for no fallback), got ${o.oosThreshold}`);
    const threshold = "oosThreshold" in o ? o.oosThreshold : this.options?.oosThreshold;
    const fallbackOn = threshold !== null && threshold !== undefined;
    const label = o.oosLabel ?? this.options?.oosLabel ?? "oos";
    if (fallbackOn && !Object.values(this.id2label).includes(label)) throw new Error(`text-classification pipeline: the fallback label "${label}" is not one of the model's labels (pass oosLabel, or oosThreshold: null for no fallback)`);
    if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new Error(`text-classification pipeline: batchSize must be a positive integer, got ${o.batchSize}`);
  }

  preprocess(texts: readonly string[], maxLength: number): ModelBatch {
    texts.forEach((t, i) => {
      if (typeof t !== "string") throw new Error(`text-classification pipeline: input ${i} is ${t === null ? "null" : typeof t}, expected a string`);
      if (t.trim().length === 0) throw new Error(`text-classification pipeline: input ${i} is an empty string`);
    });
    return this.tokenizer.call(texts, { maxLength, padding: "longest" });
  }

  /** Logits, one row per text. */
  abstract _forward(batch: ModelBatch): Promise<Float32Array[]>;

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
    const ranked = best.map((i) => ({ label: this.id2label[String(i)] ?? `LABEL_${i}`, score: Math.exp(logits[i] - max) / sum }));
    if (oosThreshold !== null && ranked[0].score < oosThreshold && ranked[0].label !== oosLabel) {
      // The fallback row keeps the model's own probability for the fallback label.
      const id = Object.keys(this.id2label).find((k) => this.id2label[k] === oosLabel)!;
      const oosRow: ClassificationResult = { label: oosLabel, score: Math.exp(logits[Number(id)] - max) / sum, fallback: true };
      return [oosRow, ...ranked.filter((r) => r.label !== oosLabel)].slice(0, topK);
    }
    return ranked.slice(0, topK);
  }

  /** Raw logits, one row per text (batched), e.g. to tune the oos threshold on a validation set. */
  async logits(texts: readonly string[], options: { batchSize?: number } = {}): Promise<Float32Array[]> {
    const batchSize = options.batchSize ?? this.options.batchSize;
    const rows: Float32Array[] = [];
    for (let s = 0; s < texts.length; s += batchSize) rows.push(...(await this._forward(this.preprocess(texts.slice(s, s + batchSize), this.options.maxLength))));
    return rows;
  }

  /** Classifies one text (→ results) or a list (→ one result list per text). */
  async _call(inputs: string | readonly string[], options: TextClassificationOptions = {}): Promise<ClassificationResult[] | ClassificationResult[][]> {
    this.checkOptions(options);
    const o = { ...this.options, ...options };
    const single = typeof inputs === "string";
    if (!single && !Array.isArray(inputs)) throw new Error(`text-classification pipeline: expected a string or an array of strings, got ${inputs === null ? "null" : typeof inputs}`);
    const texts = single ? [inputs as string] : (inputs as readonly string[]);
    const results: ClassificationResult[][] = [];
    for (let s = 0; s < texts.length; s += o.batchSize) {
      const logits = await this._forward(this.preprocess(texts.slice(s, s + o.batchSize), o.maxLength));
      for (const row of logits) results.push(this.postprocess(row, o.topK, o.oosThreshold, o.oosLabel));
    }
    return single ? results[0] : results;
  }

  dispose(): void {}
}


/** Text classification with one of our TensorFlow.js models (a transformer, the bag-of-words baseline, an ensemble). */
export class TextClassificationPipeline<M extends SequenceClassificationModel = PreTrainedModel> extends TextClassificationPipelineBase {
  constructor(readonly model: M, tokenizer: BertTokenizer, options: TextClassificationOptions = {}) {
    super(tokenizer, model.config, { maxLength: Math.min(tokenizer.modelMaxLength, maxSequenceLength(model) ?? Infinity), ...options });
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
