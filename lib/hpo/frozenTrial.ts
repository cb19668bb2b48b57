// The record of one trial, as storages keep it (Optuna's FrozenTrial), and
// the small helpers every part of the package shares.
import * as fs from "node:fs";
import * as os from "node:os";
import { randomUUID } from "node:crypto";
import type { Distribution, ParamValue } from "./distributions";

/** Optuna's TrialState: WAITING (enqueued), RUNNING, then one of the finished states. */
export type TrialState = "RUNNING" | "COMPLETE" | "PRUNED" | "FAIL" | "WAITING";

/**
 * Every TrialState, in the order of Optuna's TrialState enum.
 *
 * @example
 * TRIAL_STATES.filter(isFinished); // ["COMPLETE", "PRUNED", "FAIL"]
 * study.getTrials({ states: TRIAL_STATES }); // every trial, as study.getTrials()
 */
export const TRIAL_STATES: readonly TrialState[] = ["RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"];

/**
 * Whether a state is final (COMPLETE, PRUNED, FAIL): the trial never changes again.
 *
 * @example
 * isFinished("PRUNED"); // true
 * isFinished("RUNNING"); // false
 */
export function isFinished(state: TrialState): boolean {
  return state === "COMPLETE" || state === "PRUNED" || state === "FAIL";
}

export type StudyDirection = "minimize" | "maximize";

/** Which process runs a trial: a RUNNING trial whose process is gone is stale. */
export interface WorkerInfo {
  host: string;
  pid: number;
  /** Unique per process (a reused pid gets a new id). */
  id: string;
  /** When the process started, as `processStart` reads it (Linux), so a reused pid is told apart. */
  start?: string;
}

/**
 * When process `pid` of this machine started: the boot id and the start time
 * in clock ticks from /proc (Linux), unique to that process even after its
 * pid is reused. Undefined where /proc is missing or no such process runs.
 *
 * @example
 * processStart(process.pid); // "584b61e0-…:328145" on Linux, undefined elsewhere
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (in parentheses, which may hold spaces): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = fields[19];
    if (!ticks || !/^\d+$/.test(ticks)) return undefined;
    return `${BOOT_ID}:${ticks}`;
  } catch {
    return undefined;
  }
}

const BOOT_ID = (() => {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
})();

const THIS_START = processStart(process.pid);
const THIS_WORKER: WorkerInfo = { host: os.hostname(), pid: process.pid, id: randomUUID(), ...(THIS_START !== undefined ? { start: THIS_START } : {}) };

/**
 * This process's identity, recorded on every trial it runs.
 *
 * @example
 * thisWorker(); // { host: os.hostname(), pid: process.pid, id: "eb3a493b-…" }, the same object for every call in this process
 */
export function thisWorker(): WorkerInfo {
  return THIS_WORKER;
}

/**
 * One trial as recorded: its parameters (external values, as the objective saw
 * them) with their distributions, its value, intermediate values by step,
 * attributes and times.
 */
export interface FrozenTrial {
  /** Storage-wide id. */
  trialId: number;
  /** 0, 1, 2… within the study. */
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  /** Step → reported value (keys are integers, iterated in ascending order). */
  intermediateValues: Record<number, number>;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  datetimeStart: Date | null;
  datetimeComplete: Date | null;
  /** The process that runs (or ran) the trial. */
  worker: WorkerInfo | null;
}

/**
 * The largest step with a reported value, or undefined.
 *
 * @example
 * lastStep(newFrozenTrial({ trialId: 0, number: 0, intermediateValues: { 0: 0.71, 1: 0.8, 2: 0.84 } })); // 2
 * lastStep(newFrozenTrial({ trialId: 1, number: 1 })); // undefined (nothing reported)
 */
export function lastStep(t: FrozenTrial): number | undefined {
  let last: number | undefined;
  for (const k of Object.keys(t.intermediateValues)) {
    const s = Number(k);
    if (last === undefined || s > last) last = s;
  }
  return last;
}

/**
 * A deep copy (Dates and nested objects), so callers cannot change a storage's record.
 *
 * @example
 * const copy = cloneTrial(trial);
 * copy.userAttrs.note = "edited"; // trial.userAttrs is unchanged
 */
export function cloneTrial(t: FrozenTrial): FrozenTrial {
  return {
    ...t,
    params: { ...t.params },
    distributions: { ...t.distributions },
    intermediateValues: { ...t.intermediateValues },
    userAttrs: structuredClone(t.userAttrs),
    systemAttrs: structuredClone(t.systemAttrs),
    datetimeStart: t.datetimeStart ? new Date(t.datetimeStart) : null,
    datetimeComplete: t.datetimeComplete ? new Date(t.datetimeComplete) : null,
    worker: t.worker ? { ...t.worker } : null,
  };
}

/**
 * A new record with defaults (used by storages and tests).
 *
 * @example
 * newFrozenTrial({ trialId: 0, number: 0, state: "COMPLETE", value: 0.88 });
 * // { trialId: 0, number: 0, state: "COMPLETE", value: 0.88, params: {}, distributions: {}, intermediateValues: {}, …, worker: null }
 */
export function newFrozenTrial(fields: Partial<FrozenTrial> & { trialId: number; number: number }): FrozenTrial {
  return {
    state: "RUNNING",
    value: null,
    params: {},
    distributions: {},
    intermediateValues: {},
    userAttrs: {},
    systemAttrs: {},
    datetimeStart: null,
    datetimeComplete: null,
    worker: null,
    ...fields,
  };
}

/**
 * Thrown by an objective to stop a trial that the pruner gave up on (Optuna's
 * optuna.TrialPruned): the trial is recorded PRUNED, not FAIL.
 *
 * @example
 * if (trial.shouldPrune()) throw new TrialPruned();
 */
export class TrialPruned extends Error {
  constructor(message = "Trial was pruned") {
    super(message);
    this.name = "TrialPruned";
  }
}

/**
 * Thrown when creating a study whose name is taken (pass loadIfExists: true to reuse it).
 *
 * @example
 * await createStudy({ studyName: "rosenbrock", storage }); // a second time: throws DuplicatedStudyError
 * const study = await createStudy({ studyName: "rosenbrock", storage, loadIfExists: true }); // loads it instead
 */
export class DuplicatedStudyError extends Error {
  constructor(name: string) {
    super(`Another study named "${name}" already exists in this storage: pass loadIfExists: true to reuse it, or pick another studyName`);
    this.name = "DuplicatedStudyError";
  }
}

/**
 * Thrown when a study name or id is not in the storage.
 *
 * @example
 * await loadStudy({ studyName: "no-such-study", storage }); // throws StudyNotFoundError: No study named "no-such-study" in this storage
 */
export class StudyNotFoundError extends Error {
  constructor(what: string) {
    super(`No study ${what} in this storage`);
    this.name = "StudyNotFoundError";
  }
}
