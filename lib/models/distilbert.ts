import * as tf from "@tensorflow/tfjs-core";
import { DistilBertConfig, distilBertConfig, LabelMaps, wideNgramSpec } from "./config";
import { EncoderOutput, ForwardOptions, LoadWeightsOptions, ModelInputs, ParamScheme, PreTrainedModel, loadInto, readConfig } from "./modeling";
import { Random } from "../utils/random";
import { wideFeatures } from "./wideNgrams";

const DISTILBERT_SCHEME: ParamScheme = {
  wordEmbeddings: "distilbert.embeddings.word_embeddings",
  positionEmbeddings: "distilbert.embeddings.position_embeddings",
  embeddingsNorm: "distilbert.embeddings.LayerNorm",
  layer: (i) => {
    const p = `distilbert.transformer.layer.${i}`;
    return {
      query: `${p}.attention.q_lin`,
      key: `${p}.attention.k_lin`,
      value: `${p}.attention.v_lin`,
      attentionOutput: `${p}.attention.out_lin`,
      attentionNorm: `${p}.sa_layer_norm`,
      intermediate: `${p}.ffn.lin1`,
      output: `${p}.ffn.lin2`,
      outputNorm: `${p}.output_layer_norm`,
    };
  },
  headDense: { name: "pre_classifier", activation: "relu" },
  classifier: "classifier",
};

const WIDE_TABLE = "wide.embeddings.weight";
const WIDE_CLASSIFIER = "wide.classifier";

/**
 * Hugging Face's `DistilBertForSequenceClassification` in TensorFlow.js: no
 * token types, no pooler; [CLS] → pre_classifier → ReLU → dropout →
 * classifier. The chapter's student architecture.
 *
 * @example
 * const student = DistilBertForSequenceClassification.fromPretrained("data/models/distilbert-clinc-distilled");
 * student.spec.layers; // 2 (the teacher has 4)
 * const { logits } = student.call({ input_ids, attention_mask }); // [batch, 151]
 *
 * A config with `wide_ngram_buckets` and `wide_dim` (our extension, not
 * Hugging Face's) adds a wide part: hashed token n-grams → a
 * [buckets, wide_dim] table (mean over the query's n-grams) →
 * `wide.classifier`, whose logits add to the [CLS] head's (wide and deep;
 * see lib/models/wideNgrams.ts). The pooled features stay the deep part's.
 */
export class DistilBertForSequenceClassification extends PreTrainedModel {
  declare readonly config: DistilBertConfig;
  readonly scheme = DISTILBERT_SCHEME;

  constructor(config: DistilBertConfig, options: { seed?: number } = {}) {
    if (config.model_type !== "distilbert") throw new Error(`DistilBertForSequenceClassification needs model_type "distilbert", got "${config.model_type}"`);
    super(config);
    this.build(options.seed ?? 42);
  }

  /** The wide part's parameters (`wide.embeddings`, `wide.classifier`) when the config asks for one. */
  protected override buildHead(h: { dense(name: string, inDim: number, outDim: number): void; add(name: string, shape: number[], values: Float32Array): void; rng: Random }): void {
    const wide = wideNgramSpec(this.config);
    if (!wide) return;
    const table = new Float32Array(wide.buckets * wide.dim);
    for (let i = 0; i < table.length; i++) table[i] = h.rng.normal() * this.spec.initializerRange;
    h.add(WIDE_TABLE, [wide.buckets, wide.dim], table);
    h.dense(WIDE_CLASSIFIER, wide.dim, this.numLabels);
  }

  protected override head(enc: EncoderOutput, inputs: ModelInputs, options: ForwardOptions, pooledOut?: { features?: tf.Tensor2D }): tf.Tensor2D {
    const deep = super.head(enc, inputs, options, pooledOut);
    if (!wideNgramSpec(this.config)) return deep;
    const features = wideFeatures(this.weight(WIDE_TABLE), inputs.input_ids, inputs.attention_mask);
    return tf.add(deep, this.dense(features, WIDE_CLASSIFIER, options)) as tf.Tensor2D;
  }

  static fromConfig(partial: Partial<DistilBertConfig> & LabelMaps, options: { seed?: number } = {}): DistilBertForSequenceClassification {
    return new DistilBertForSequenceClassification(distilBertConfig(partial), options);
  }

  /** Loads a folder (strict: see `PreTrainedModel.loadStateDict`). */
  static fromPretrained(dir: string, options: LoadWeightsOptions = {}): DistilBertForSequenceClassification {
    const config = readConfig(dir);
    if (config.model_type !== "distilbert") throw new Error(`${dir} holds a "${config.model_type}" model, not "distilbert"`);
    return loadInto(new DistilBertForSequenceClassification(config), dir, options);
  }
}
