import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { EncoderSpec, ModelConfig, encoderSpec, numLabels, validateConfig } from "./config";
import { floatWeights, readSafetensors, toFloat32, writePretrainedFolder } from "./safetensors";
import { rememberConfigFolder, withoutFolderRecords } from "./folder";
import { checkFolderTokenizer } from "../tokenizers/fingerprint";
import { activation, dropout, embedding, layerNorm, linear, matMul } from "../ops";
import { Random } from "../utils/random";
import { readJson } from "../utils/fs";
import { logger } from "../utils/log";
import { checkOptionKeys } from "../utils/options";

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
  /** Return the classifier's input (`pooledOutput`: the activated head dense on [CLS]), the features out-of-scope detectors read. */
  outputPooledOutput?: boolean;
}

export interface SequenceClassifierOutput {
  /** [batch, numLabels]; for a masked-LM model [positions, vocab]. */
  logits: tf.Tensor2D;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
  /** [batch, hidden]: what the classifier reads (BERT: tanh(pooler); DistilBERT: relu(pre_classifier)), before dropout. */
  pooledOutput?: tf.Tensor2D;
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

/** A transform of a dense layer's input (activation fake-quantization); `training` says whether observers may update. */
export type InputTransform = (x: tf.Tensor, layer: string, context: { training: boolean }) => tf.Tensor;

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

/** Non-parameter tensors HF checkpoints may carry (registered buffers): ignored on load. */
function isSavedBuffer(name: string): boolean {
  return /embeddings\.(position_ids|token_type_ids)$/.test(name);
}

/** Parameter-name prefixes of architectures whose folders a user might mix up. */
const KNOWN_PREFIXES = ["bert", "distilbert", "roberta", "albert", "electra", "deberta", "xlm-roberta", "gpt2", "transformer"];

/** Index of the first NaN or infinite value, or -1. */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/**
 * The keys LoadWeightsOptions has (others are a misspelling: an error).
 *
 * @example
 * LOAD_OPTIONS; // ["strict", "quiet", "newParameters", "unusedWeights"]
 * checkOptionKeys({ stict: false }, LOAD_OPTIONS, "fromPretrained"); // Error: fromPretrained: unknown option "stict" (did you mean "strict"?)…
 */
export const LOAD_OPTIONS: readonly string[] = Object.freeze(["strict", "quiet", "newParameters", "unusedWeights"]);

/** Weights by HF name, as float32 arrays in HF layout. */
export type StateDict = Map<string, { shape: number[]; data: Float32Array }>;

/** How weights load into a model (see `PreTrainedModel.loadStateDict`). */
export interface LoadWeightsOptions {
  /** Default true: a missing or unexpected weight is an error. false: warn and keep the missing parameters' initialisation (HF's behaviour). */
  strict?: boolean;
  /** No warnings (errors stay errors). */
  quiet?: boolean;
  /** Parameters expected to be absent (a new head): they keep their initialisation. */
  newParameters?: (name: string) => boolean;
  /** Weights of the file expected to go unused (another task's head). */
  unusedWeights?: (name: string) => boolean;
}

/**
 * Base class of our TensorFlow.js sequence classifiers: parameters live in a
 * map keyed by Hugging Face state_dict names, `savePretrained` writes
 * config.json + model.safetensors and `fromPretrained` reads them back (also
 * from a real HF checkpoint folder of the same architecture).
 *
 * @example
 * const model: PreTrainedModel = AutoModelForSequenceClassification.fromPretrained("data/models/bert-clinc-teacher");
 * const { logits } = model.call({ input_ids, attention_mask }); // logits: [batch, 151]
 * model.savePretrained("outputs/models/my-teacher"); // config.json + model.safetensors
 */
export abstract class PreTrainedModel {
  readonly config: ModelConfig;
  readonly spec: EncoderSpec;
  private readonly parameters = new Map<string, tf.Variable>();
  private disposed = false;
  /** Names of 2-D linear weights, held as [in, out] (transposed from PyTorch's [out, in]). */
  protected readonly linearWeights = new Set<string>();
  /** Transforms applied when a weight is read in the forward pass (see `registerWeightTransform`). */
  readonly weightTransforms = new Map<string, WeightTransform>();
  /** Transforms applied to a dense layer's input in the forward pass (see `registerInputTransform`). */
  readonly inputTransforms = new Map<string, InputTransform>();
  abstract readonly scheme: ParamScheme;

  constructor(config: ModelConfig) {
    validateConfig(config);
    this.config = config;
    this.spec = encoderSpec(config);
  }

  get numLabels(): number {
    return numLabels(this.config);
  }

  /**
   * The parameters by Hugging Face name. Every use of the model goes through
   * here, so after `dispose()` each (call, stateDict, savePretrained,
   * loading, training) throws `<ClassName>: this model was disposed`.
   */
  get params(): Map<string, tf.Variable> {
    if (this.disposed) throw new Error(`${this.constructor.name}: this model was disposed (dispose() released its weights); load or create it again`);
    return this.parameters;
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this.disposed;
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
      // The variable shares the initial tensor's data; dispose the tensor so
      // the model owns the only reference (else every build leaks a copy).
      const initial = tf.tensor(values, shape);
      this.params.set(name, tf.variable(initial, true, `${this.constructor.name}/${name}/${Math.random().toString(36).slice(2)}`));
      initial.dispose();
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

  /**
   * Registers a transform of a dense layer's input (its name without
   * `.weight`, e.g. "bert.encoder.layer.0.intermediate.dense"), e.g. the
   * activation fake-quantization of quantization-aware training; pass
   * undefined to remove it.
   */
  registerInputTransform(layer: string, transform: InputTransform | undefined): void {
    if (!this.params.has(`${layer}.weight`) || !this.linearWeights.has(`${layer}.weight`)) throw new Error(`${this.constructor.name}: no dense layer named "${layer}"`);
    if (transform) this.inputTransforms.set(layer, transform);
    else this.inputTransforms.delete(layer);
  }

  /** Names of the dense (Linear) layers, in forward order (without `.weight`). */
  denseLayers(): string[] {
    return [...this.linearWeights].map((w) => w.replace(/\.weight$/, ""));
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

  protected dense(x: tf.Tensor, name: string, options: ForwardOptions = {}): tf.Tensor {
    const t = this.inputTransforms.get(name);
    return linear(t ? t(x, name, { training: options.training ?? false }) : x, this.weight(`${name}.weight`), this.weight(`${name}.bias`));
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
    const pooled: { features?: tf.Tensor2D } = {};
    const logits = this.head(enc, inputs, options, pooled);
    if (options.outputPooledOutput && !pooled.features) throw new Error(`${this.constructor.name}: this head has no pooled output`);
    return {
      logits,
      ...(options.outputPooledOutput ? { pooledOutput: pooled.features } : {}),
      ...(options.outputHiddenStates ? { hiddenStates: enc.hiddenStates } : {}),
      ...(options.outputAttentions ? { attentions: enc.attentions } : {}),
    };
  }

  /** The task head on the encoder's output: the [CLS] classifier by default. */
  protected head(enc: EncoderOutput, _inputs: ModelInputs, options: ForwardOptions, pooledOut?: { features?: tf.Tensor2D }): tf.Tensor2D {
    const s = this.spec;
    const sc = this.scheme;
    if (!sc.headDense || !sc.classifier) throw new Error(`${this.constructor.name}: no classification head`);
    const seed = () => (options.training ? options.rng!.int(2 ** 31) : undefined);
    const [batch] = enc.sequenceOutput.shape;
    const cls = tf.reshape(tf.slice(enc.sequenceOutput, [0, 0, 0], [batch, 1, s.hidden]), [batch, s.hidden]);
    const pooled = this.dense(cls, sc.headDense.name, options);
    const activated = sc.headDense.activation === "tanh" ? tf.tanh(pooled) : tf.relu(pooled);
    if (pooledOut) pooledOut.features = activated as tf.Tensor2D;
    return this.dense(dropout(activated, s.classifierDropout, seed()), sc.classifier, options) as tf.Tensor2D;
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
      const q = splitHeads(this.dense(x, n.query, options), [0, 2, 1, 3]); // [b, h, s, d]
      const kT = splitHeads(this.dense(x, n.key, options), [0, 2, 3, 1]); // [b, h, d, s]
      const v = splitHeads(this.dense(x, n.value, options), [0, 2, 1, 3]);
      const scores = tf.add(tf.mul(matMul(q, kT), scale), maskBias);
      const probs = tf.softmax(scores);
      if (options.outputAttentions) attentions.push(probs as tf.Tensor4D);
      const ctx = matMul(dropout(probs, s.attentionDropout, seed()), v); // [b, h, s, d]
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [batch, seq, heads * headDim]);
      const attnOut = dropout(this.dense(merged, n.attentionOutput, options), s.hiddenDropout, seed());
      x = this.norm(tf.add(attnOut, x), n.attentionNorm);
      const inter = act(this.dense(x, n.intermediate, options));
      const ffnOut = dropout(this.dense(inter, n.output, options), s.hiddenDropout, seed());
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
   * Checks weights against the model without changing it: every shape must
   * match and every value be finite (an error names the first offender);
   * returns the missing and unexpected keys.
   */
  checkStateDict(weights: StateDict, source = "state dict", configSource = "the config"): { missingKeys: string[]; unexpectedKeys: string[] } {
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
        throw new Error(`${this.constructor.name}: weight "${rawName}" in ${source} has shape [${w.shape}] but ${configSource} needs [${expected}]${this.shapeHint(name)}`);
      }
      if (w.data.length !== v.size) throw new Error(`${this.constructor.name}: weight "${rawName}" in ${source} has ${w.data.length} values for shape [${w.shape}]`);
      const bad = firstNonFinite(w.data);
      if (bad >= 0) throw new Error(`${this.constructor.name}: weight "${rawName}" in ${source} holds ${w.data[bad]} at index ${bad}; weights must be finite (the file is corrupt or comes from a diverged training run)`);
      seen.add(name);
    }
    return { missingKeys: [...this.params.keys()].filter((k) => !seen.has(k)), unexpectedKeys };
  }

  /** Which config field sets a parameter's shape, for error messages. */
  private shapeHint(name: string): string {
    const sc = this.scheme;
    if (name === `${sc.wordEmbeddings}.weight` || name.endsWith("predictions.bias")) return ` (vocab_size is ${this.spec.vocabSize}; the tokenizer and the weights must use the same vocabulary)`;
    if (name === `${sc.positionEmbeddings}.weight`) return ` (max_position_embeddings is ${this.spec.maxPositions})`;
    if (sc.classifier && name.startsWith(`${sc.classifier}.`)) return ` (id2label names ${this.numLabels} labels)`;
    return "";
  }

  /**
   * Loads Hugging Face-layout weights. Everything is checked before the model
   * changes (a bad file leaves it as it was). Strict by default: a parameter
   * the weights lack (it would keep its random initialisation) or a weight
   * the model does not use is an error naming the first keys; `strict: false`
   * loads anyway and warns, as HF's `from_pretrained`. Buffers HF saves
   * (`position_ids`) are ignored, and `newParameters` / `unusedWeights` name
   * the expected differences of a head swap (fine-tuning a masked-LM folder).
   */
  loadStateDict(weights: StateDict, options: LoadWeightsOptions & { source?: string; configSource?: string } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const source = options.source ?? "state dict";
    const configSource = options.configSource ?? "the config";
    const { missingKeys, unexpectedKeys } = this.checkStateDict(weights, source, configSource);
    const cls = this.constructor.name;
    if (missingKeys.length === this.params.size) throw new Error(`${cls}: ${source} holds none of the model's ${this.params.size} parameters ${this.noMatchReason(weights, configSource)}`);
    const newKeys = missingKeys.filter((k) => options.newParameters?.(k));
    const missing = missingKeys.filter((k) => !options.newParameters?.(k));
    const unused = unexpectedKeys.filter((k) => isSavedBuffer(k) || options.unusedWeights?.(k));
    const unexpected = unexpectedKeys.filter((k) => !unused.includes(k));
    const first = (keys: string[]) => `${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}`;
    if ((options.strict ?? true) && (missing.length || unexpected.length)) {
      const parts = [
        ...(missing.length ? [`${missing.length} of the model's parameters are missing from it (first: ${first(missing)})`] : []),
        ...(unexpected.length ? [`${unexpected.length} of its weights are not used by the model (first: ${first(unexpected)})`] : []),
      ];
      throw new Error(`${cls}: ${source} does not match ${configSource}: ${parts.join("; ")}${this.typeHint(unexpected, configSource)}. Missing parameters would keep random weights; pass { strict: false } only to train such a model (the missing ones start from their initialisation).`);
    }
    if (!options.quiet) {
      if (unexpected.length) logger.warn(`Some weights of ${source} were not used by ${cls}: ${first(unexpected)}`);
      if (missing.length) logger.warn(`Some weights of ${cls} were not initialized from ${source} and are newly initialized: ${missing.join(", ")}. You should probably TRAIN this model on a down-stream task.`);
      const dropped = unused.filter((k) => !isSavedBuffer(k));
      if (newKeys.length) logger.warn(`${cls} from ${source}: ${newKeys.join(", ")} are newly initialized${dropped.length ? ` and ${dropped.length} weights of its other head are unused (${first(dropped)})` : ""}. Train this model before using its predictions.`);
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

  /** The parameter-name prefix of this architecture ("bert", "distilbert"). */
  private keyPrefix(): string {
    return this.scheme.wordEmbeddings.split(".")[0];
  }

  /** When unexpected keys carry another architecture's prefix: which, for the error. */
  private typeHint(unexpected: readonly string[], configSource: string): string {
    const own = this.keyPrefix();
    const other = unexpected.map((k) => k.split(".")[0]).find((p) => p !== own && KNOWN_PREFIXES.includes(p));
    return other ? `; the weights look like a "${other}" model (keys ${other}.*) but ${configSource} says model_type "${this.config.model_type}"` : "";
  }

  private noMatchReason(weights: StateDict, configSource: string): string {
    if (weights.size === 0) return "(it holds no tensors at all)";
    const keys = [...weights.keys()];
    const hint = this.typeHint(keys, configSource);
    if (hint) return `(${hint.slice(2)})`;
    return `(its first keys: ${keys.slice(0, 3).join(", ")}; the model expects e.g. ${[...this.params.keys()].slice(0, 2).join(", ")})`;
  }

  /** Writes `config.json` and `model.safetensors` (float32, HF names and layouts), each atomically. */
  savePretrained(dir: string): void {
    writePretrainedFolder(dir, this.stateDict(), this.config);
  }

  /** Reads a folder's `model.safetensors` into this model (strict by default, see `loadStateDict`). */
  loadWeightsFrom(dir: string, options: LoadWeightsOptions = {}): void {
    this.loadStateDict(readWeights(path.join(dir, "model.safetensors")), { ...options, source: path.join(dir, "model.safetensors"), configSource: path.join(dir, "config.json") });
  }

  /** Releases the weights; every later use is an error naming it, and a second dispose does nothing. */
  dispose(): void {
    if (this.disposed) return;
    for (const v of this.parameters.values()) v.dispose();
    this.parameters.clear();
    this.disposed = true;
  }
}

/**
 * Loads a folder's weights into a freshly built model; on any error the
 * model is disposed before the error propagates, so a failed load leaves no
 * tensors behind.
 *
 * @example
 * return loadInto(new DistilBertForSequenceClassification(config), dir, options);
 */
export function loadInto<M extends PreTrainedModel>(model: M, dir: string, options: LoadWeightsOptions = {}): M {
  try {
    checkOptionKeys(options, LOAD_OPTIONS, `${model.constructor.name}.fromPretrained`);
    model.loadWeightsFrom(dir, options);
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * A safetensors file's tensors as float32 arrays, by name. Weights must be
 * stored in a float dtype (an integer one is an error naming the tensor, see
 * `floatWeights`); integer buffers HF checkpoints carry (`position_ids`) are
 * converted and ignored on load. The file's recorded checksum is verified
 * (`readSafetensors`).
 *
 * @example
 * readWeights("data/models/bert-clinc-teacher/model.safetensors").get("classifier.weight")!.shape; // [151, 256] (PyTorch's [out, in])
 */
export function readWeights(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const { tensors } = readSafetensors(file);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) weights.set(name, { shape: t.shape, data: isSavedBuffer(name) ? toFloat32(t) : floatWeights(t, name, file) });
  return weights;
}

/**
 * Reads and validates a folder's config.json. When it records the model's
 * tokenizer (`tokenizer_fingerprint`), the folder's tokenizer.json must be
 * that one (another model's is an error naming both). The folder's records
 * (checksums, tokenizer fingerprint) are left out of the config returned:
 * they describe this folder's files, not the model.
 *
 * @example
 * readConfig("data/models/distilbert-clinc").model_type; // "distilbert"
 */
export function readConfig(dir: string): ModelConfig {
  if (!fs.existsSync(dir)) throw new Error(`Model folder not found: ${dir}`);
  const config = readJson<ModelConfig>(path.join(dir, "config.json"), "Model config");
  validateConfig(config);
  checkFolderTokenizer(dir);
  return rememberConfigFolder(withoutFolderRecords(config), dir);
}
