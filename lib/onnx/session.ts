import type { ModelBatch } from "../models/sequenceClassification";
import * as fs from "node:fs";
import * as ort from "onnxruntime-node";

export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionOptions {
  /**
   * Threads inside one operator. Default 1, as the book's helper, so latencies
   * compare one core's work; 0 = ORT's default, one per core (notebook 05 and
   * `npm run bench -- onnx` measure both).
   */
  intraOpNumThreads?: number;
  /** Default "all", as the book's helper. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Write the optimised graph here (inspect it with Netron). */
  optimizedModelFilePath?: string;
}

/**
 * An ONNX Runtime inference session for a model file (or the bytes of one),
 * as the book's `create_model_for_provider(model_path, provider)`.
 *
 * @example const session = await createModelForProvider("onnx/model.onnx");
 */
export async function createModelForProvider(modelPath: string | Uint8Array, provider = "cpu", options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const what = typeof modelPath === "string" ? modelPath : `(${modelPath.byteLength} bytes in memory)`;
  if (typeof modelPath === "string" && !fs.existsSync(modelPath)) throw new Error(`ONNX model not found: ${modelPath}`);
  const threads = options.intraOpNumThreads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) throw new Error(`createModelForProvider: intraOpNumThreads must be an integer >= 0 (0 = one per core), got ${threads}`);
  if (provider !== "cpu" && provider !== "CPUExecutionProvider") throw new Error(`createModelForProvider: provider "${provider}" is not available here (onnxruntime-node CPU build; use "cpu")`);
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ["cpu"],
      graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
      ...(threads === 0 ? {} : { intraOpNumThreads: threads ?? 1 }),
      ...(options.optimizedModelFilePath ? { optimizedModelFilePath: options.optimizedModelFilePath } : {}),
    };
    return typeof modelPath === "string" ? await ort.InferenceSession.create(modelPath, sessionOptions) : await ort.InferenceSession.create(modelPath, sessionOptions);
  } catch (err) {
    throw new Error(`Could not load ONNX model ${what}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function int64(rows: number[][]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  const flat = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => r.forEach((v, j) => (flat[i * width + j] = BigInt(v))));
  return new ort.Tensor("int64", flat, [rows.length, width]);
}

/**
 * ONNX Runtime feeds for a tokenized batch: int64 `input_ids` and
 * `attention_mask`, plus `token_type_ids` when the model takes them.
 *
 * @example await session.run(batchFeeds(tokenizer.call(texts), session.inputNames));
 */
export function batchFeeds(batch: ModelBatch, inputNames: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = { input_ids: int64(batch.input_ids), attention_mask: int64(batch.attention_mask) };
  if (inputNames.includes("token_type_ids")) feeds.token_type_ids = int64(batch.token_type_ids);
  return feeds;
}

/**
 * A [rows, labels] logits output as one Float32Array per row, as pipelines return them.
 *
 * @example logitsRows((await session.run(batchFeeds(batch, session.inputNames))).logits); // [Float32Array(151), …]
 */
export function logitsRows(logits: ort.Tensor): Float32Array[] {
  const data = logits.data as Float32Array;
  const [rows, width] = logits.dims;
  return Array.from({ length: rows }, (_, i) => data.slice(i * width, (i + 1) * width));
}
