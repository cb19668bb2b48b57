import { registerModelKind } from "../registry";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { ModelInputs } from "../modeling";
import type { SequenceClassificationModel } from "../sequenceClassification";
import { floatWeights, readSafetensors, writePretrainedFolder } from "../safetensors";
import { rememberConfigFolder, withoutFolderRecords } from "../folder";
import { checkFolderTokenizer } from "../../tokenizers/fingerprint";
import { dropout, embedding, linear, matMul } from "../../ops";
import { Random } from "../../utils/random";
import { readJson } from "../../utils/fs";
import { BagOfWordsConfig, BagOfWordsConfigInput, bagOfWordsConfig, featureSettings, validateBagOfWordsConfig } from "./config";
import { BagOfWordsFeaturizer, CompactBatch, compactRows } from "./features";

/** Options of a forward pass. */
export interface BagOfWordsForwardOptions {
  /** Apply dropout (needs `rng`). Default false. */
  training?: boolean;
  rng?: Random;
}

const BAG_WEIGHT = "bag.weight";
const BAG_BIAS = "bag.bias";
const CLS_WEIGHT = "classifier.weight";
const CLS_BIAS = "classifier.bias";

/**
 * The workbook's linear baseline: TF-IDF bag-of-words features (unigrams and
 * hashed bigrams of the WordPiece ids the transformers see), then a linear
 * layer or a one-hidden-layer MLP. It takes the same padded int32 batches as
 * BERT (special tokens and padding are ignored), so it drops into the
 * pipeline, the benchmark, an ensemble, or the DistillationTrainer's teacher
 * slot. Saved as config.json + model.safetensors (weights and IDF vector).
 *
 * @example
 * const model = BagOfWordsClassifier.fromPretrained("outputs/models/bow-clinc");
 * const pipe = pipeline("text-classification", model, { tokenizer: BertTokenizer.fromPretrained("outputs/models/bow-clinc") });
 * await pipe("What is the pin number for my account?"); // [{ label: "pin_change", score: 0.9… }]
 */
export class BagOfWordsClassifier implements SequenceClassificationModel {
  readonly config: BagOfWordsConfig;
  readonly featurizer: BagOfWordsFeaturizer;
  private readonly parameters = new Map<string, tf.Variable>();
  private disposed = false;

  /** Trainable parameters by name; `classifier.weight` is held [in, out] (PyTorch's transpose). After `dispose()`, an error: every use of the model goes through here. */
  get params(): Map<string, tf.Variable> {
    if (this.disposed) throw new Error("BagOfWordsClassifier: this model was disposed (dispose() released its weights); load or create it again");
    return this.parameters;
  }

  /** A model with freshly initialised weights and the given IDF vector (from `BagOfWordsFeaturizer.fit`). */
  constructor(config: BagOfWordsConfig, idf: Float32Array, options: { seed?: number } = {}) {
    validateBagOfWordsConfig(config);
    this.config = config;
    this.featurizer = new BagOfWordsFeaturizer(featureSettings(config), idf);
    this.build(options.seed ?? 0);
  }

  /** `new BagOfWordsClassifier(bagOfWordsConfig(input), idf, options)`. */
  static fromConfig(input: BagOfWordsConfigInput, idf: Float32Array, options: { seed?: number } = {}): BagOfWordsClassifier {
    return new BagOfWordsClassifier(bagOfWordsConfig(input), idf, options);
  }

  get numLabels(): number {
    return Object.keys(this.config.id2label).length;
  }

  /** The pipeline truncates inputs to this (the length used in training). */
  get maxSequenceLength(): number {
    return this.config.max_length;
  }

  /** Width of the bag layer's output: the hidden size, or the labels for a linear model. */
  get bagWidth(): number {
    return this.config.hidden_size > 0 ? this.config.hidden_size : this.numLabels;
  }

  private build(seed: number): void {
    const rng = new Random(seed);
    const c = this.config;
    const add = (name: string, shape: number[], values: Float32Array) => this.params.set(name, tf.variable(tf.tensor(values, shape), true, `BagOfWords/${name}/${Math.random().toString(36).slice(2)}`));
    const table = new Float32Array(c.num_features * this.bagWidth);
    for (let i = 0; i < table.length; i++) table[i] = rng.normal() * c.initializer_range;
    add(BAG_WEIGHT, [c.num_features, this.bagWidth], table);
    add(BAG_BIAS, [this.bagWidth], new Float32Array(this.bagWidth));
    if (c.hidden_size > 0) {
      // PyTorch nn.Linear's default: uniform(±1/sqrt(fan_in)).
      const bound = 1 / Math.sqrt(c.hidden_size);
      const w = new Float32Array(c.hidden_size * this.numLabels);
      for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * bound;
      add(CLS_WEIGHT, [c.hidden_size, this.numLabels], w);
      add(CLS_BIAS, [this.numLabels], new Float32Array(this.numLabels));
    }
  }

  /** A parameter by name, with a clear error for a wrong one. */
  weight(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`BagOfWordsClassifier: no parameter named "${name}" (have: ${[...this.params.keys()].join(", ")})`);
    return v;
  }

  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** TF-IDF features of a padded batch, compacted to the features it uses (computed in JavaScript: the ids are read back). */
  features(inputs: ModelInputs): CompactBatch {
    const ids = inputs.input_ids;
    if (!ids || ids.rank !== 2) throw new Error(`BagOfWordsClassifier: input_ids must be a 2-D [batch, seq] tensor, got shape [${ids?.shape}]`);
    if (ids.dtype !== "int32") throw new Error(`BagOfWordsClassifier: input_ids must be int32, got ${ids.dtype}`);
    const [batch, seq] = ids.shape;
    const mask = inputs.attention_mask;
    if (mask && (mask.shape[0] !== batch || mask.shape[1] !== seq)) throw new Error(`BagOfWordsClassifier: attention_mask has shape [${mask.shape}] but input_ids has [${ids.shape}]`);
    return compactRows(this.featurizer.transformBatch(ids.dataSync(), batch, seq, mask?.dataSync()));
  }

  /**
   * Logits from a compacted batch: `x` [batch, used] holds the TF-IDF values
   * and `bagRows` [used, bagWidth] the bag table's rows of those features, so
   * `x @ bagRows` is the weighted sum of each row's feature vectors (an
   * `EmbeddingBag` as one small matrix product; its gradient reaches only
   * the rows used). The trainer passes its own `bagRows`.
   */
  logitsFromFeatures(x: tf.Tensor2D, bagRows: tf.Tensor2D, options: BagOfWordsForwardOptions = {}): tf.Tensor2D {
    const training = options.training ?? false;
    if (training && !options.rng) throw new Error("BagOfWordsClassifier: training mode needs options.rng for dropout");
    if (x.shape[1] !== bagRows.shape[0] || bagRows.shape[1] !== this.bagWidth) throw new Error(`BagOfWordsClassifier: features [${x.shape}] and bag rows [${bagRows.shape}] do not fit (bag width ${this.bagWidth})`);
    return tf.tidy(() => {
      const bag = tf.add(matMul(x, bagRows), this.weight(BAG_BIAS)) as tf.Tensor2D;
      if (this.config.hidden_size === 0) return bag;
      const hidden = dropout(tf.relu(bag), this.config.dropout, training ? options.rng!.int(2 ** 31) : undefined);
      return linear(hidden, this.weight(CLS_WEIGHT), this.weight(CLS_BIAS)) as tf.Tensor2D;
    });
  }

  /** Logits of a compacted batch with the model's own bag table. */
  logitsFromCompact(c: CompactBatch, options: BagOfWordsForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const x = tf.tensor2d(c.matrix, [c.batch, c.features.length]);
      const rows = embedding(this.weight(BAG_WEIGHT), tf.tensor1d(c.features, "int32")) as tf.Tensor2D;
      return this.logitsFromFeatures(x, rows, options);
    });
  }

  /**
   * Logits [batch, numLabels] of a padded int32 batch: the same inputs BERT
   * takes (token_type_ids are ignored). Call inside `tf.tidy` or dispose them.
   */
  call(inputs: ModelInputs, options: BagOfWordsForwardOptions = {}): { logits: tf.Tensor2D } {
    void this.params; // a disposed model refuses before featurizing
    return { logits: this.logitsFromCompact(this.features(inputs), options) };
  }

  /** Weights in file layout (PyTorch's [out, in] for the classifier) plus the IDF vector. */
  stateDict(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.params) {
      const t = name === CLS_WEIGHT ? tf.transpose(v) : v;
      out.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
      if (t !== v) t.dispose();
    }
    out.set("idf", { shape: [this.featurizer.idf.length], data: this.featurizer.idf });
    return out;
  }

  /** Writes config.json and model.safetensors (float32), each atomically. The tokenizer is saved beside it by the caller. */
  savePretrained(dir: string): void {
    writePretrainedFolder(dir, this.stateDict(), this.config);
  }

  /** The shapes the file must hold for this config (file layout). */
  private expectedShapes(): Map<string, number[]> {
    const c = this.config;
    const shapes = new Map<string, number[]>([["idf", [c.num_features]], [BAG_WEIGHT, [c.num_features, this.bagWidth]], [BAG_BIAS, [this.bagWidth]]]);
    if (c.hidden_size > 0) {
      shapes.set(CLS_WEIGHT, [this.numLabels, c.hidden_size]);
      shapes.set(CLS_BIAS, [this.numLabels]);
    }
    return shapes;
  }

  /**
   * Loads a folder written by `savePretrained`. Errors name the problem: a
   * missing folder or file, a config of another model type, a weight that is
   * missing, unexpected, of the wrong shape or not a float type, weights that
   * changed after they were written (their checksum in config.json), another
   * model's tokenizer.json (the fingerprint in config.json).
   */
  static fromPretrained(dir: string): BagOfWordsClassifier {
    if (!fs.existsSync(dir)) throw new Error(`BagOfWordsClassifier.fromPretrained: model folder not found: ${dir}`);
    const saved = readJson<BagOfWordsConfig>(path.join(dir, "config.json"), "Model config");
    if (saved?.model_type !== "bag-of-words") {
      throw new Error(`BagOfWordsClassifier.fromPretrained: ${dir} holds a "${saved?.model_type}" model, not "bag-of-words" (load it with AutoModelForSequenceClassification)`);
    }
    const config = rememberConfigFolder(withoutFolderRecords(saved), dir);
    validateBagOfWordsConfig(config);
    checkFolderTokenizer(dir);
    const file = path.join(dir, "model.safetensors");
    if (!fs.existsSync(file)) throw new Error(`BagOfWordsClassifier.fromPretrained: ${file} is missing (the folder has config.json but no weights)`);
    const { tensors } = readSafetensors(file);
    const idfTensor = tensors.get("idf");
    if (!idfTensor) throw new Error(`BagOfWordsClassifier.fromPretrained: ${file} has no "idf" tensor`);
    if (idfTensor.shape.length !== 1 || idfTensor.shape[0] !== config.num_features) {
      throw new Error(`BagOfWordsClassifier.fromPretrained: "idf" in ${file} has shape [${idfTensor.shape}] but the config needs [${config.num_features}]`);
    }
    const model = new BagOfWordsClassifier(config, Float32Array.from(floatWeights(idfTensor, "idf", file)));
    try {
      const expected = model.expectedShapes();
      for (const [name, t] of tensors) {
        const shape = expected.get(name);
        if (!shape) throw new Error(`BagOfWordsClassifier.fromPretrained: ${file} has an unexpected tensor "${name}" (expected: ${[...expected.keys()].join(", ")})`);
        if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
          throw new Error(`BagOfWordsClassifier.fromPretrained: "${name}" in ${file} has shape [${t.shape}] but the config needs [${shape}]`);
        }
      }
      for (const name of expected.keys()) if (!tensors.has(name)) throw new Error(`BagOfWordsClassifier.fromPretrained: ${file} lacks the tensor "${name}"`);
      for (const [name, v] of model.params) {
        const t = tensors.get(name)!;
        tf.tidy(() => {
          const w = tf.tensor(floatWeights(t, name, file), t.shape, "float32");
          v.assign(name === CLS_WEIGHT ? tf.transpose(w) : w);
        });
      }
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }

  /** Releases the weights; every later use is an error naming it, and a second dispose does nothing. */
  dispose(): void {
    if (this.disposed) return;
    for (const v of this.parameters.values()) v.dispose();
    this.parameters.clear();
    this.disposed = true;
  }
}

registerModelKind({ name: "bag-of-words", modelTypes: ["bag-of-words"], load: (dir) => BagOfWordsClassifier.fromPretrained(dir) });
