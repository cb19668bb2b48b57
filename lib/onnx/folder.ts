import * as fs from "node:fs";
import * as path from "node:path";
import { PreTrainedModel } from "../models/modeling";
import { recordFileChecksum } from "../models/folder";
import { BertTokenizer } from "../tokenizers";
import { writeJsonAtomic } from "../utils/fs";
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
  writeJsonAtomic(path.join(dir, "config.json"), model.config);
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
