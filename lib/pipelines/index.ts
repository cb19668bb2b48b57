import type { PreTrainedModel } from "../models/modeling";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import { folderKind, isLogitsRunner, LogitsRunner, RegistryLoadOptions } from "../models/registry";
import { BertTokenizer, checkTokenizerFingerprint } from "../tokenizers";
import * as path from "node:path";
import { TEXT_CLASSIFICATION_OPTIONS, TextClassificationOptions, TextClassificationPipeline, TextClassificationPipelineCall } from "./textClassification";
import { RunnerTextClassificationPipeline, RunnerTextClassifier } from "./runnerPipeline";
import { checkOptionKeys } from "../utils/options";
// Every kind of folder the workbook writes is registered before pipeline() is
// called: the models layer's own, and those of the layers below this one.
import "../models/auto";
import "../onnx/model";
import "../quantization/dynamic";
import "../pruning/sparse";

export * from "./textClassification";
export * from "./oos";
export * from "./onnxPipeline";
export * from "./runnerPipeline";

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
  /**
   * Run the folder in ONNX Runtime, as transformers.js names it: "fp32"
   * (onnx/model.onnx) or "q8" (onnx/model_quantized.onnx, or a dynamically
   * quantized folder's int8 weights). Required for folders that run only there.
   */
  dtype?: RegistryLoadOptions["dtype"];
}

/**
 * Hugging Face's `pipeline()`: a model (or a model folder) plus its tokenizer
 * behind one call. A folder of any kind the workbook writes loads through the
 * model registry (BERT, DistilBERT, the bag of words, an ensemble, a
 * dynamically quantized model, an ONNX folder, sparse storage), strictly:
 * every weight checked against config.json, the tokenizer against the
 * embedding table; on any error the model it loaded is disposed.
 *
 * @example
 * const pipe = pipeline("text-classification", "data/models/bert-clinc-teacher");
 * await pipe("Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van");
 * // [{ label: "car_rental", score: 0.9… }]
 * pipeline("text-classification", "data/models/distilbert-clinc-pruned", { dtype: "q8" }); // its int8 ONNX file in ONNX Runtime
 *
 * Without `dtype` a folder loads in TensorFlow.js and the pipeline's `model`
 * is that folder's model (a transformer; the bag-of-words model, an ensemble
 * or sparse storage for those folders); with `dtype` it runs in ONNX Runtime.
 * pipeline("text-classification", bow, { tokenizer }); // any SequenceClassificationModel object
 */
export function pipeline(task: PipelineTask, model: LogitsRunner, options: PipelineOptions & { tokenizer: BertTokenizer }): RunnerTextClassifier;
export function pipeline(task: PipelineTask, model: string, options: PipelineOptions & { dtype: "fp32" | "q8" }): RunnerTextClassifier;
export function pipeline(task: PipelineTask, model: string, options?: PipelineOptions & { dtype?: undefined }): TextClassifier;
export function pipeline<M extends SequenceClassificationModel>(task: PipelineTask, model: M, options?: PipelineOptions): TextClassifier<M>;
export function pipeline(task: PipelineTask, model: SequenceClassificationModel | string | LogitsRunner, options: PipelineOptions = {}): TextClassifier<SequenceClassificationModel> | RunnerTextClassifier {
  if (!(task in SUPPORTED_TASKS)) throw new Error(`pipeline: unknown task "${task}" (supported: ${Object.keys(SUPPORTED_TASKS).join(", ")})`);
  checkOptionKeys(options, [...TEXT_CLASSIFICATION_OPTIONS, "tokenizer", "strict", "dtype"], "pipeline");
  const { tokenizer: tok, strict, dtype, ...rest } = options;
  if (typeof model !== "string") {
    if (!tok) throw new Error(isLogitsRunner(model) ? "pipeline: pass options.tokenizer with a quantized model (or any model object that runs in ONNX Runtime)" : "pipeline: pass options.tokenizer when the model is given as an object");
    if (dtype) throw new Error("pipeline: dtype applies to a model folder, not a model object");
    if (isLogitsRunner(model)) return new RunnerTextClassificationPipeline(model, tok, rest) as RunnerTextClassifier;
    return new TextClassificationPipeline<SequenceClassificationModel>(model, tok, rest) as TextClassifier<SequenceClassificationModel>;
  }
  const kind = folderKind(model, { dtype });
  if (kind.runtime === "onnxruntime" && !dtype) throw new Error(`pipeline: ${model} is a "${kind.name}" folder, which runs in ONNX Runtime; pass { dtype: "q8" }${kind.name === "onnx" ? ' (or "fp32")' : ""}`);
  if (dtype && kind.runtime !== "onnxruntime") throw new Error(`pipeline: ${model} has no ONNX file for dtype "${dtype}" (looked for ${dtype === "q8" ? "onnx/model_quantized.onnx" : "onnx/model.onnx, model.onnx"}); export one with exportOnnxFolder, or load the folder without dtype`);
  if (kind.name === "dynamic-int8" && dtype !== "q8") throw new Error(`pipeline: ${model} holds dynamically quantized int8 weights; pass { dtype: "q8" }`);
  const m = kind.load(model, { quiet: true, strict, dtype });
  try {
    const tokenizer = tok ?? BertTokenizer.fromPretrained(model);
    if (tok) checkTokenizerFingerprint(model, tok.fingerprint(), "options.tokenizer");
    const vocab = (m as { spec?: { vocabSize?: number } }).spec?.vocabSize ?? (m.config as { vocab_size?: unknown }).vocab_size;
    if (typeof vocab === "number" && tokenizer.vocabSize > vocab) {
      throw new Error(`pipeline: ${tok ? "the tokenizer" : path.join(model, "tokenizer.json")} has ${tokenizer.vocabSize} tokens but ${path.join(model, "config.json")} has vocab_size ${vocab} (the rows of ${isLogitsRunner(m) ? "the model's" : "model.safetensors'"} embedding table); ids from ${vocab} up would index past it`);
    }
    if (isLogitsRunner(m)) return new RunnerTextClassificationPipeline(m, tokenizer, rest) as RunnerTextClassifier;
    return new TextClassificationPipeline<SequenceClassificationModel>(m, tokenizer, rest) as TextClassifier<SequenceClassificationModel>;
  } catch (err) {
    m.dispose();
    throw err;
  }
}
