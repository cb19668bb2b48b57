import { AutoModelForSequenceClassification } from "../models/auto";
import { PreTrainedModel } from "../models/modeling";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import { BertTokenizer } from "../tokenizers";
import * as fs from "node:fs";
import * as path from "node:path";
import { BagOfWordsClassifier } from "../baseline/bagOfWords";
import { TEXT_CLASSIFICATION_OPTIONS, TextClassificationOptions, TextClassificationPipeline, TextClassificationPipelineCall } from "./textClassification";
import { DynamicQuantizedModel } from "../quantization/dynamic";
import { QuantizedTextClassificationPipeline, QuantizedTextClassifier } from "../quantization/quantizedPipeline";
import { checkOptionKeys } from "../utils/options";

export * from "./textClassification";
export * from "./oos";

/** The tasks `pipeline()` knows; the type of a task name comes from these keys. */
export const SUPPORTED_TASKS = Object.freeze({ "text-classification": TextClassificationPipeline } as const);
export type PipelineTask = keyof typeof SUPPORTED_TASKS;

export type TextClassifier<M extends SequenceClassificationModel = PreTrainedModel> = TextClassificationPipeline<M> & TextClassificationPipelineCall;

/** What `pipeline()` accepts besides the per-call options. */
export interface PipelineOptions extends TextClassificationOptions {
  /** The tokenizer, when the model is given as an object (a folder's own tokenizer.json is used otherwise). */
  tokenizer?: BertTokenizer;
  /** Load a model folder strictly (default): missing or unexpected weights are an error; false warns instead. */
  strict?: boolean;
}

/**
 * Hugging Face's `pipeline()`: a model (or a model folder) plus its tokenizer
 * behind one call. A folder loads strictly (every weight checked against
 * config.json, the tokenizer against the embedding table); on any error the
 * model it loaded is disposed.
 *
 * @example
 * const pipe = pipeline("text-classification", "data/models/bert-clinc-teacher");
 * await pipe("Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van");
 * // [{ label: "car_rental", score: 0.9… }]
 *
 * A dynamically quantized model (`quantizeDynamicModel`) gives a pipeline
 * that runs it on int8 kernels in ONNX Runtime.
 * // Any SequenceClassificationModel object works too, e.g. the bag-of-words baseline:
 * pipeline("text-classification", bow, { tokenizer });
 */
export function pipeline(task: PipelineTask, model: DynamicQuantizedModel, options: PipelineOptions & { tokenizer: BertTokenizer }): QuantizedTextClassifier;
export function pipeline(task: PipelineTask, model: string, options?: PipelineOptions): TextClassifier;
export function pipeline<M extends SequenceClassificationModel>(task: PipelineTask, model: M, options?: PipelineOptions): TextClassifier<M>;
export function pipeline(task: PipelineTask, model: SequenceClassificationModel | string | DynamicQuantizedModel, options: PipelineOptions = {}): TextClassifier<SequenceClassificationModel> | QuantizedTextClassifier {
  if (!(task in SUPPORTED_TASKS)) throw new Error(`pipeline: unknown task "${task}" (supported: ${Object.keys(SUPPORTED_TASKS).join(", ")})`);
  checkOptionKeys(options, [...TEXT_CLASSIFICATION_OPTIONS, "tokenizer", "strict"], "pipeline");
  const { tokenizer: tok, strict, ...rest } = options;
  if (model instanceof DynamicQuantizedModel) {
    if (!tok) throw new Error("pipeline: pass options.tokenizer with a quantized model");
    return new QuantizedTextClassificationPipeline(model, tok, rest) as QuantizedTextClassifier;
  }
  if (typeof model !== "string") {
    if (!tok) throw new Error("pipeline: pass options.tokenizer when the model is given as an object");
    return new TextClassificationPipeline<SequenceClassificationModel>(model, tok, rest) as TextClassifier<SequenceClassificationModel>;
  }
  const m: SequenceClassificationModel & { spec?: { vocabSize: number } } = isBagOfWordsFolder(model) ? BagOfWordsClassifier.fromPretrained(model) : AutoModelForSequenceClassification.fromPretrained(model, { quiet: true, strict });
  try {
    const tokenizer = tok ?? BertTokenizer.fromPretrained(model);
    if (m.spec && tokenizer.vocabSize > m.spec.vocabSize) {
      throw new Error(`pipeline: ${tok ? "the tokenizer" : path.join(model, "tokenizer.json")} has ${tokenizer.vocabSize} tokens but ${path.join(model, "config.json")} has vocab_size ${m.spec.vocabSize} (the rows of model.safetensors' embedding table); ids from ${m.spec.vocabSize} up would index past it`);
    }
    return new TextClassificationPipeline<SequenceClassificationModel>(m, tokenizer, rest) as TextClassifier<SequenceClassificationModel>;
  } catch (err) {
    m.dispose();
    throw err;
  }
}

/** Whether a folder holds the bag-of-words baseline (config.json's model_type), which pipeline() loads too. */
function isBagOfWordsFolder(dir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"))?.model_type === "bag-of-words";
  } catch {
    return false; // AutoModel reports a missing or corrupt config.json with its own clear error
  }
}
