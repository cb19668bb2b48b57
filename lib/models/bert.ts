import { BertConfig, bertConfig, isMaskedLm, LabelMaps } from "./config";
import { LOAD_OPTIONS, LoadWeightsOptions, ParamScheme, PreTrainedModel, loadInto, readConfig } from "./modeling";
import { checkOptionKeys } from "../utils/options";

/**
 * Hugging Face's BERT parameter names (`bert.*`, the pooler, `classifier`).
 *
 * @example
 * BERT_SCHEME.layer(0).query; // "bert.encoder.layer.0.attention.self.query"
 */
export const BERT_SCHEME: ParamScheme = {
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

  /**
   * Loads a folder. `config` overrides fields of its config.json, as HF's
   * `from_pretrained(dir, num_labels=…, id2label=…)`: to fine-tune a
   * `BertForMaskedLM` folder (task-adaptive pretraining), pass the label maps;
   * the encoder loads strictly, the pooler and classifier start fresh (a
   * warning says so unless `quiet`) and the masked-LM head is left unused.
   * Loading is strict otherwise (see `PreTrainedModel.loadStateDict`).
   */
  static fromPretrained(dir: string, options: LoadWeightsOptions & { config?: Partial<BertConfig> & Partial<LabelMaps>; seed?: number } = {}): BertForSequenceClassification {
    checkOptionKeys(options, [...LOAD_OPTIONS, "config", "seed"], "BertForSequenceClassification.fromPretrained");
    const { config: overrides, seed, ...load } = options;
    const saved = readConfig(dir);
    if (saved.model_type !== "bert") throw new Error(`${dir} holds a "${saved.model_type}" model, not "bert"`);
    const config = overrides ? bertConfig({ ...saved, ...overrides, architectures: ["BertForSequenceClassification"] } as BertConfig) : saved;
    if (isMaskedLm(config)) throw new Error(`${dir} holds a BertForMaskedLM; to fine-tune it for classification pass the labels: fromPretrained(dir, { config: labelMaps(names) })`);
    // Fine-tuning a masked-LM folder: a head swap, the one expected difference.
    const headSwap = isMaskedLm(saved) ? { newParameters: (k: string) => k.startsWith("bert.pooler.") || k.startsWith("classifier."), unusedWeights: (k: string) => k.startsWith("cls.") } : {};
    return loadInto(new BertForSequenceClassification(config, { seed }), dir, { ...load, ...headSwap });
  }
}
