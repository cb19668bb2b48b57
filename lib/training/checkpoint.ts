// Checkpoint folders as Hugging Face's Trainer writes them: checkpoint-<step>/
// with the model (config.json, model.safetensors), the tokenizer, the
// optimizer state, trainer_state.json and training_args.json. A folder is
// written under a temporary name and renamed when complete, so a crash never
// leaves a checkpoint-<step> that resume would trust; loading validates every
// file before it changes the model or the optimizer.
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel, readWeights } from "../models/modeling";
import { floatWeights, readSafetensors, writeSafetensors, SafeTensor } from "../models/safetensors";
import { BertTokenizer } from "../tokenizers";
import { readJson, writeJsonAtomic } from "../utils/fs";
import type { AdamW } from "./optimizer";
import type { TrainerState } from "./callbacks";
import type { TrainingArguments } from "./trainingArguments";

const CHECKPOINT = /^checkpoint-(\d+)$/;
/** What a complete checkpoint folder holds (the optimizer file only when saved with one). */
const REQUIRED = ["config.json", "model.safetensors", "trainer_state.json"];

/**
 * Complete checkpoint-<step> folders of a run, oldest first (temporary and incomplete folders are ignored).
 *
 * @example
 * listCheckpoints("runs/x"); // ["runs/x/checkpoint-500", "runs/x/checkpoint-1000"]
 */
export function listCheckpoints(outputDir: string): string[] {
  if (!fs.existsSync(outputDir)) return [];
  return fs
    .readdirSync(outputDir)
    .filter((d) => CHECKPOINT.test(d) && REQUIRED.every((f) => fs.existsSync(path.join(outputDir, d, f))))
    .sort((a, b) => Number(CHECKPOINT.exec(a)![1]) - Number(CHECKPOINT.exec(b)![1]))
    .map((d) => path.join(outputDir, d));
}

/**
 * The newest complete checkpoint-<step> folder of a run, or undefined when there is none.
 *
 * @example
 * latestCheckpoint("runs/x"); // "runs/x/checkpoint-1000", or undefined before the first save
 */
export function latestCheckpoint(outputDir: string): string | undefined {
  return listCheckpoints(outputDir).at(-1);
}

/** `.checkpoint-<step>.<pid>.tmp`: the temporary folder a save writes before renaming it. */
const TEMPORARY = /^\.checkpoint-\d+\.(\d+)\.(tmp|old)$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary folders that interrupted saves left in a run's
 * folder (a process killed mid-save never reaches its own clean-up): those
 * of processes that are no longer running. Returns the folders removed.
 *
 * @example
 * removeStaleCheckpointTemps("runs/x"); // ["runs/x/.checkpoint-500.4242.tmp"] after a run was killed while saving
 */
export function removeStaleCheckpointTemps(outputDir: string): string[] {
  if (!fs.existsSync(outputDir)) return [];
  const removed: string[] = [];
  for (const d of fs.readdirSync(outputDir)) {
    const m = TEMPORARY.exec(d);
    if (!m || processAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(outputDir, d), { recursive: true, force: true });
    removed.push(path.join(outputDir, d));
  }
  return removed;
}

/**
 * Writes a checkpoint folder atomically: everything goes to a sibling
 * temporary folder that is renamed to `dir` when complete. If anything fails
 * (a full disk, a file that cannot be written) the temporary folder is
 * removed and an existing `dir` is left as it was; the error names `dir`
 * (and, for a full disk, the file). Temporary folders of earlier saves that
 * were killed mid-way are removed first.
 *
 * @example
 * saveCheckpoint("runs/x/checkpoint-500", { model, tokenizer, optimizer, state: trainer.state, args: trainer.args }); // "runs/x/checkpoint-500"
 */
export function saveCheckpoint(dir: string, parts: { model: PreTrainedModel; tokenizer: BertTokenizer; optimizer?: AdamW; state: TrainerState; args: Readonly<TrainingArguments> }): string {
  const parent = path.dirname(dir);
  const tmp = path.join(parent, `.${path.basename(dir)}.${process.pid}.tmp`);
  const old = path.join(parent, `.${path.basename(dir)}.${process.pid}.old`);
  try {
    removeStaleCheckpointTemps(parent);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
    parts.model.savePretrained(tmp);
    parts.tokenizer.savePretrained(tmp);
    if (parts.optimizer) {
      const st = parts.optimizer.stateDict();
      const tensors = new Map<string, SafeTensor>();
      for (const [k, t] of st.tensors) tensors.set(k, { dtype: "F32", shape: t.shape, data: t.data });
      writeSafetensors(path.join(tmp, "optimizer.safetensors"), tensors, { step: String(st.step) });
    }
    writeJsonAtomic(path.join(tmp, "trainer_state.json"), parts.state);
    writeJsonAtomic(path.join(tmp, "training_args.json"), parts.args);
    // Replace an existing folder by moving it aside first, so a failed rename can put it back.
    const existed = fs.existsSync(dir);
    if (existed) fs.renameSync(dir, old);
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      if (existed) fs.renameSync(old, dir);
      throw err;
    }
    fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`saveCheckpoint: ${dir} was not saved (its temporary folder was removed): ${e?.message ?? String(err)}`, { cause: err }), e?.code ? { code: e.code } : {});
  }
  return dir;
}

/**
 * Restores model weights, optimizer state and trainer state from a
 * checkpoint. Every file is read and checked first (weights against the
 * model's shapes, optimizer entries against its parameters, the state's
 * steps per epoch against this run); only then are the model and optimizer
 * changed, so a failed resume leaves both as they were.
 *
 * @example
 * const state = loadCheckpoint(latestCheckpoint("runs/x")!, { model, optimizer, stepsPerEpoch: trainer.state.stepsPerEpoch });
 * state.globalStep; // 1000
 */
export function loadCheckpoint(dir: string, parts: { model: PreTrainedModel; optimizer: AdamW; stepsPerEpoch: number }): TrainerState {
  if (!fs.existsSync(dir)) throw new Error(`Trainer: checkpoint not found: ${dir}`);
  const missing = [...REQUIRED, "optimizer.safetensors"].filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) throw new Error(`Trainer: checkpoint ${dir} is incomplete (missing ${missing.join(", ")})`);
  const weightsFile = path.join(dir, "model.safetensors");
  const weights = readWeights(weightsFile);
  const { missingKeys, unexpectedKeys } = parts.model.checkStateDict(weights, weightsFile, path.join(dir, "config.json"));
  if (missingKeys.length) throw new Error(`Trainer: checkpoint ${weightsFile} lacks ${missingKeys.length} of the model's parameters (first: ${missingKeys.slice(0, 3).join(", ")})`);
  if (unexpectedKeys.length) throw new Error(`Trainer: checkpoint ${weightsFile} has ${unexpectedKeys.length} weights this model does not have (first: ${unexpectedKeys.slice(0, 3).join(", ")}); it was written for another model`);
  const optFile = path.join(dir, "optimizer.safetensors");
  const st = readSafetensors(optFile);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of st.tensors) tensors.set(k, { shape: t.shape, data: floatWeights(t, k, optFile) });
  const optState = { step: Number(st.metadata.step ?? 0), tensors };
  parts.optimizer.validateStateDict(optState, optFile);
  for (const [k, t] of tensors) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`Trainer: ${optFile} entry "${k}" holds ${t.data[bad]} at index ${bad}; the optimizer state must be finite`);
  }
  const saved = readJson<TrainerState>(path.join(dir, "trainer_state.json"), "trainer state");
  if (!(Number.isInteger(saved.globalStep) && saved.globalStep >= 0)) throw new Error(`Trainer: ${path.join(dir, "trainer_state.json")} has no valid globalStep`);
  if (saved.stepsPerEpoch !== parts.stepsPerEpoch) {
    throw new Error(`Trainer: checkpoint ${dir} was written with ${saved.stepsPerEpoch} steps per epoch, this run has ${parts.stepsPerEpoch} (batch size or dataset changed)`);
  }
  parts.model.loadStateDict(weights, { source: weightsFile, configSource: path.join(dir, "config.json") });
  // tidy: the optimizer's new moment slots start from zerosLike tensors that must not outlive the load.
  tf.tidy(() => parts.optimizer.loadStateDict(optState, optFile));
  return saved;
}

/**
 * Deletes the oldest checkpoints beyond `limit`, never the best one
 * (HF's save_total_limit with load_best_model_at_end).
 *
 * @example
 * rotateCheckpoints("runs/x", 2, trainer.state.bestModelCheckpoint); // keeps the best and the newest other one
 */
export function rotateCheckpoints(outputDir: string, limit: number, bestCheckpoint?: string): void {
  if (limit <= 0) return;
  const all = listCheckpoints(outputDir);
  const best = bestCheckpoint && path.resolve(bestCheckpoint);
  const removable = all.filter((d) => path.resolve(d) !== best);
  const keep = Math.max(0, limit - (best && all.some((d) => path.resolve(d) === best) ? 1 : 0));
  for (const d of removable.slice(0, Math.max(0, removable.length - keep))) fs.rmSync(d, { recursive: true, force: true });
}
