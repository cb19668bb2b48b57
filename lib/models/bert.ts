import { BertConfig, bertConfig, LabelMaps } from "./config";
import { ParamScheme, PreTrainedModel, readConfig } from "./modeling";

const BERT_SCHEME: ParamScheme = {
  wordEmbeddings: "bert.embeddings.word_embeddings",
  positionEmbeddings: "bert.embeddings.position_embeddings",
  tokenTypeEmbeddings: "bert.embeddings.token_type_embeddings",
  embeddingsNorm: "bert.embeddings.LayerNorm",
  layer: (i) => {
    const p = `bert.encoder.layer.${i}`;
    return {
      query: `${p}.attention.self.query`,
      key: `${p}.attention.self.key`,
      value: `${p}.attention.self.value`,
      attentionOutput: `${p}.attention.output.dense`,
      attentionNorm: `${p}.attention.output.LayerNorm`,
      intermediate: `${p}.intermediate.dense`,
      output: `${p}.output.dense`,
      outputNorm: `${p}.output.LayerNorm`,
    };
  },
  headDense: { name: "bert.pooler.dense", activation: "tanh" },
  classifier: "classifier",
};

/**
 * Hugging Face's `BertForSequenceClassification` in TensorFlow.js: BERT
 * encoder, tanh pooler on [CLS], dropout, linear classifier. Same parameter
 * names, shapes and computation, so HF checkpoint folders load into it.
 *
 * @example
 * const model = BertForSequenceClassification.fromPretrained("data/models/bert-base-uncased-finetuned-clinc");
 * const { logits } = model.call({ input_ids, attention_mask });
 */
export class BertForSequenceClassification extends PreTrainedModel {
  declare readonly config: BertConfig;
  readonly scheme = BERT_SCHEME;

  constructor(config: BertConfig, options: { seed?: number } = {}) {
    if (config.model_type !== "bert") throw new Error(`BertForSequenceClassification needs model_type "bert", got "${config.model_type}"`);
    super(config);
    this.build(options.seed ?? 42);
  }

  /** A randomly initialised model from config fields (HF defaults for the rest). */
  static fromConfig(partial: Partial<BertConfig> & LabelMaps, options: { seed?: number } = {}): BertForSequenceClassification {
    return new BertForSequenceClassification(bertConfig(partial), options);
  }

  static fromPretrained(dir: string, options: { quiet?: boolean } = {}): BertForSequenceClassification {
    const config = readConfig(dir);
    if (config.model_type !== "bert") throw new Error(`${dir} holds a "${config.model_type}" model, not "bert"`);
    const model = new BertForSequenceClassification(config);
    model.loadWeightsFrom(dir, options);
    return model;
  }
}
