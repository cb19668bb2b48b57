// What the pipeline, the benchmark and an ensemble need from a sequence
// classifier, so models other than the transformers (the bag-of-words
// baseline, an ensemble) go through the same code.
import type * as tf from "@tensorflow/tfjs-core";
import type { ModelInputs } from "./modeling";

/**
 * A sequence classifier: padded int32 ids (and mask) in, logits out.
 * `PreTrainedModel` (BERT, DistilBERT), `BagOfWordsClassifier` and
 * `EnsembleForSequenceClassification` implement it.
 *
 * @example
 * const model: SequenceClassificationModel = BagOfWordsClassifier.fromPretrained("outputs/models/bow-clinc");
 * tf.tidy(() => model.call({ input_ids, attention_mask }).logits); // [batch, model.numLabels]
 */
export interface SequenceClassificationModel {
  readonly config: { id2label: Record<string, string>; label2id?: Record<string, number>; model_type: string };
  readonly numLabels: number;
  /** Logits [batch, numLabels]. Call inside `tf.tidy` or dispose them. */
  call(inputs: ModelInputs, options?: { training?: boolean }): { logits: tf.Tensor2D };
  /** Writes the model as a folder; its weights go to `*.safetensors` files (what the benchmark's size counts). */
  savePretrained(dir: string): void;
  /** The longest input the model accepts, when it has a limit (transformers: position embeddings). */
  readonly maxSequenceLength?: number;
  dispose(): void;
}

/**
 * The longest input a model accepts: its `maxSequenceLength`, else a
 * transformer's `spec.maxPositions`, else undefined (no limit).
 *
 * @example
 * maxSequenceLength(teacher); // 64
 */
export function maxSequenceLength(model: SequenceClassificationModel): number | undefined {
  if (model.maxSequenceLength !== undefined) return model.maxSequenceLength;
  const spec = (model as { spec?: { maxPositions?: number } }).spec;
  return spec?.maxPositions;
}

/** A tokenized batch as plain arrays (what a pipeline's model stage consumes): padded ids and masks. */
export interface ModelBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
}
