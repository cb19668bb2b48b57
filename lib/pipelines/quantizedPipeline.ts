import { BertTokenizer } from "../tokenizers";
import { ModelBatch, TextClassificationOptions, TextClassificationPipelineBase, TextClassificationPipelineCall } from "./textClassification";
import { DynamicQuantizedModel } from "../quantization/dynamic";

/**
 * `pipeline("text-classification")` over a dynamically quantized model: the
 * same preprocessing and postprocessing, logits from the int8 ONNX Runtime
 * session. `pipeline()` returns one when given a `DynamicQuantizedModel`.
 *
 * @example
 * const pipe = pipeline("text-classification", quantizeDynamicModel(model, ["Linear"], "qint8"), { tokenizer });
 * await pipe("What is the pin number for my account?"); // [{ label: "pin_change", score: … }]
 */
export class QuantizedTextClassificationPipeline extends TextClassificationPipelineBase {
  constructor(readonly model: DynamicQuantizedModel, tokenizer: BertTokenizer, options: TextClassificationOptions = {}) {
    // The whole config, so a fallback saved with the model applies here too, as in pipeline() and OnnxPipeline.
    super(tokenizer, model.config, options, { maxPositions: model.spec.maxPositions });
  }

  _forward(batch: ModelBatch): Promise<Float32Array[]> {
    return this.model.forward(batch);
  }

  protected override releaseModel(): void {
    this.model.dispose();
  }
}

/** A callable quantized pipeline, as `pipeline()` returns it. */
export type QuantizedTextClassifier = QuantizedTextClassificationPipeline & TextClassificationPipelineCall;
