// ONNX folders (transformers.js layout: config.json + onnx/model.onnx and
// onnx/model_quantized.onnx) as a kind of the model registry, so pipeline()
// and the benchmark load them like any other folder.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as ort from "onnxruntime-node";
import type { LogitsRunner, RegistryLoadOptions } from "../models/registry";
import { readFolderConfig, registerModelKind } from "../models/registry";
import { verifyFileChecksum } from "../models/folder";
import type { ModelBatch } from "../models/sequenceClassification";
import { batchFeeds, createModelForProvider, logitsRows, SessionOptions } from "./session";
import { decodeModel } from "./graphBuilder";

/**
 * The ONNX file of a folder for a dtype: "q8" is onnx/model_quantized.onnx;
 * "fp32" is onnx/model.onnx (or model.onnx beside config.json); without a
 * dtype, fp32 when present, else the quantized file. Undefined when absent.
 *
 * @example onnxFileOf("outputs/onnx/distilbert-clinc-tuned", "q8"); // ".../onnx/model_quantized.onnx"
 */
export function onnxFileOf(dir: string, dtype?: "fp32" | "q8"): string | undefined {
  const fp32 = [path.join(dir, "onnx", "model.onnx"), path.join(dir, "model.onnx")];
  const q8 = [path.join(dir, "onnx", "model_quantized.onnx")];
  const candidates = dtype === "q8" ? q8 : dtype === "fp32" ? fp32 : [...fp32, ...q8];
  return candidates.find((f) => fs.existsSync(f));
}

/**
 * A sequence classifier in ONNX Runtime, loaded from an ONNX folder: the
 * session starts on the first `forward` (pipeline() stays synchronous).
 *
 * @example
 * const model = OnnxModelForSequenceClassification.fromPretrained("outputs/onnx/distilbert-clinc-tuned", { dtype: "q8" });
 * await model.forward(tokenizer.call(["What is the pin number for my account?"])); // [Float32Array(151)]
 */
export class OnnxModelForSequenceClassification implements LogitsRunner {
  private sessionPromise?: Promise<ort.InferenceSession>;

  constructor(
    readonly file: string,
    readonly config: { id2label: Record<string, string>; model_type: string; max_position_embeddings?: number },
    readonly sessionOptions: SessionOptions = {},
  ) {}

  /** Reads config.json and picks the ONNX file for `dtype` (see `onnxFileOf`). */
  static fromPretrained(dir: string, options: { dtype?: "fp32" | "q8"; sessionOptions?: SessionOptions } = {}): OnnxModelForSequenceClassification {
    const config = readFolderConfig(dir) as OnnxModelForSequenceClassification["config"];
    if (!config.id2label || typeof config.id2label !== "object") throw new Error(`${path.join(dir, "config.json")} has no id2label (the ONNX model's labels)`);
    const file = onnxFileOf(dir, options.dtype);
    if (!file) throw new Error(`${dir} has no ONNX file${options.dtype ? ` for dtype "${options.dtype}"` : ""} (looked for ${options.dtype === "q8" ? "onnx/model_quantized.onnx" : "onnx/model.onnx, model.onnx" + (options.dtype ? "" : ", onnx/model_quantized.onnx")})`);
    // A flipped byte is an error, not a changed prediction: check the checksum exportOnnxFolder recorded.
    verifyFileChecksum(file, new Uint8Array(fs.readFileSync(file)), dir);
    return new OnnxModelForSequenceClassification(file, config, options.sessionOptions);
  }

  get numLabels(): number {
    return Object.keys(this.config.id2label).length;
  }

  get maxSequenceLength(): number | undefined {
    return typeof this.config.max_position_embeddings === "number" ? this.config.max_position_embeddings : undefined;
  }

  /** The ONNX Runtime session (created once, on first use). */
  session(): Promise<ort.InferenceSession> {
    this.sessionPromise ??= createModelForProvider(this.file, "cpu", this.sessionOptions);
    return this.sessionPromise;
  }

  /** Logits, one row per text of a tokenized batch. */
  async forward(batch: ModelBatch): Promise<Float32Array[]> {
    const s = await this.session();
    if (!s.outputNames.includes("logits")) throw new Error(`${this.file}: the model has no "logits" output (outputs: ${s.outputNames.join(", ")})`);
    const { logits } = await s.run(batchFeeds(batch, s.inputNames), ["logits"]);
    return logitsRows(logits);
  }

  private outputNames?: string[];

  /** Whether the file has a `pooled_output` (read from the graph once, before any session exists). */
  givesFeatures(): boolean {
    this.outputNames ??= (decodeModel(new Uint8Array(fs.readFileSync(this.file)), this.file).graph?.output ?? []).map((o) => o.name ?? "");
    return this.outputNames.includes("pooled_output");
  }

  /** Logits and pooled features, one row per text (files exported with `pooled_output`). */
  async forwardWithFeatures(batch: ModelBatch): Promise<{ logits: Float32Array[]; features: Float32Array[] }> {
    const s = await this.session();
    if (!s.outputNames.includes("pooled_output")) throw new Error(`${this.file}: the model has no "pooled_output" output (outputs: ${s.outputNames.join(", ")}); re-export it with exportOnnxFolder`);
    const out = await s.run(batchFeeds(batch, s.inputNames), ["logits", "pooled_output"]);
    return { logits: logitsRows(out.logits), features: logitsRows(out.pooled_output) };
  }

  /** Releases the session. */
  dispose(): void {
    const s = this.sessionPromise;
    this.sessionPromise = undefined;
    void s?.then((x) => x.release()).catch(() => undefined);
  }
}

/** A folder is loaded from ONNX when it has the ONNX file of the dtype asked for, or an ONNX file and no TF.js weights. */
function isOnnxFolder(dir: string, _config: unknown, options: RegistryLoadOptions): boolean {
  if (options.dtype) return onnxFileOf(dir, options.dtype) !== undefined;
  const tfjsWeights = ["model.safetensors", "model.sparse.safetensors"].some((f) => fs.existsSync(path.join(dir, f)));
  return !tfjsWeights && onnxFileOf(dir) !== undefined;
}

registerModelKind({ name: "onnx", runtime: "onnxruntime", matches: isOnnxFolder, load: (dir, o) => OnnxModelForSequenceClassification.fromPretrained(dir, { dtype: o.dtype }) });
