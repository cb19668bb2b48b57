// One registry of the model folders the workbook reads, keyed by config.json's
// `model_type`. Each kind registers itself where it is defined: the
// transformers (models/auto.ts), the bag-of-words model, the ensemble, and,
// from the layers above, the dynamically quantized model, ONNX folders and
// sparse (pruned) storage. AutoModel, ensemble members and pipeline() all ask
// here, so they agree on what a folder is.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ModelConfig } from "./config";
import type { PreTrainedModel } from "./modeling";
import type { ModelBatch, SequenceClassificationModel } from "./sequenceClassification";
import { rememberConfigFolder, withoutFolderRecords } from "./folder";
import { checkFolderTokenizer } from "../tokenizers/fingerprint";
import { readJson } from "../utils/fs";

/**
 * A classifier whose logits come from outside TensorFlow.js (ONNX Runtime):
 * a padded batch in, one logits row per text out.
 */
export interface LogitsRunner {
  readonly config: { id2label: Record<string, string>; model_type: string };
  readonly numLabels: number;
  /** The longest input the model accepts, when it has a limit. */
  readonly maxSequenceLength?: number;
  forward(batch: ModelBatch): Promise<Float32Array[]>;
  /** Whether `forwardWithFeatures` can return pooled features (an ONNX file with a `pooled_output`). */
  givesFeatures?(): boolean;
  /** Logits and the pooled features (the classifier's input), for out-of-scope detectors. */
  forwardWithFeatures?(batch: ModelBatch): Promise<{ logits: Float32Array[]; features: Float32Array[] }>;
  /** Writes the model as a folder (the dynamically quantized model's int8 safetensors). */
  savePretrained?(dir: string): void;
  /** The file the model runs from, when it is one (an ONNX file). */
  readonly file?: string;
  dispose(): void;
}

/** What a registered loader returns: a TF.js model, or a runner. */
export type SequenceClassifier = SequenceClassificationModel | LogitsRunner;

/** Options every loader accepts. */
export interface RegistryLoadOptions {
  /** Missing or unexpected weights are an error (default true); false warns. */
  strict?: boolean;
  /** Do not log what was loaded. */
  quiet?: boolean;
  /** For folders with ONNX files: "fp32" (onnx/model.onnx) or "q8" (onnx/model_quantized.onnx), as transformers.js names them. */
  dtype?: "fp32" | "q8";
}

/** A folder's config.json, as the registry reads it before choosing a kind. */
export type FolderConfig = { model_type?: string; [key: string]: unknown };

/** One kind of model folder. */
export interface ModelKind {
  /** For messages and `folderKind()`: "bert", "bag-of-words", "onnx", … */
  readonly name: string;
  /** The config.json `model_type` values this kind loads. */
  readonly modelTypes?: readonly string[];
  /** Where its models run: TensorFlow.js (the default) or ONNX Runtime (their loaders return a `LogitsRunner`). */
  readonly runtime?: "tfjs" | "onnxruntime";
  /**
   * For kinds that share a `model_type` with others (a quantized BERT, an
   * ONNX export of one): whether this folder is one. Checked before the
   * `model_type` lookup, in registration order.
   */
  matches?(dir: string, config: FolderConfig, options: RegistryLoadOptions): boolean;
  load(dir: string, options: RegistryLoadOptions): SequenceClassifier;
  /** A freshly initialised model from a config (the transformer kinds). */
  create?(config: ModelConfig, options: { seed?: number }): PreTrainedModel;
}

const KINDS = new Map<string, ModelKind>();

/**
 * Registers a kind of model folder (replacing one of the same name, so a
 * re-imported module registers once).
 *
 * @example registerModelKind({ name: "bag-of-words", modelTypes: ["bag-of-words"], load: (dir) => BagOfWordsClassifier.fromPretrained(dir) });
 */
export function registerModelKind(kind: ModelKind): void {
  if (!kind.name || typeof kind.load !== "function") throw new Error("registerModelKind: a kind needs a name and load()");
  KINDS.set(kind.name, kind);
}

/**
 * The registered kinds, in registration order.
 *
 * @example registeredModelKinds().map((k) => k.name); // ["bert", "distilbert", "bag-of-words", "ensemble", …]
 */
export function registeredModelKinds(): readonly ModelKind[] {
  return [...KINDS.values()];
}

/**
 * A folder's config.json (a clear error when the folder or the file is
 * missing or corrupt), without the folder's records (checksums, tokenizer
 * fingerprint: see lib/models/folder.ts). When it records the tokenizer, the
 * folder's tokenizer.json must be that one, whatever kind the folder is.
 *
 * @example
 * readFolderConfig("data/models/bow-clinc").model_type; // "bag-of-words"
 */
export function readFolderConfig(dir: string): FolderConfig {
  if (!fs.existsSync(dir)) throw new Error(`Model folder not found: ${dir}`);
  const config = readJson<FolderConfig>(path.join(dir, "config.json"), "Model config");
  if (!config || typeof config !== "object") throw new Error(`${path.join(dir, "config.json")} is not a JSON object`);
  checkFolderTokenizer(dir);
  return rememberConfigFolder(withoutFolderRecords(config), dir);
}

/**
 * Which registered kind a folder is: the first kind whose `matches` accepts
 * it, else the kind registered for its `model_type`.
 *
 * @example folderKind("data/models/bow-clinc").name; // "bag-of-words"
 */
export function folderKind(dir: string, options: RegistryLoadOptions = {}): ModelKind {
  const config = readFolderConfig(dir);
  for (const kind of KINDS.values()) if (kind.matches?.(dir, config, options)) return kind;
  const type = config.model_type;
  for (const kind of KINDS.values()) if (type !== undefined && kind.modelTypes?.includes(type)) return kind;
  const known = [...KINDS.values()].flatMap((k) => k.modelTypes ?? []);
  throw new Error(`Unsupported model_type ${JSON.stringify(type)} in ${path.join(dir, "config.json")} (supported: ${known.join(", ")})`);
}

/**
 * The kind registered for a `model_type` that can create fresh models.
 *
 * @example kindForModelType("bert").create!(config, { seed: 42 });
 */
export function kindForModelType(modelType: string): ModelKind & Required<Pick<ModelKind, "create">> {
  for (const kind of KINDS.values()) if (kind.create && kind.modelTypes?.includes(modelType)) return kind as ModelKind & Required<Pick<ModelKind, "create">>;
  const known = [...KINDS.values()].filter((k) => k.create).flatMap((k) => k.modelTypes ?? []);
  throw new Error(`Unsupported model_type "${modelType}" (supported: ${known.join(", ")})`);
}

/**
 * Loads any registered model folder: a TF.js model, or a runner for ONNX
 * folders and dynamically quantized models.
 *
 * @example const model = loadSequenceClassifier("data/models/distilbert-clinc-pruned", { dtype: "q8" }); // a LogitsRunner on the int8 ONNX file
 */
export function loadSequenceClassifier(dir: string, options: RegistryLoadOptions = {}): SequenceClassifier {
  return folderKind(dir, options).load(dir, options);
}

/**
 * Whether a loaded classifier runs outside TF.js (has `forward`, no `call`).
 *
 * @example isLogitsRunner(loadSequenceClassifier(dir)); // true for an ONNX folder
 */
export function isLogitsRunner(model: SequenceClassifier): model is LogitsRunner {
  return typeof (model as LogitsRunner).forward === "function" && typeof (model as SequenceClassificationModel).call !== "function";
}
