import * as tf from "@tensorflow/tfjs-core";
import { BertConfig, bertConfig, labelMaps } from "./config";
import { BERT_SCHEME } from "./bert";
import { EncoderOutput, ForwardOptions, LoadWeightsOptions, ModelInputs, ParamScheme, PreTrainedModel, loadInto, readConfig } from "./modeling";
import { activation, embedding, matMul } from "../ops";

/** HF's BertForMaskedLM names: the encoder without a pooler, and the `cls.predictions` head. */
const MLM_SCHEME: ParamScheme = { ...BERT_SCHEME, headDense: undefined, classifier: undefined };

const HEAD = {
  dense: "cls.predictions.transform.dense",
  norm: "cls.predictions.transform.LayerNorm",
  bias: "cls.predictions.bias",
};

/**
 * Hugging Face's `BertForMaskedLM` in TensorFlow.js: the BERT encoder and the
 * `cls.predictions` head (dense → activation → LayerNorm → a decoder tied to
 * the word embeddings, plus a bias), with HF's parameter names, so its folder
 * loads in Transformers and its encoder initialises a
 * `BertForSequenceClassification` (task-adaptive pretraining, then
 * fine-tuning). `call` returns logits for `inputs.masked_positions` only when
 * given (the collator's masked tokens: the loss needs nothing else), else for
 * every position, as rows [batch * seq, vocab].
 *
 * @example
 * const mlm = BertForMaskedLM.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 });
 * const trainer = new Trainer({ model: mlm, tokenizer, dataCollator: new DataCollatorForLanguageModeling({ tokenizer }), … });
 */
export class BertForMaskedLM extends PreTrainedModel {
  declare readonly config: BertConfig;
  readonly scheme = MLM_SCHEME;

  constructor(config: BertConfig, options: { seed?: number } = {}) {
    if (config.model_type !== "bert") throw new Error(`BertForMaskedLM needs model_type "bert", got "${config.model_type}"`);
    super({ ...config, architectures: ["BertForMaskedLM"] });
    this.build(options.seed ?? 42);
  }

  /** A randomly initialised masked-LM from config fields (HF defaults for the rest; no labels). */
  static fromConfig(partial: Partial<BertConfig>, options: { seed?: number } = {}): BertForMaskedLM {
    return new BertForMaskedLM(bertConfig({ ...labelMaps([]), ...partial, architectures: ["BertForMaskedLM"] }), options);
  }

  /** Loads a folder (strict: see `PreTrainedModel.loadStateDict`). */
  static fromPretrained(dir: string, options: LoadWeightsOptions = {}): BertForMaskedLM {
    const config = readConfig(dir);
    if (config.model_type !== "bert") throw new Error(`${dir} holds a "${config.model_type}" model, not "bert"`);
    return loadInto(new BertForMaskedLM(config), dir, options);
  }

  protected override buildHead(h: { dense(name: string, inDim: number, outDim: number): void; norm(name: string, dim: number): void; add(name: string, shape: number[], values: Float32Array): void }): void {
    const hidden = this.spec.hidden;
    h.dense(HEAD.dense, hidden, hidden);
    h.norm(HEAD.norm, hidden);
    h.add(`${HEAD.bias}`, [this.spec.vocabSize], new Float32Array(this.spec.vocabSize));
  }

  protected override head(enc: EncoderOutput, inputs: ModelInputs, options: ForwardOptions): tf.Tensor2D {
    const s = this.spec;
    let rows: tf.Tensor = tf.reshape(enc.sequenceOutput, [-1, s.hidden]);
    // Only the masked tokens need the vocabulary-sized product (embedding() gathers rows with a scatter gradient).
    if (inputs.masked_positions) rows = embedding(rows, inputs.masked_positions);
    const t = this.norm(activation(s.activation)(this.dense(rows, HEAD.dense, options)), HEAD.norm);
    // The decoder is the word-embedding matrix, transposed (HF ties them): [n, hidden] @ [hidden, vocab].
    const embeddings = this.weight(`${this.scheme.wordEmbeddings}.weight`);
    return tf.add(matMul(t, tf.transpose(embeddings)), this.weight(HEAD.bias)) as tf.Tensor2D;
  }
}
