// An out-of-scope detector as part of a model: a score (softmax, energy,
// Mahalanobis, kNN), its threshold, and the fitted tensors, saved in the
// model folder (config.json names it; the tensors go to
// oos_detector.safetensors, checksummed like the weights).
import * as fs from "node:fs";
import * as path from "node:path";
import { SafeTensor, parseSafetensors, serializeSafetensors } from "../models/safetensors";
import { recordFileChecksum, verifyFileChecksum } from "../models/folder";
import { readJson, writeFileAtomic, writeJsonAtomic } from "../utils/fs";
import { argmax } from "../evaluation";
import { energyScore, maxSoftmaxScore } from "./scores";
import { MahalanobisParams, mahalanobisScore } from "./mahalanobis";
import { KnnParams, knnScore } from "./knn";

export type OosDetectorKind = "softmax" | "energy" | "mahalanobis" | "knn";

/**
 * Every kind, simplest first (the order ties are broken in).
 *
 * @example OOS_DETECTOR_KINDS.join(); // "softmax,energy,mahalanobis,knn"
 */
export const OOS_DETECTOR_KINDS: readonly OosDetectorKind[] = Object.freeze(["softmax", "energy", "mahalanobis", "knn"]);

/**
 * The file beside config.json that holds a detector's fitted tensors.
 *
 * @example path.join("data/models/distilbert-clinc-pruned", OOS_DETECTOR_FILE); // where its Mahalanobis or kNN tensors live
 */
export const OOS_DETECTOR_FILE = "oos_detector.safetensors";

/** What config.json's `task_specific_params["text-classification"].oos_detector` holds. */
export interface SavedOosDetector {
  kind: OosDetectorKind;
  /** Scores below it are out of scope; null: never. */
  threshold: number | null;
  /** Energy's temperature. */
  temperature?: number;
  /** kNN's neighbour. */
  k?: number;
  /** The model's own out-of-scope label id (see OosDetectorParams.oosId). */
  oos_id?: number;
  /** Where the threshold was chosen ("validation"). */
  tuned_on?: string;
  /** The tensors' file, relative to the folder (Mahalanobis, kNN). */
  file?: string;
}

export interface OosDetectorParams {
  /**
   * The model's own out-of-scope label id, when it has one: a row it already
   * predicts as out of scope scores −Infinity (it is out of scope whatever
   * the threshold, and must rank below every in-scope row). Softmax and
   * energy read every column, as in their papers (the softmax score is then
   * the chapter's rule exactly).
   */
  oosId?: number;
  temperature?: number;
  mahalanobis?: MahalanobisParams;
  knn?: KnnParams;
}

/**
 * A fitted out-of-scope detector: `score(logits, features)` (higher = in
 * scope) and the threshold below which a query is out of scope. Softmax and
 * energy read the logits; Mahalanobis and kNN read the pooled features (the
 * classifier's input), which the pipelines ask the model for.
 *
 * @example
 * const detector = new OosDetector("energy", 4.1, { temperature: 1 });
 * detector.isOutOfScope(logits); // energyScore(logits) < 4.1
 */
export class OosDetector {
  constructor(
    readonly kind: OosDetectorKind,
    readonly threshold: number | null,
    readonly params: OosDetectorParams = {},
    readonly tunedOn?: string,
  ) {
    if (!OOS_DETECTOR_KINDS.includes(kind)) throw new Error(`OosDetector: unknown kind "${kind}" (known: ${OOS_DETECTOR_KINDS.join(", ")})`);
    if (threshold !== null && !Number.isFinite(threshold)) throw new Error(`OosDetector: threshold must be a finite number or null, got ${threshold}`);
    if (kind === "softmax" && threshold !== null && !(threshold >= 0 && threshold <= 1)) throw new Error(`OosDetector: a softmax threshold is a probability in [0, 1], got ${threshold}`);
    if (kind === "mahalanobis" && !params.mahalanobis) throw new Error("OosDetector: a Mahalanobis detector needs its fitted means and whitening (params.mahalanobis)");
    if (kind === "knn" && !params.knn) throw new Error("OosDetector: a kNN detector needs its bank (params.knn)");
  }

  /** Whether scoring needs the pooled features besides the logits. */
  get needsFeatures(): boolean {
    return this.kind === "mahalanobis" || this.kind === "knn";
  }

  /** The feature width it was fitted on (Mahalanobis, kNN). */
  get featureDim(): number | undefined {
    return this.params.mahalanobis?.dim ?? this.params.knn?.dim;
  }

  /** Bytes of its tensors as saved (what it adds to a model's size). */
  get byteSize(): number {
    const m = this.params.mahalanobis, k = this.params.knn;
    return (m ? m.whitening.byteLength + m.means.byteLength + m.classIds.byteLength : 0) + (k ? k.bank.byteLength : 0);
  }

  /** The detector's score of one row (higher = more in scope; −Infinity when the model itself predicts its oos label). */
  score(logits: ArrayLike<number>, features?: ArrayLike<number>): number {
    const oosId = this.params.oosId;
    if (oosId !== undefined && argmax(logits) === oosId) return -Infinity;
    switch (this.kind) {
      case "softmax":
        return maxSoftmaxScore(logits);
      case "energy":
        return energyScore(logits, this.params.temperature ?? 1);
      case "mahalanobis":
      case "knn":
        if (!features) throw new Error(`OosDetector: the ${this.kind} detector needs the model's pooled features (a model or ONNX file without a pooled_output cannot use it)`);
        return this.kind === "mahalanobis" ? mahalanobisScore(this.params.mahalanobis!, features) : knnScore(this.params.knn!, features);
    }
  }

  /** Whether a row falls below the threshold. */
  isOutOfScope(logits: ArrayLike<number>, features?: ArrayLike<number>): boolean {
    return this.threshold !== null && this.score(logits, features) < this.threshold;
  }

  /** The same detector with another threshold. */
  withThreshold(threshold: number | null, tunedOn = this.tunedOn): OosDetector {
    return new OosDetector(this.kind, threshold, this.params, tunedOn);
  }

  /** What config.json records (the tensors go to `OOS_DETECTOR_FILE`). */
  toJSON(): SavedOosDetector {
    return {
      kind: this.kind,
      threshold: this.threshold,
      ...(this.params.oosId !== undefined ? { oos_id: this.params.oosId } : {}),
      ...(this.kind === "energy" ? { temperature: this.params.temperature ?? 1 } : {}),
      ...(this.kind === "knn" ? { k: this.params.knn!.k } : {}),
      ...(this.tunedOn ? { tuned_on: this.tunedOn } : {}),
      ...(this.needsFeatures ? { file: OOS_DETECTOR_FILE } : {}),
    };
  }

  /**
   * Saves the detector into a model folder: config.json's
   * `task_specific_params["text-classification"].oos_detector` and, for
   * Mahalanobis and kNN, `oos_detector.safetensors` (its checksum recorded in
   * config.json). Both written atomically; the tensors first, so a crash
   * never leaves a config naming a file that is not there.
   *
   * @example
   * detector.save("data/models/distilbert-clinc-pruned");
   */
  save(dir: string): void {
    const configFile = path.join(dir, "config.json");
    if (!fs.existsSync(configFile)) throw new Error(`OosDetector.save: ${configFile} does not exist (save the model first)`);
    const file = path.join(dir, OOS_DETECTOR_FILE);
    if (this.needsFeatures) {
      const tensors: Record<string, SafeTensor> = {};
      const m = this.params.mahalanobis, k = this.params.knn;
      if (m) {
        tensors["mahalanobis.whitening"] = { dtype: "F32", shape: [m.dim, m.dim], data: m.whitening };
        tensors["mahalanobis.means"] = { dtype: "F32", shape: [m.classIds.length, m.dim], data: m.means };
        tensors["mahalanobis.class_ids"] = { dtype: "I32", shape: [m.classIds.length], data: m.classIds };
      }
      if (k) tensors["knn.bank"] = { dtype: "F32", shape: [k.bank.length / k.dim, k.dim], data: k.bank };
      const bytes = serializeSafetensors(tensors, { kind: this.kind });
      writeFileAtomic(file, bytes);
      recordFileChecksum(file, bytes, dir);
    }
    const config = readJson<Record<string, unknown>>(configFile, "config.json");
    const tsp = (config.task_specific_params ?? {}) as Record<string, Record<string, unknown>>;
    const tc: Record<string, unknown> = { ...(tsp["text-classification"] ?? {}), oos_detector: this.toJSON() };
    if (!("oos_label" in tc)) tc.oos_label = "oos";
    writeJsonAtomic(configFile, { ...config, task_specific_params: { ...tsp, "text-classification": tc } });
    if (!this.needsFeatures && fs.existsSync(file)) fs.rmSync(file);
  }

  /**
   * The detector a model folder saved, or undefined when it saved none. A
   * malformed record, a missing or corrupt tensor file, or tensors of the
   * wrong shape are errors naming the file.
   *
   * @example
   * OosDetector.fromPretrained("data/models/distilbert-clinc-pruned")?.kind; // "mahalanobis"
   */
  static fromPretrained(dir: string, config?: object): OosDetector | undefined {
    const configFile = path.join(dir, "config.json");
    const cfg = config ?? (fs.existsSync(configFile) ? readJson<object>(configFile, "config.json") : undefined);
    const saved = savedOosDetector(cfg, configFile);
    if (!saved) return undefined;
    const common = saved.oos_id !== undefined ? { oosId: saved.oos_id } : {};
    if (!saved.file) return new OosDetector(saved.kind, saved.threshold, { ...common, ...(saved.kind === "energy" ? { temperature: saved.temperature ?? 1 } : {}) }, saved.tuned_on);
    const file = path.join(dir, saved.file);
    if (!fs.existsSync(file)) throw new Error(`OosDetector: ${configFile} names an out-of-scope detector file ${saved.file} that is missing from ${dir}`);
    const bytes = new Uint8Array(fs.readFileSync(file));
    verifyFileChecksum(file, bytes, dir);
    const st = parseSafetensors(bytes, file);
    const get = (name: string, rank: number) => {
      const t = st.tensors.get(name);
      if (!t) throw new Error(`OosDetector: ${file} has no tensor "${name}" (has: ${[...st.tensors.keys()].join(", ")})`);
      if (t.shape.length !== rank) throw new Error(`OosDetector: ${file}: "${name}" has shape [${t.shape}], expected rank ${rank}`);
      return t;
    };
    if (saved.kind === "mahalanobis") {
      const w = get("mahalanobis.whitening", 2), m = get("mahalanobis.means", 2), c = get("mahalanobis.class_ids", 1);
      const dim = w.shape[0];
      if (w.shape[1] !== dim || m.shape[1] !== dim || c.shape[0] !== m.shape[0] || w.dtype !== "F32" || m.dtype !== "F32" || c.dtype !== "I32") {
        throw new Error(`OosDetector: ${file} holds inconsistent Mahalanobis tensors (whitening [${w.shape}] ${w.dtype}, means [${m.shape}] ${m.dtype}, class ids [${c.shape}] ${c.dtype})`);
      }
      return new OosDetector("mahalanobis", saved.threshold, { ...common, mahalanobis: { dim, whitening: w.data as Float32Array, means: m.data as Float32Array, classIds: c.data as Int32Array } }, saved.tuned_on);
    }
    const b = get("knn.bank", 2);
    if (b.dtype !== "F32") throw new Error(`OosDetector: ${file}: "knn.bank" must be F32, got ${b.dtype}`);
    const k = saved.k ?? 1;
    if (k > b.shape[0]) throw new Error(`OosDetector: ${configFile} asks for neighbour k = ${k} but the bank in ${file} has ${b.shape[0]} rows`);
    return new OosDetector("knn", saved.threshold, { ...common, knn: { dim: b.shape[1], k, bank: b.data as Float32Array } }, saved.tuned_on);
  }
}

/**
 * The detector record of a config (validated), or undefined when it has none.
 *
 * @example
 * savedOosDetector({ task_specific_params: { "text-classification": { oos_detector: { kind: "energy", threshold: 4.1 } } } }); // { kind: "energy", threshold: 4.1 }
 */
export function savedOosDetector(config: object | undefined, where = "config.json"): SavedOosDetector | undefined {
  const tc = ((config as { task_specific_params?: Record<string, Record<string, unknown>> } | undefined)?.task_specific_params ?? {})["text-classification"];
  const d = tc?.oos_detector as Partial<SavedOosDetector> | undefined;
  if (d === undefined) return undefined;
  const bad = (why: string) => new Error(`${where}: task_specific_params["text-classification"].oos_detector ${why} (got ${JSON.stringify(d).slice(0, 120)})`);
  if (!d || typeof d !== "object") throw bad("must be an object");
  if (!OOS_DETECTOR_KINDS.includes(d.kind as OosDetectorKind)) throw bad(`has an unknown kind (known: ${OOS_DETECTOR_KINDS.join(", ")})`);
  if (!(d.threshold === null || (typeof d.threshold === "number" && Number.isFinite(d.threshold)))) throw bad("needs a finite threshold or null");
  if ((d.kind === "mahalanobis" || d.kind === "knn") && typeof d.file !== "string") throw bad("needs the file of its tensors");
  if (d.temperature !== undefined && !(typeof d.temperature === "number" && d.temperature > 0)) throw bad("has a temperature that is not positive");
  if (d.k !== undefined && !(Number.isInteger(d.k) && d.k >= 1)) throw bad("has a k that is not a positive integer");
  if (d.oos_id !== undefined && !(Number.isInteger(d.oos_id) && d.oos_id >= 0)) throw bad("has an oos_id that is not a label id");
  return d as SavedOosDetector;
}
