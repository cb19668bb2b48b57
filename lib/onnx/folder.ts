import * as fs from "node:fs";
import * as path from "node:path";
import { PreTrainedModel } from "../models/modeling";
import { CHECKSUMS_FIELD, configFolder, recordFileChecksum, verifyFileChecksum } from "../models/folder";
import { BertTokenizer } from "../tokenizers";
import { readJsonObjectIfPresent, writeFileAtomic, writeJsonAtomic } from "../utils/fs";
import { exportToOnnx, ExportOptions } from "./export";
import { quantizeDynamic, QuantizeDynamicOptions } from "./quantize";

export interface OnnxFolder {
  dir: string;
  fp32: string;
  quantized?: string;
}

/**
 * Writes a model folder that transformers.js loads unchanged (offline, with
 * `env.localModelPath`): config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model.onnx (fp32) and onnx/model_quantized.onnx (`dtype: "q8"`), with
 * their checksums in config.json (loading verifies them).
 *
 * @example exportOnnxFolder(model, tokenizer, "outputs/onnx/bert-clinc-teacher");
 */
export function exportOnnxFolder(
  model: PreTrainedModel,
  tokenizer: BertTokenizer,
  dir: string,
  options: { export?: ExportOptions; quantize?: QuantizeDynamicOptions | false } = {},
): OnnxFolder {
  fs.mkdirSync(path.join(dir, "onnx"), { recursive: true });
  // Exporting into the model's own folder keeps the records of its other files (weights, detector).
  const own = configFolder(model.config) !== undefined && path.resolve(configFolder(model.config)!) === path.resolve(dir);
  const kept = own ? (readJsonObjectIfPresent(path.join(dir, "config.json"))?.[CHECKSUMS_FIELD] as object | undefined) : undefined;
  writeJsonAtomic(path.join(dir, "config.json"), kept ? { ...model.config, [CHECKSUMS_FIELD]: kept } : model.config);
  copySavedDetector(model.config, dir);
  tokenizer.savePretrained(dir);
  const fp32 = path.join(dir, "onnx", "model.onnx");
  exportToOnnx(model, fp32, options.export);
  recordFileChecksum(fp32, new Uint8Array(fs.readFileSync(fp32)), dir);
  if (options.quantize === false) return { dir, fp32 };
  const quantized = path.join(dir, "onnx", "model_quantized.onnx");
  quantizeDynamic(fp32, quantized, options.quantize ?? {});
  recordFileChecksum(quantized, new Uint8Array(fs.readFileSync(quantized)), dir);
  return { dir, fp32, quantized };
}

/**
 * The out-of-scope detector's tensors travel with the config that names
 * them: a model loaded from a folder whose config.json names
 * oos_detector.safetensors gets that file copied (and checksummed) into the
 * export, so the exported folder applies the same detector.
 */
function copySavedDetector(config: object, dir: string): void {
  const file = ((config as { task_specific_params?: Record<string, { oos_detector?: { file?: unknown } }> }).task_specific_params?.["text-classification"]?.oos_detector?.file);
  if (typeof file !== "string") return;
  const from = configFolder(config);
  if (!from) throw new Error(`exportOnnxFolder: the model's config names an out-of-scope detector file (${file}) but the model was not loaded from a folder, so the file cannot be found; load the model with fromPretrained, or drop task_specific_params["text-classification"].oos_detector`);
  const src = path.join(from, file), dst = path.join(dir, file);
  if (path.resolve(src) === path.resolve(dst)) return;
  const bytes = new Uint8Array(fs.readFileSync(src));
  verifyFileChecksum(src, bytes, from);
  writeFileAtomic(dst, bytes);
  recordFileChecksum(dst, bytes, dir);
}
