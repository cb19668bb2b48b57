import { BertTokenizer } from "../tokenizers";
import type { LogitsRunner } from "../models/registry";
import { ModelBatch, TextClassificationOptions, TextClassificationPipelineBase, TextClassificationPipelineCall } from "./textClassification";

/**
 * `pipeline("text-classification")` over a model that runs outside
 * TensorFlow.js (a `LogitsRunner`: a dynamically quantized model on int8
 * kernels, an ONNX folder): the same preprocessing and postprocessing,
 * logits from ONNX Runtime. `pipeline()` returns one for such models.
 *
 * @example
 * const pipe = pipeline("text-classification", quantizeDynamicModel(model, ["Linear"], "qint8"), { tokenizer });
 * await pipe("What is the pin number for my account?"); // [{ label: "pin_change", score: … }]
 */
export class RunnerTextClassificationPipeline extends TextClassificationPipelineBase {
  constructor(readonly model: LogitsRunner, tokenizer: BertTokenizer, options: TextClassificationOptions = {}) {
    // The whole config, so a fallback saved with the model applies here too, as in pipeline() and OnnxPipeline.
    super(tokenizer, model.config, options, { maxPositions: model.maxSequenceLength });
  }

  _forward(batch: ModelBatch): Promise<Float32Array[]> {
    return this.model.forward(batch);
  }

  override givesFeatures(): boolean {
    return typeof this.model.forwardWithFeatures === "function" && (this.model.givesFeatures?.() ?? false);
  }

  override async _forwardFeatures(batch: ModelBatch): Promise<{ logits: Float32Array[]; features: Float32Array[] }> {
    if (!this.givesFeatures()) return super._forwardFeatures(batch);
    return this.model.forwardWithFeatures!(batch);
  }

  protected override releaseModel(): void {
    this.model.dispose();
  }
}

/** A callable runner pipeline, as `pipeline()` returns it. */
export type RunnerTextClassifier = RunnerTextClassificationPipeline & TextClassificationPipelineCall;
