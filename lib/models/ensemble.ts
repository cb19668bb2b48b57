import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { ModelInputs } from "./modeling";
import { isLogitsRunner, loadSequenceClassifier, registerModelKind } from "./registry";
import { SequenceClassificationModel, maxSequenceLength } from "./sequenceClassification";
import { configWithRecords, rememberConfigFolder, withoutFolderRecords } from "./folder";
import { checkFolderTokenizer } from "../tokenizers/fingerprint";
import { readJson, writeJsonAtomic } from "../utils/fs";

/**
 * How members are combined: `"logits"`, the weighted mean of their logits;
 * `"probabilities"`, the weighted mean of their softmaxes, returned as
 * log-probabilities (so a softmax of the output is the mixture itself).
 */
export type EnsembleCombine = "logits" | "probabilities";

const COMBINES: readonly EnsembleCombine[] = ["logits", "probabilities"];

export interface EnsembleOptions {
  /** One weight per member, each >= 0, summing to 1. Default: equal weights. */
  weights?: readonly number[];
  /** Default "probabilities". */
  combine?: EnsembleCombine;
}

/** config.json of a saved ensemble; each member is a model folder beside it. */
export interface EnsembleConfig {
  model_type: "ensemble";
  architectures: ["EnsembleForSequenceClassification"];
  combine: EnsembleCombine;
  weights: number[];
  /** Sub-folders of the members, in order. */
  members: string[];
  id2label: Record<string, string>;
  label2id: Record<string, number>;
}

const ENSEMBLE_OPTION_KEYS = new Set(["weights", "combine"]);
const WEIGHT_SUM_TOLERANCE = 1e-6;

function checkLabels(members: readonly SequenceClassificationModel[]): void {
  const first = members[0].config.id2label;
  const n = members[0].numLabels;
  members.forEach((m, i) => {
    if (i === 0) return;
    if (m.numLabels !== n) throw new Error(`EnsembleForSequenceClassification: member ${i} has ${m.numLabels} labels, member 0 has ${n} (the members must share one label set)`);
    for (let id = 0; id < n; id++) {
      const a = first[String(id)];
      const b = m.config.id2label[String(id)];
      if (a !== b) throw new Error(`EnsembleForSequenceClassification: member ${i} names label ${id} "${b}", member 0 names it "${a}" (the members must share one label set, in the same order)`);
    }
  });
}

/** Token ids mean the same to every member only when they share a vocabulary; compare what configs say. */
function checkVocabularies(members: readonly SequenceClassificationModel[]): void {
  const sizes = members.map((m) => (m.config as { vocab_size?: unknown }).vocab_size);
  const known = sizes.map((s, i) => [s, i] as const).filter(([s]) => typeof s === "number");
  for (const [s, i] of known) {
    if (s !== known[0][0]) throw new Error(`EnsembleForSequenceClassification: member ${i} has vocab_size ${s}, member ${known[0][1]} has ${known[0][0]} (the members must read the same token ids: one tokenizer)`);
  }
}

function resolveWeights(weights: readonly number[] | undefined, n: number): number[] {
  if (weights === undefined) return Array.from({ length: n }, () => 1 / n);
  if (!Array.isArray(weights) || weights.length !== n) throw new Error(`EnsembleForSequenceClassification: weights must have one entry per member (${n}), got ${JSON.stringify(weights)}`);
  weights.forEach((w, i) => {
    if (!(typeof w === "number" && Number.isFinite(w) && w >= 0)) throw new Error(`EnsembleForSequenceClassification: weight ${i} is ${w}; weights must be finite numbers >= 0`);
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) throw new Error(`EnsembleForSequenceClassification: weights must sum to 1, got ${sum} (${JSON.stringify(weights)})`);
  return [...weights];
}

function logSumExp(xs: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i] > max) max = xs[i];
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i] - max);
  return max + Math.log(s);
}

/**
 * The ensemble's arithmetic on flat row-major logits ([batch, numLabels] per
 * member), in float64: the weighted mean of the logits, or the log of the
 * weighted mean of the softmaxes. Weights are used as given (the class
 * validates them); zero-weight members may be left out.
 *
 * @example
 * combineLogits([bertLogits, bowLogits], [0.6, 0.4], "probabilities", 151); // Float32Array [batch * 151]
 */
export function combineLogits(members: readonly ArrayLike<number>[], weights: readonly number[], combine: EnsembleCombine, numLabels: number): Float32Array {
  if (members.length === 0 || members.length !== weights.length) throw new Error(`combineLogits: ${members.length} members for ${weights.length} weights`);
  const size = members[0].length;
  if (size % numLabels !== 0 || members.some((m) => m.length !== size)) throw new Error(`combineLogits: members have ${members.map((m) => m.length).join(", ")} values, expected equal multiples of ${numLabels}`);
  const batch = size / numLabels;
  const out = new Float32Array(size);
  if (combine === "logits") {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let k = 0; k < members.length; k++) s += weights[k] * members[k][j];
      out[j] = s;
    }
    return out;
  }
  const terms = new Float64Array(members.length);
  const row = new Float64Array(numLabels);
  for (let b = 0; b < batch; b++) {
    // log p_k = logits_k − logsumexp(logits_k); the mixture is logsumexp_k(log w_k + log p_k).
    const norms = members.map((m) => {
      for (let c = 0; c < numLabels; c++) row[c] = m[b * numLabels + c];
      return logSumExp(row);
    });
    for (let c = 0; c < numLabels; c++) {
      for (let k = 0; k < members.length; k++) terms[k] = Math.log(weights[k]) + members[k][b * numLabels + c] - norms[k];
      out[b * numLabels + c] = logSumExp(terms);
    }
  }
  return out;
}

/**
 * A teacher made of several classifiers with one label set: BERT plus the
 * bag-of-words baseline, say. Each call runs every member with a non-zero
 * weight on the same padded ids and combines their outputs. The members'
 * logits are read back and combined in float64, so no gradient ever reaches
 * a member (a teacher is not trained), and the result is an ordinary
 * [batch, numLabels] tensor: the DistillationTrainer takes the ensemble as its
 * `teacherModel` like any model.
 *
 * @example
 * const teacher = new EnsembleForSequenceClassification([bert, bow], { weights: [0.6, 0.4], combine: "probabilities" });
 * tf.tidy(() => teacher.call({ input_ids, attention_mask }).logits); // log of 0.6·softmax(bert) + 0.4·softmax(bow)
 */
export class EnsembleForSequenceClassification implements SequenceClassificationModel {
  readonly members: readonly SequenceClassificationModel[];
  readonly weights: readonly number[];
  readonly combine: EnsembleCombine;
  readonly config: EnsembleConfig;

  constructor(members: readonly SequenceClassificationModel[], options: EnsembleOptions = {}) {
    for (const k of Object.keys(options)) if (!ENSEMBLE_OPTION_KEYS.has(k)) throw new Error(`EnsembleForSequenceClassification: unknown option "${k}" (known: ${[...ENSEMBLE_OPTION_KEYS].join(", ")})`);
    if (!Array.isArray(members) || members.length === 0) throw new Error("EnsembleForSequenceClassification: pass at least one member model");
    members.forEach((m, i) => {
      if (!m || typeof m.call !== "function" || !m.config?.id2label) throw new Error(`EnsembleForSequenceClassification: member ${i} is not a sequence classifier (it needs call() and config.id2label)`);
    });
    const combine = options.combine ?? "probabilities";
    if (!COMBINES.includes(combine)) throw new Error(`EnsembleForSequenceClassification: combine must be one of ${COMBINES.join(", ")}, got "${combine}"`);
    checkLabels(members);
    checkVocabularies(members);
    this.members = [...members];
    this.weights = resolveWeights(options.weights, members.length);
    this.combine = combine;
    const { id2label } = members[0].config;
    const label2id = members[0].config.label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, name]) => [name, Number(id)]));
    this.config = {
      model_type: "ensemble",
      architectures: ["EnsembleForSequenceClassification"],
      combine,
      weights: [...this.weights],
      members: members.map((_, i) => `member_${i}`),
      id2label: { ...id2label },
      label2id: { ...label2id },
    };
  }

  get numLabels(): number {
    return this.members[0].numLabels;
  }

  /** The shortest limit among the members (inputs must fit all of them). */
  get maxSequenceLength(): number | undefined {
    const limits = this.members.map(maxSequenceLength).filter((n): n is number => n !== undefined);
    return limits.length ? Math.min(...limits) : undefined;
  }

  private disposed = false;

  /** Throws once the ensemble was disposed. */
  private checkAlive(): void {
    if (this.disposed) throw new Error("EnsembleForSequenceClassification: this model was disposed (dispose() released its members); load or create it again");
  }

  /** One member's logits as a detached float array, shape-checked. */
  private memberLogits(i: number, inputs: ModelInputs): Float32Array {
    const logits = tf.tidy(() => this.members[i].call(inputs, { training: false }).logits);
    try {
      const [batch] = inputs.input_ids.shape;
      if (logits.rank !== 2 || logits.shape[0] !== batch || logits.shape[1] !== this.numLabels) {
        throw new Error(`EnsembleForSequenceClassification: member ${i} returned logits of shape [${logits.shape}], expected [${batch}, ${this.numLabels}]`);
      }
      return logits.dataSync() as Float32Array;
    } finally {
      logits.dispose();
    }
  }

  /** Combined logits [batch, numLabels] (log-probabilities when combining probabilities). Call inside `tf.tidy` or dispose them. */
  call(inputs: ModelInputs, _options: { training?: boolean } = {}): { logits: tf.Tensor2D } {
    this.checkAlive();
    const [batch] = inputs.input_ids.shape;
    const active = this.weights.map((w, i) => [w, i] as const).filter(([w]) => w > 0);
    const rows = active.map(([, i]) => this.memberLogits(i, inputs));
    const out = combineLogits(rows, active.map(([w]) => w), this.combine, this.numLabels);
    return { logits: tf.tensor2d(out, [batch, this.numLabels]) };
  }

  /**
   * Writes config.json and each member into its own sub-folder (`member_0`,
   * …; each records its weights' checksum). config.json records the
   * tokenizer fingerprint when the folder already holds a tokenizer.json;
   * `tokenizer.savePretrained(dir)` after it records its own.
   */
  savePretrained(dir: string): void {
    this.checkAlive();
    fs.mkdirSync(dir, { recursive: true });
    this.members.forEach((m, i) => m.savePretrained(path.join(dir, this.config.members[i])));
    writeJsonAtomic(path.join(dir, "config.json"), configWithRecords(dir, this.config, {}));
  }

  /**
   * Loads a folder written by `savePretrained` (members of any kind
   * `loadSequenceClassificationModel` reads, each checked as its loader
   * checks it). Another model's tokenizer.json in the folder is an error
   * when config.json records the tokenizer fingerprint.
   */
  static fromPretrained(dir: string): EnsembleForSequenceClassification {
    const config = rememberConfigFolder(withoutFolderRecords(readJson<EnsembleConfig>(path.join(dir, "config.json"), "Ensemble config")), dir);
    if (config?.model_type !== "ensemble") throw new Error(`EnsembleForSequenceClassification.fromPretrained: ${dir} holds a "${config?.model_type}" model, not an ensemble`);
    if (!Array.isArray(config.members) || config.members.length === 0) throw new Error(`EnsembleForSequenceClassification.fromPretrained: ${dir}/config.json lists no members`);
    checkFolderTokenizer(dir);
    const members: SequenceClassificationModel[] = [];
    try {
      for (const name of config.members) members.push(loadSequenceClassificationModel(path.join(dir, name)));
      return new EnsembleForSequenceClassification(members, { weights: config.weights, combine: config.combine });
    } catch (err) {
      for (const m of members) m.dispose();
      throw err;
    }
  }

  /** Disposes every member (the ensemble owns them once built, as a pipeline owns its model). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of this.members) m.dispose();
  }
}

/**
 * Loads a TensorFlow.js sequence classifier folder of any registered kind
 * (BERT, DistilBERT, the bag-of-words baseline, an ensemble), as ensemble
 * members and teachers need: ONNX-backed folders are refused.
 *
 * @example
 * const model = loadSequenceClassificationModel("data/models/bow-clinc"); // a BagOfWordsClassifier
 */
export function loadSequenceClassificationModel(dir: string): SequenceClassificationModel {
  const model = loadSequenceClassifier(dir, { quiet: true });
  if (isLogitsRunner(model)) {
    model.dispose();
    throw new Error(`${dir} holds a model that runs in ONNX Runtime; ensemble members and teachers must be TensorFlow.js model folders`);
  }
  return model;
}

registerModelKind({ name: "ensemble", modelTypes: ["ensemble"], load: (dir) => EnsembleForSequenceClassification.fromPretrained(dir) });
