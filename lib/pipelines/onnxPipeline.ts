import * as ort from "onnxruntime-node";
import { BertTokenizer } from "../tokenizers";
import { batchFeeds, logitsRows } from "../onnx/session";
import { ModelBatch, TextClassificationOptions, TextClassificationPipelineBase, TextClassificationPipelineCall } from "./textClassification";

/**
 * ONNX Runtime's messages for inputs the graph cannot take, as clear errors:
 * more tokens than position embeddings, or ids past the vocabulary.
 */
function explainRunError(err: Error, batch: ModelBatch): Error {
  const msg = err.message;
  const seq = batch.input_ids[0]?.length ?? 0;
  const positions = /embeddings\/.*Add[\s\S]*?(\d+) by (\d+)/.exec(msg);
  if (positions && Number(positions[2]) === seq) {
    return new Error(`OnnxPipeline: the batch has ${seq} tokens per row but the model has ${positions[1]} position embeddings; pass the model's config (with max_position_embeddings) instead of its id2label, or options.maxLength <= ${positions[1]}, so inputs are truncated to fit`);
  }
  const ids = /word\S*Gather[\s\S]*?idx=(-?\d+) must be within the inclusive range \[-?\d+,(\d+)\]/.exec(msg);
  if (ids) return new Error(`OnnxPipeline: token id ${ids[1]} is past the model's vocabulary of ${Number(ids[2]) + 1} tokens; the tokenizer does not belong to this model (use the one saved with it)`);
  return new Error(`OnnxPipeline: ONNX Runtime failed on a batch of ${batch.input_ids.length} x ${seq} tokens: ${msg.split("\n")[0]}`);
}

/**
 * The book's `OnnxPipeline`: tokenizer + ONNX Runtime session, with the same
 * output as `pipeline("text-classification")` (softmax, label, score). Given
 * the model's config.json (not just its id2label), it also truncates inputs
 * to the model's position limit and applies a saved out-of-scope fallback,
 * as the TensorFlow.js pipeline does.
 *
 * @example
 * const pipe = new OnnxPipeline(session, tokenizer, model.config);
 * await pipe(query); // [{ label: "car_rental", score: 0.9 }]
 */
export class OnnxPipeline extends TextClassificationPipelineBase {
  private readonly inputNames: Set<string>;

  /** `config`: the model's config.json (labels, position limit and any saved out-of-scope fallback), or just its id2label. */
  constructor(readonly session: ort.InferenceSession, tokenizer: BertTokenizer, config: { id2label?: Record<string, string>; task_specific_params?: unknown; max_position_embeddings?: unknown; vocab_size?: unknown } | Record<string, string>, options: TextClassificationOptions = {}) {
    super(tokenizer, config, options);
    this.inputNames = new Set(session.inputNames);
    for (const needed of ["input_ids", "attention_mask"]) {
      if (!this.inputNames.has(needed)) throw new Error(`OnnxPipeline: the model has no "${needed}" input (inputs: ${session.inputNames.join(", ")})`);
    }
    if (!session.outputNames.includes("logits")) throw new Error(`OnnxPipeline: the model has no "logits" output (outputs: ${session.outputNames.join(", ")})`);
  }

  /** One run of the session fetching `outputs`, its failures explained. */
  private async run(batch: ModelBatch, outputs: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    try {
      return await this.session.run(batchFeeds(batch, [...this.inputNames]), outputs);
    } catch (err) {
      throw explainRunError(err as Error, batch);
    }
  }

  async _forward(batch: ModelBatch): Promise<Float32Array[]> {
    // Only the logits are fetched: ONNX Runtime copies out one tensor.
    return logitsRows((await this.run(batch, ["logits"])).logits as ort.Tensor);
  }

  /** Models exported by this project output `pooled_output` beside the logits (older exports do not). */
  override givesFeatures(): boolean {
    return this.session.outputNames.includes("pooled_output");
  }

  override async _forwardFeatures(batch: ModelBatch): Promise<{ logits: Float32Array[]; features: Float32Array[] }> {
    if (!this.givesFeatures()) return super._forwardFeatures(batch);
    const out = await this.run(batch, ["logits", "pooled_output"]);
    return { logits: logitsRows(out.logits as ort.Tensor), features: logitsRows(out.pooled_output as ort.Tensor) };
  }

  protected override releaseModel(): void {
    void this.session.release();
  }
}

export type OnnxClassifier = OnnxPipeline & TextClassificationPipelineCall;
