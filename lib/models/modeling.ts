import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { EncoderSpec, ModelConfig, encoderSpec, numLabels, validateConfig } from "./config";
import { readSafetensors, toFloat32, writeSafetensors, SafeTensor } from "./safetensors";
import { activation, dropout, embedding, layerNorm, linear, matMul } from "../ops";
import { Random } from "../utils/random";
import { readJson, writeJsonAtomic } from "../utils/fs";
import { logger } from "../utils/log";

/** Model inputs, named as in Hugging Face (and as the ONNX graph inputs). int32 [batch, seq]. */
export interface ModelInputs {
  input_ids: tf.Tensor2D;
  attention_mask?: tf.Tensor2D;
  token_type_ids?: tf.Tensor2D;
  /**
   * Masked-LM models only: flat indices (row * seq + position) of the tokens
   * to predict; logits are computed for these positions alone (the
   * DataCollatorForLanguageModeling sets them).
   */
  masked_positions?: tf.Tensor1D;
}

export interface ForwardOptions {
  /** Apply dropout (needs `rng`). Default false. */
  training?: boolean;
  /** Seeds the dropout masks; required when training. */
  rng?: Random;
  /** Return the embeddings output and every layer's output ([batch, seq, hidden] each). */
  outputHiddenStates?: boolean;
  /** Return every layer's attention probabilities ([batch, heads, seq, seq] each). */
  outputAttentions?: boolean;
}

export interface SequenceClassifierOutput {
  /** [batch, numLabels]; for a masked-LM model [positions, vocab]. */
  logits: tf.Tensor2D;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
}

/** Names of one encoder layer's parameters (without .weight / .bias). */
export interface LayerNames {
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
}

/** How an architecture names its parameters, in Hugging Face's state_dict. */
export interface ParamScheme {
  wordEmbeddings: string;
  positionEmbeddings: string;
  tokenTypeEmbeddings?: string;
  embeddingsNorm: string;
  layer(i: number): LayerNames;
  /** Dense layer of the classification head before the classifier, with its activation (absent without that head). */
  headDense?: { name: string; activation: "tanh" | "relu" };
  classifier?: string;
}

/** What the encoder returns before any head. */
export interface EncoderOutput {
  /** The last layer's output, [batch, seq, hidden]. */
  sequenceOutput: tf.Tensor3D;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
}

/**
 * A weight transform applied on every read in the forward pass (pruning
 * masks, fake quantisation): `transform(weight, name)` returns the weight the
 * layer uses, built from differentiable ops so gradients reach the stored
 * weight (and any variables the transform reads, e.g. movement scores).
 *
 * `backward`, when given, is the same chain rule by hand: from the gradient
 * with respect to the transformed weight, the gradient with respect to the
 * stored weight, plus gradients of the transform's own trainable variables by
 * parameter name. Data-parallel workers hold plain replicas that see only
 * transformed weights; with `backward` on every transform, the Trainer sends
 * them transformed weights and maps their gradients back, so compressed
 * training uses every core too.
 */
export type WeightTransform = ((weight: tf.Tensor, name: string) => tf.Tensor) & {
  backward?: (gradTransformed: tf.Tensor, weight: tf.Tensor, name: string) => { weight: tf.Tensor; extra?: Map<string, tf.Tensor> };
};

const NEG_INF = -3.4028234663852886e38; // torch.finfo(float32).min, as HF uses for masking

/** Old-style names in some Hugging Face checkpoints. */
function canonicalName(name: string): string {
  return name.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias");
}

/**
 * Base class of our TensorFlow.js sequence classifiers: parameters live in a
 * map keyed by Hugging Face state_dict names, `savePretrained` writes
 * config.json + model.safetensors and `fromPretrained` reads them back (also
 * from a real HF checkpoint folder of the same architecture).
 */
export abstract class PreTrainedModel {
  readonly config: ModelConfig;
  readonly spec: EncoderSpec;
  readonly params = new Map<string, tf.Variable>();
  /** Names of 2-D linear weights, held as [in, out] (transposed from PyTorch's [out, in]). */
  protected readonly linearWeights = new Set<string>();
  /** Transforms applied when a weight is read in the forward pass (see `registerWeightTransform`). */
  readonly weightTransforms = new Map<string, WeightTransform>();
  abstract readonly scheme: ParamScheme;

  constructor(config: ModelConfig) {
    validateConfig(config);
    this.config = config;
    this.spec = encoderSpec(config);
  }

  get numLabels(): number {
    return numLabels(this.config);
  }

  /** Creates every parameter, initialised as HF's `_init_weights` does (normal(0, initializer_range), zero bias, unit LayerNorm). */
  protected build(seed: number): void {
    const s = this.spec;
    const rng = new Random(seed);
    const normal = (n: number) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.normal() * s.initializerRange;
      return a;
    };
    const add = (name: string, shape: number[], values: Float32Array) => {
      this.params.get(name)?.dispose();
      this.params.set(name, tf.variable(tf.tensor(values, shape), true, `${this.constructor.name}/${name}/${Math.random().toString(36).slice(2)}`));
    };
    const dense = (name: string, inDim: number, outDim: number) => {
      add(`${name}.weight`, [inDim, outDim], normal(inDim * outDim));
      add(`${name}.bias`, [outDim], new Float32Array(outDim));
      this.linearWeights.add(`${name}.weight`);
    };
    const norm = (name: string, dim: number) => {
      add(`${name}.weight`, [dim], new Float32Array(dim).fill(1));
      add(`${name}.bias`, [dim], new Float32Array(dim));
    };
    const emb = (name: string, rows: number, padRow?: number) => {
      const w = normal(rows * s.hidden);
      if (padRow !== undefined && padRow < rows) w.fill(0, padRow * s.hidden, (padRow + 1) * s.hidden);
      add(`${name}.weight`, [rows, s.hidden], w);
    };
    const sc = this.scheme;
    emb(sc.wordEmbeddings, s.vocabSize, s.padTokenId);
    emb(sc.positionEmbeddings, s.maxPositions);
    if (sc.tokenTypeEmbeddings) emb(sc.tokenTypeEmbeddings, s.typeVocab);
    norm(sc.embeddingsNorm, s.hidden);
    for (let i = 0; i < s.layers; i++) {
      const n = sc.layer(i);
      // A layer with pruned heads (config.pruned_heads) projects to fewer heads, as HF's prune_heads leaves it.
      const inner = s.layerHeads[i] * s.headDim;
      for (const k of [n.query, n.key, n.value]) dense(k, s.hidden, inner);
      dense(n.attentionOutput, inner, s.hidden);
      norm(n.attentionNorm, s.hidden);
      dense(n.intermediate, s.hidden, s.ffn);
      dense(n.output, s.ffn, s.hidden);
      norm(n.outputNorm, s.hidden);
    }
    if (sc.headDense) dense(sc.headDense.name, s.hidden, s.hidden);
    if (sc.classifier) dense(sc.classifier, s.hidden, this.numLabels);
    this.buildHead({ dense, norm, add, rng });
  }

  /** Parameters of a head other than the classification one (the masked-LM head); none by default. */
  protected buildHead(_helpers: { dense(name: string, inDim: number, outDim: number): void; norm(name: string, dim: number): void; add(name: string, shape: number[], values: Float32Array): void; rng: Random }): void {}

  /** A parameter as the forward pass sees it (after any registered transform). */
  weight(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.constructor.name}: no parameter named "${name}"`);
    const t = this.weightTransforms.get(name);
    return t ? t(v, name) : v;
  }

  /** Registers a transform for a parameter (e.g. a pruning mask); pass undefined to remove it. */
  registerWeightTransform(name: string, transform: WeightTransform | undefined): void {
    if (!this.params.has(name)) throw new Error(`${this.constructor.name}: no parameter named "${name}"`);
    if (transform) this.weightTransforms.set(name, transform);
    else this.weightTransforms.delete(name);
  }

  /** Whether a parameter is a linear weight held transposed relative to PyTorch. */
  isLinearWeight(name: string): boolean {
    return this.linearWeights.has(name);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.values()].filter((v) => v.trainable);
  }

  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  protected dense(x: tf.Tensor, name: string): tf.Tensor {
    return linear(x, this.weight(`${name}.weight`), this.weight(`${name}.bias`));
  }

  protected norm(x: tf.Tensor, name: string): tf.Tensor {
    return layerNorm(x, this.weight(`${name}.weight`), this.weight(`${name}.bias`), this.spec.eps);
  }

  /**
   * The forward pass. Returns logits [batch, numLabels] (and hidden states /
   * attentions when asked). Call inside `tf.tidy` or dispose the outputs.
   */
  call(inputs: ModelInputs, options: ForwardOptions = {}): SequenceClassifierOutput {
    const enc = this.encode(inputs, options);
    const logits = this.head(enc, inputs, options);
    return {
      logits,
      ...(options.outputHiddenStates ? { hiddenStates: enc.hiddenStates } : {}),
      ...(options.outputAttentions ? { attentions: enc.attentions } : {}),
    };
  }

  /** The task head on the encoder's output: the [CLS] classifier by default. */
  protected head(enc: EncoderOutput, _inputs: ModelInputs, options: ForwardOptions): tf.Tensor2D {
    const s = this.spec;
    const sc = this.scheme;
    if (!sc.headDense || !sc.classifier) throw new Error(`${this.constructor.name}: no classification head`);
    const seed = () => (options.training ? options.rng!.int(2 ** 31) : undefined);
    const [batch] = enc.sequenceOutput.shape;
    const cls = tf.reshape(tf.slice(enc.sequenceOutput, [0, 0, 0], [batch, 1, s.hidden]), [batch, s.hidden]);
    const pooled = this.dense(cls, sc.headDense.name);
    const activated = sc.headDense.activation === "tanh" ? tf.tanh(pooled) : tf.relu(pooled);
    return this.dense(dropout(activated, s.classifierDropout, seed()), sc.classifier) as tf.Tensor2D;
  }

  /** The embeddings and the transformer layers (HF's `model.bert(...)` / `model.distilbert(...)`). */
  encode(inputs: ModelInputs, options: ForwardOptions = {}): EncoderOutput {
    const { input_ids: ids } = inputs;
    if (!ids || ids.rank !== 2) throw new Error(`${this.constructor.name}: input_ids must be a 2-D [batch, seq] tensor, got shape [${ids?.shape}]`);
    if (ids.dtype !== "int32") throw new Error(`${this.constructor.name}: input_ids must be int32, got ${ids.dtype}`);
    const [batch, seq] = ids.shape;
    if (seq > this.spec.maxPositions) throw new Error(`${this.constructor.name}: sequence length ${seq} exceeds max_position_embeddings (${this.spec.maxPositions})`);
    for (const k of ["attention_mask", "token_type_ids"] as const) {
      const t = inputs[k];
      if (t && (t.shape[0] !== batch || t.shape[1] !== seq)) throw new Error(`${this.constructor.name}: ${k} has shape [${t.shape}] but input_ids has [${ids.shape}]`);
    }
    const training = options.training ?? false;
    if (training && !options.rng) throw new Error(`${this.constructor.name}: training mode needs options.rng for dropout`);
    const seed = () => (training ? options.rng!.int(2 ** 31) : undefined);
    const s = this.spec;
    const sc = this.scheme;
    const act = activation(s.activation);
    const headDim = s.headDim;

    const hiddenStates: tf.Tensor3D[] = [];
    const attentions: tf.Tensor4D[] = [];

    const positions = tf.tile(tf.expandDims(tf.range(0, seq, 1, "int32"), 0), [batch, 1]);
    let x = tf.add(embedding(this.weight(`${sc.wordEmbeddings}.weight`), ids), embedding(this.weight(`${sc.positionEmbeddings}.weight`), positions));
    if (sc.tokenTypeEmbeddings) {
      const types = inputs.token_type_ids ?? tf.zeros([batch, seq], "int32");
      x = tf.add(x, embedding(this.weight(`${sc.tokenTypeEmbeddings}.weight`), types));
    }
    x = dropout(this.norm(x, sc.embeddingsNorm), s.hiddenDropout, seed());
    if (options.outputHiddenStates) hiddenStates.push(x as tf.Tensor3D);

    const mask = inputs.attention_mask ?? tf.ones([batch, seq], "int32");
    // [batch, 1, 1, seq]: 0 where attended, a huge negative where padded.
    const maskBias = tf.mul(tf.sub(1, tf.cast(tf.reshape(mask, [batch, 1, 1, seq]), "float32")), NEG_INF);
    const scale = 1 / Math.sqrt(headDim);
    for (let i = 0; i < s.layers; i++) {
      const n = sc.layer(i);
      const heads = s.layerHeads[i];
      const splitHeads = (t: tf.Tensor, perm: number[]) => tf.transpose(tf.reshape(t, [batch, seq, heads, headDim]), perm);
      const q = splitHeads(this.dense(x, n.query), [0, 2, 1, 3]); // [b, h, s, d]
      const kT = splitHeads(this.dense(x, n.key), [0, 2, 3, 1]); // [b, h, d, s]
      const v = splitHeads(this.dense(x, n.value), [0, 2, 1, 3]);
      const scores = tf.add(tf.mul(matMul(q, kT), scale), maskBias);
      const probs = tf.softmax(scores);
      if (options.outputAttentions) attentions.push(probs as tf.Tensor4D);
      const ctx = matMul(dropout(probs, s.attentionDropout, seed()), v); // [b, h, s, d]
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [batch, seq, heads * headDim]);
      const attnOut = dropout(this.dense(merged, n.attentionOutput), s.hiddenDropout, seed());
      x = this.norm(tf.add(attnOut, x), n.attentionNorm);
      const inter = act(this.dense(x, n.intermediate));
      const ffnOut = dropout(this.dense(inter, n.output), s.hiddenDropout, seed());
      x = this.norm(tf.add(ffnOut, x), n.outputNorm);
      if (options.outputHiddenStates) hiddenStates.push(x as tf.Tensor3D);
    }

    return {
      sequenceOutput: x as tf.Tensor3D,
      ...(options.outputHiddenStates ? { hiddenStates } : {}),
      ...(options.outputAttentions ? { attentions } : {}),
    };
  }

  /** The parameters in Hugging Face layout (linear weights [out, in]) as float32 arrays. */
  stateDict(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.params) {
      if (this.linearWeights.has(name)) {
        const t = tf.tidy(() => tf.transpose(v));
        out.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
        t.dispose();
      } else out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    }
    return out;
  }

  /**
   * Loads Hugging Face-layout weights. Shapes must match; keys the model lacks
   * are reported as unexpected, parameters the weights lack as missing (they
   * keep their initialisation), as HF's `from_pretrained` does.
   */
  /**
   * Checks weights against the model without changing it: shapes must match
   * (an error names the first mismatch); returns the missing and unexpected keys.
   */
  checkStateDict(weights: Map<string, { shape: number[]; data: Float32Array }>, source = "state dict"): { missingKeys: string[]; unexpectedKeys: string[] } {
    const seen = new Set<string>();
    const unexpectedKeys: string[] = [];
    for (const [rawName, w] of weights) {
      const name = canonicalName(rawName);
      const v = this.params.get(name);
      if (!v) {
        unexpectedKeys.push(rawName);
        continue;
      }
      const expected = this.linearWeights.has(name) ? [v.shape[1], v.shape[0]] : v.shape;
      if (w.shape.length !== expected.length || w.shape.some((d, i) => d !== expected[i])) {
        throw new Error(`${this.constructor.name}: weight "${rawName}" in ${source} has shape [${w.shape}] but the config needs [${expected}]`);
      }
      if (w.data.length !== v.size) throw new Error(`${this.constructor.name}: weight "${rawName}" in ${source} has ${w.data.length} values for shape [${w.shape}]`);
      seen.add(name);
    }
    return { missingKeys: [...this.params.keys()].filter((k) => !seen.has(k)), unexpectedKeys };
  }

  loadStateDict(weights: Map<string, { shape: number[]; data: Float32Array }>, options: { strict?: boolean; source?: string } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const source = options.source ?? "state dict";
    // Validate everything first: a bad file leaves the model as it was.
    const { missingKeys, unexpectedKeys } = this.checkStateDict(weights, source);
    if (options.strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(`${this.constructor.name}: ${source} does not match the model (missing: ${missingKeys.join(", ") || "none"}; unexpected: ${unexpectedKeys.join(", ") || "none"})`);
    }
    for (const [rawName, w] of weights) {
      const name = canonicalName(rawName);
      const v = this.params.get(name);
      if (!v) continue;
      tf.tidy(() => {
        const t = tf.tensor(w.data, w.shape, "float32");
        v.assign(this.linearWeights.has(name) ? tf.transpose(t) : t);
      });
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Writes `config.json` and `model.safetensors` (float32, HF names and layouts), each atomically. */
  savePretrained(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const tensors = new Map<string, SafeTensor>();
    for (const [name, t] of this.stateDict()) tensors.set(name, { dtype: "F32", shape: t.shape, data: t.data });
    writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt" });
    writeJsonAtomic(path.join(dir, "config.json"), this.config);
  }

  /** Reads `model.safetensors` of a folder into this model; warns like HF about missing/unexpected keys. */
  loadWeightsFrom(dir: string, options: { quiet?: boolean } = {}): void {
    const file = path.join(dir, "model.safetensors");
    const weights = readWeights(file);
    const { missingKeys, unexpectedKeys } = this.loadStateDict(weights, { source: file });
    if (!options.quiet) {
      const ignorable = (k: string) => /position_ids$/.test(k);
      const unexpected = unexpectedKeys.filter((k) => !ignorable(k));
      if (unexpected.length) logger.warn(`Some weights of ${file} were not used by ${this.constructor.name}: ${unexpected.slice(0, 8).join(", ")}${unexpected.length > 8 ? ", …" : ""}`);
      if (missingKeys.length) logger.warn(`Some weights of ${this.constructor.name} were not initialized from ${file} and are newly initialized: ${missingKeys.join(", ")}. You should probably TRAIN this model on a down-stream task.`);
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** A safetensors file's tensors as float32 arrays, by name. */
export function readWeights(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const { tensors } = readSafetensors(file);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) weights.set(name, { shape: t.shape, data: toFloat32(t) });
  return weights;
}

/** Reads and validates a folder's config.json. */
export function readConfig(dir: string): ModelConfig {
  if (!fs.existsSync(dir)) throw new Error(`Model folder not found: ${dir}`);
  const config = readJson<ModelConfig>(path.join(dir, "config.json"), "Model config");
  validateConfig(config);
  return config;
}
