import { DistilBertConfig, distilBertConfig, LabelMaps } from "./config";
import { LoadWeightsOptions, ParamScheme, PreTrainedModel, loadInto, readConfig } from "./modeling";

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

/**
 * Hugging Face's `DistilBertForSequenceClassification` in TensorFlow.js: no
 * token types, no pooler; [CLS] → pre_classifier → ReLU → dropout →
 * classifier. The chapter's student architecture.
 *
 * @example
 * const student = DistilBertForSequenceClassification.fromPretrained("data/models/distilbert-clinc-distilled");
 * student.spec.layers; // 2 (the teacher has 4)
 * const { logits } = student.call({ input_ids, attention_mask }); // [batch, 151]
 */
export class DistilBertForSequenceClassification extends PreTrainedModel {
  declare readonly config: DistilBertConfig;
  readonly scheme = DISTILBERT_SCHEME;

  constructor(config: DistilBertConfig, options: { seed?: number } = {}) {
    if (config.model_type !== "distilbert") throw new Error(`DistilBertForSequenceClassification needs model_type "distilbert", got "${config.model_type}"`);
    super(config);
    this.build(options.seed ?? 42);
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
