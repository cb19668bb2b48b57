// The Study (Optuna's Study): runs the optimisation loop, holding a Sampler,
// a Pruner and a Storage by interface.
import * as os from "node:os";
import { randomUUID } from "node:crypto";
import { Distribution, ParamValue, checkDistributionCompatibility } from "./distributions";
import { FrozenTrial, StudyDirection, StudyNotFoundError, TrialPruned, TrialState, cloneTrial, isFinished, lastStep, processStart, thisWorker } from "./frozenTrial";
import { Trial, checkJson } from "./trial";
import type { Sampler, StudyView } from "./samplers/base";
import { TPESampler } from "./samplers/tpe";
import type { Pruner } from "./pruners/base";
import { MedianPruner } from "./pruners/median";
import type { Storage } from "./storage/base";
import { checkKeys, redact } from "./storage/base";
import { InMemoryStorage } from "./storage/inMemory";
import { JournalStorage, pidAlive } from "./storage/journal";
import { PostgresStorage } from "./storage/postgres";
import { logger } from "../utils/log";

/** The objective: returns the value to minimise or maximise (or throws TrialPruned). */
export type Objective = (trial: Trial) => number | Promise<number>;

/** Called after each trial of `optimize` with the finished trial. */
export type StudyCallback = (study: Study, trial: FrozenTrial) => void | Promise<void>;

/** An error class `optimize` may catch (see OptimizeOptions.catch). */
export type ErrorClass = abstract new (...args: any[]) => Error;

export interface OptimizeOptions {
  /** Trials to run in this call (unbounded when unset: stop by timeout, a callback or the sampler). */
  nTrials?: number;
  /** Seconds after which no new trial starts (a running trial is not interrupted, as Optuna). */
  timeout?: number;
  /** Called after each trial, in order. */
  callbacks?: StudyCallback[];
  /**
   * Errors of these classes (e.g. `[Error]` for all) fail the trial and the
   * study goes on. Any other error fails the trial, recorded with its message,
   * and is re-thrown by `optimize`: Optuna's default (`catch=()`).
   */
  catch?: readonly ErrorClass[];
}

/** One row of `trialsDataframe()`. */
export type TrialRow = Record<string, string | number | boolean | null>;

/**
 * A hyperparameter search: a direction, a sampler that proposes parameters,
 * a pruner that stops unpromising trials, and a storage that keeps every
 * trial. Create one with `createStudy`.
 *
 * The properties `trials`, `bestTrial`, `bestValue` and `bestParams` read
 * the study's view of its storage as of its last storage call (each trial
 * refreshes it); `await study.refresh()` sees other workers' newest trials.
 *
 * @example
 * const study = await createStudy({ direction: "minimize", sampler: new TPESampler({ seed: 0 }) });
 * await study.optimize((t) => (t.suggestFloat("x", -10, 10) - 2) ** 2, { nTrials: 50 });
 * study.bestParams; // { x: 2.01… }
 */
export class Study implements StudyView {
  private cache: readonly FrozenTrial[] = [];
  private readonly live = new Map<number, Trial>();
  private writes: Promise<void> = Promise.resolve();
  private writeError: Error | null = null;
  private refreshing: Promise<void> | null = null;
  private stopRequested = false;
  private heartbeats = new Map<number, NodeJS.Timeout>();

  /** @internal Use createStudy / loadStudy. */
  constructor(
    readonly studyName: string,
    readonly studyId: number,
    readonly storage: Storage,
    readonly direction: StudyDirection,
    readonly sampler: Sampler,
    readonly pruner: Pruner,
  ) {}

  /** Every trial (copies), in number order. */
  get trials(): FrozenTrial[] {
    return this.cache.map(cloneTrial);
  }

  /** Trials in number order, optionally of some states, without copying (do not change them). */
  getTrials(options: { states?: readonly TrialState[] } = {}): readonly FrozenTrial[] {
    const states = options.states;
    return states ? this.cache.filter((t) => states.includes(t.state)) : this.cache;
  }

  /** The COMPLETE trial with the best value (the first, on ties). */
  get bestTrial(): FrozenTrial {
    let best: FrozenTrial | undefined;
    for (const t of this.cache) {
      if (t.state !== "COMPLETE" || t.value === null) continue;
      if (!best || (this.direction === "minimize" ? t.value < best.value! : t.value > best.value!)) best = t;
    }
    if (!best) throw new Error(`Study "${this.studyName}" has no COMPLETE trial yet (${this.cache.length} trials): run optimize first`);
    return cloneTrial(best);
  }
  get bestValue(): number {
    return this.bestTrial.value!;
  }
  get bestParams(): Record<string, ParamValue> {
    return this.bestTrial.params;
  }

  /** Re-reads the trials from the storage. */
  async refresh(): Promise<void> {
    this.cache = await this.storage.getAllTrials(this.studyId);
  }

  /** Asks `optimize` to stop after the current trial (Optuna's study.stop). */
  stop(): void {
    this.stopRequested = true;
  }

  /** The study's user attributes, read from the storage (so a promise). */
  get userAttrs(): Promise<Record<string, unknown>> {
    return this.storage.getStudyUserAttrs(this.studyId);
  }

  /** Attaches a JSON value to the study. */
  async setUserAttr(key: string, value: unknown): Promise<void> {
    checkJson(`setUserAttr("${key}")`, value);
    await this.storage.setStudyUserAttr(this.studyId, key, value);
  }

  /** @internal Throws if `name` had another kind of distribution in an earlier trial. */
  checkCompatibility(name: string, distribution: Distribution): void {
    for (const t of this.cache) {
      const d = t.distributions[name];
      if (d) return checkDistributionCompatibility(name, d, distribution);
    }
  }

  /** Sets a system attribute on a RUNNING trial of this process (samplers, pruners). */
  setTrialSystemAttr(trialId: number, key: string, value: unknown): void {
    const trial = this.live.get(trialId);
    if (trial) trial.setSystemAttr(key, value);
    else this.queueWrite((s) => s.setTrialSystemAttr(trialId, key, value));
  }

  /** @internal Queues a storage write after the earlier ones; the first failure surfaces at the next flush. */
  queueWrite(write: (storage: Storage) => Promise<unknown>): void {
    this.writes = this.writes.then(
      () => write(this.storage).then(() => undefined),
    ).catch((err) => {
      this.writeError ??= err as Error;
    });
  }

  /** @internal Refreshes the trial view in the background (pruners see other workers' reports). */
  refreshSoon(): void {
    if (this.refreshing || this.storage instanceof InMemoryStorage) return;
    this.refreshing = this.writes
      .then(() => this.refresh())
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = null;
      });
  }

  private async flush(): Promise<void> {
    await this.writes;
    if (this.writeError) {
      const err = this.writeError;
      this.writeError = null;
      throw err;
    }
  }

  /**
   * Starts a trial: the oldest enqueued (WAITING) one if any, else a new one
   * (Optuna's ask). Finish it with `tell`.
   *
   * @example
   * const trial = await study.ask();
   * await study.tell(trial, f(trial.suggestFloat("x", 0, 1)));
   */
  async ask(): Promise<Trial> {
    await this.flush();
    const frozen = (await this.storage.claimWaitingTrial(this.studyId, thisWorker())) ?? (await this.storage.createNewTrial(this.studyId, undefined, thisWorker()));
    await this.refresh();
    const trial = new Trial(this, frozen);
    this.live.set(frozen.trialId, trial);
    this.startHeartbeat(frozen.trialId);
    try {
      trial.initRelative();
    } catch (err) {
      await this.finish(trial, "FAIL", null, `sampler failed: ${(err as Error).message}`);
      throw err;
    }
    return trial;
  }

  /**
   * Finishes a trial from `ask` (Optuna's tell): with a number it is COMPLETE
   * (a NaN or a missing value makes it FAIL), or pass a state.
   *
   * @example
   * await study.tell(trial, 0.25);
   * await study.tell(other, undefined, "PRUNED");
   */
  async tell(trial: Trial | number, value?: number, state?: TrialState): Promise<FrozenTrial> {
    const t = typeof trial === "number" ? [...this.live.values()].find((x) => x.number === trial) : trial;
    if (!t || !this.live.has(t.trialId)) throw new Error(`tell: trial ${typeof trial === "number" ? trial : trial.number} is not a running trial of this study object (finished already, or asked elsewhere)`);
    if (state !== undefined && !isFinished(state)) throw new Error(`tell: state must be COMPLETE, PRUNED or FAIL, got ${state}`);
    if (state === "PRUNED") return this.finish(t, "PRUNED", prunedValue(t.toFrozen()));
    if (state === "FAIL") return this.finish(t, "FAIL", null, "told FAIL");
    const problem = valueProblem(value);
    if (problem) {
      if (state === "COMPLETE") throw new Error(`tell: a COMPLETE trial needs a number value (${problem})`);
      return this.finish(t, "FAIL", null, problem);
    }
    return this.finish(t, "COMPLETE", value!);
  }

  /**
   * Queues a trial with fixed parameters (Optuna's enqueue_trial): the next
   * `ask` (in any worker) takes it, and its `suggest*` calls return these
   * values; parameters it leaves out are sampled as usual.
   *
   * @example
   * await study.enqueueTrial({ learningRate: 5e-4, layers: 2 });
   */
  async enqueueTrial(params: Record<string, ParamValue>, options: { userAttrs?: Record<string, unknown>; skipIfExists?: boolean } = {}): Promise<void> {
    checkKeys("enqueueTrial", options, ["userAttrs", "skipIfExists"]);
    checkJson("enqueueTrial", params);
    if (options.skipIfExists) {
      await this.refresh();
      const same = (p: Record<string, unknown> | undefined) => !!p && Object.keys(params).every((k) => p[k] === params[k]);
      if (this.cache.some((t) => same(t.systemAttrs.fixed_params as Record<string, unknown>) || (isFinished(t.state) && same(t.params)))) {
        logger.info(`enqueueTrial: ${JSON.stringify(params)} is already in the study; skipped`);
        return;
      }
    }
    await this.storage.createNewTrial(this.studyId, { state: "WAITING", systemAttrs: { fixed_params: { ...params } }, userAttrs: options.userAttrs ?? {} });
    await this.refresh();
  }

  /**
   * Adds a finished trial (Optuna's add_trial), e.g. results from an earlier search.
   *
   * @example
   * await study.addTrial({ params: { x: 1 }, distributions: { x: floatDistribution(-2, 2) }, value: 4 });
   */
  async addTrial(trial: { params: Record<string, ParamValue>; distributions: Record<string, Distribution>; value?: number | null; state?: TrialState; userAttrs?: Record<string, unknown>; intermediateValues?: Record<number, number> }): Promise<FrozenTrial> {
    const state = trial.state ?? "COMPLETE";
    if (state === "COMPLETE" && valueProblem(trial.value ?? undefined)) throw new Error(`addTrial: a COMPLETE trial needs a number value, got ${trial.value}`);
    for (const [k, d] of Object.entries(trial.distributions)) this.checkCompatibility(k, d);
    const frozen = await this.storage.createNewTrial(this.studyId, { ...trial, state, value: trial.value ?? null });
    await this.refresh();
    return frozen;
  }

  /**
   * Runs the objective `nTrials` times (or until `timeout` seconds pass, a
   * callback calls `study.stop()`, or the sampler is exhausted). A trial is
   * COMPLETE when the objective returns a number; PRUNED when it throws
   * `TrialPruned`; FAIL when it returns NaN or a non-number (the study goes
   * on) or throws (the message is kept in `systemAttrs.fail_reason`; the error
   * is re-thrown unless its class is in `catch`, as Optuna).
   *
   * Before each trial, RUNNING trials of processes that died on this machine
   * (or whose heartbeat stopped) are marked FAIL, and the storage's
   * `failedTrialCallback` runs for each.
   *
   * @example
   * await study.optimize(objective, { nTrials: 100, timeout: 600, catch: [Error] });
   */
  async optimize(objective: Objective, options: OptimizeOptions = {}): Promise<void> {
    checkKeys("optimize", options, ["nTrials", "timeout", "callbacks", "catch"]);
    if (typeof objective !== "function") throw new Error("optimize: the objective must be a function (trial) => number");
    const { nTrials, timeout, callbacks = [], catch: caught = [] } = options;
    if (nTrials !== undefined && (!Number.isInteger(nTrials) || nTrials < 0)) throw new Error(`optimize: nTrials must be a non-negative integer, got ${nTrials}`);
    if (timeout !== undefined && !(timeout > 0)) throw new Error(`optimize: timeout must be a positive number of seconds, got ${timeout}`);
    this.stopRequested = false;
    const started = Date.now();
    for (let i = 0; ; i++) {
      if (this.stopRequested) break;
      if (nTrials !== undefined && i >= nTrials) break;
      if (timeout !== undefined && (Date.now() - started) / 1000 >= timeout) break;
      const frozen = await this.runTrial(objective, caught);
      for (const cb of callbacks) await cb(this, frozen);
    }
    await this.flush();
  }

  private async runTrial(objective: Objective, caught: readonly ErrorClass[]): Promise<FrozenTrial> {
    await this.failStaleTrials();
    const trial = await this.ask();
    let result: unknown;
    let error: unknown;
    let state: TrialState | undefined;
    try {
      result = await objective(trial);
    } catch (err) {
      error = err;
      state = err instanceof TrialPruned ? "PRUNED" : "FAIL";
    }
    let frozen: FrozenTrial;
    if (state === "PRUNED") {
      frozen = await this.finish(trial, "PRUNED", prunedValue(trial.toFrozen()));
      logger.info(`Trial ${frozen.number} pruned. ${(error as Error).message === "Trial was pruned" ? "" : (error as Error).message}`.trim());
      return frozen;
    }
    if (state === "FAIL") {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      frozen = await this.finish(trial, "FAIL", null, message);
      logger.warn(`Trial ${frozen.number} failed with parameters: ${JSON.stringify(frozen.params)} because of the following error: ${message}`);
      if (!caught.some((cls) => error instanceof cls)) throw error;
      return frozen;
    }
    const problem = valueProblem(result);
    if (problem) {
      frozen = await this.finish(trial, "FAIL", null, problem);
      logger.warn(`Trial ${frozen.number} failed with parameters: ${JSON.stringify(frozen.params)}: ${problem}`);
      return frozen;
    }
    frozen = await this.finish(trial, "COMPLETE", result as number);
    if (logger.isEnabled("info")) {
      const best = this.bestTrial;
      logger.info(`Trial ${frozen.number} finished with value: ${frozen.value} and parameters: ${JSON.stringify(frozen.params)}. Best is trial ${best.number} with value: ${best.value}.`);
    }
    return frozen;
  }

  /** Records the result: waits for the trial's queued writes, tells the sampler, then the storage. */
  private async finish(trial: Trial, state: TrialState, value: number | null, failReason?: string): Promise<FrozenTrial> {
    try {
      await this.flush();
    } catch (err) {
      if (state !== "FAIL") failReason = `storage write failed: ${(err as Error).message}`;
      state = "FAIL";
      value = null;
    }
    try {
      this.sampler.afterTrial?.(this, trial.toFrozen(), state, value);
    } finally {
      this.stopHeartbeat(trial.trialId);
      if (failReason !== undefined) trial.setSystemAttr("fail_reason", failReason);
      await this.flush().catch((err) => logger.warn(`Trial ${trial.number}: ${(err as Error).message}`));
      const ok = await this.storage.setTrialStateValue(trial.trialId, state, value);
      if (!ok) logger.warn(`Trial ${trial.number} was finished by another process (judged stale?); its result here is dropped`);
      this.live.delete(trial.trialId);
    }
    await this.refresh();
    return cloneTrial(await this.storage.getTrial(trial.trialId));
  }

  private startHeartbeat(trialId: number): void {
    const every = this.storage.options.heartbeatInterval;
    if (!every || !this.storage.recordHeartbeat) return;
    const beat = () => this.storage.recordHeartbeat!(trialId).catch((err) => logger.warn(`heartbeat of trial id ${trialId} failed: ${(err as Error).message}`));
    void beat();
    const timer = setInterval(beat, every * 1000);
    timer.unref();
    this.heartbeats.set(trialId, timer);
  }

  private stopHeartbeat(trialId: number): void {
    const t = this.heartbeats.get(trialId);
    if (t) clearInterval(t);
    this.heartbeats.delete(trialId);
  }

  /**
   * Marks FAIL the RUNNING trials whose process is gone: one on this machine
   * whose pid no longer runs, or runs another process (told apart by the
   * process start time on Linux), or one (on any machine) whose
   * heartbeat is older than the storage's grace period (Optuna's
   * fail_stale_trials). Runs the storage's `failedTrialCallback` for each
   * trial this call failed (another process racing on the same trial loses).
   * Returns the trials it failed.
   */
  async failStaleTrials(): Promise<FrozenTrial[]> {
    const running = await this.storage.getAllTrials(this.studyId, ["RUNNING"]);
    const me = thisWorker();
    const stale = new Map<number, string>();
    for (const t of running) {
      if (this.live.has(t.trialId) || !t.worker) continue;
      const w = t.worker;
      if (w.host !== os.hostname() || w.id === me.id) continue;
      if (w.pid === me.pid || !pidAlive(w.pid)) stale.set(t.trialId, `its process (pid ${w.pid} on ${w.host}) is gone`);
      else if (w.start !== undefined) {
        // The pid runs, but is it still the worker's process? Its start time tells a reused pid apart.
        const now = processStart(w.pid);
        if (now !== undefined && now !== w.start) stale.set(t.trialId, `its process (pid ${w.pid} on ${w.host}) is gone; the pid now belongs to another process`);
      }
    }
    if (this.storage.getStaleTrialIds) {
      for (const id of await this.storage.getStaleTrialIds(this.studyId)) if (!this.live.has(id) && !stale.has(id)) stale.set(id, "its heartbeat stopped");
    }
    const failed: FrozenTrial[] = [];
    for (const [id, why] of stale) {
      await this.storage.setTrialSystemAttr(id, "fail_reason", `stale: ${why}`).catch(() => undefined);
      if (!(await this.storage.setTrialStateValue(id, "FAIL", null))) continue;
      const t = await this.storage.getTrial(id);
      logger.warn(`Trial ${t.number} was RUNNING but ${why}: marked FAIL`);
      failed.push(t);
      await this.storage.options.failedTrialCallback?.(this.storage, this.studyId, t);
    }
    if (stale.size) await this.refresh();
    return failed.map(cloneTrial);
  }

  /**
   * One row per trial, as Optuna's trials_dataframe: number, value,
   * datetime_start, datetime_complete, duration (seconds), params_<name>,
   * user_attrs_<key>, system_attrs_<key>, state. A parameter a trial did not
   * use is null.
   *
   * @example
   * console.table(study.trialsDataframe({ attrs: ["number", "value", "params", "state"] }));
   */
  trialsDataframe(options: { attrs?: readonly ("number" | "value" | "datetime_start" | "datetime_complete" | "duration" | "params" | "user_attrs" | "system_attrs" | "state")[] } = {}): TrialRow[] {
    checkKeys("trialsDataframe", options, ["attrs"]);
    const attrs = options.attrs ?? ["number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs", "system_attrs", "state"];
    const keysOf = (pick: (t: FrozenTrial) => Record<string, unknown>) => [...new Set(this.cache.flatMap((t) => Object.keys(pick(t))))].sort();
    const paramKeys = keysOf((t) => t.params);
    const userKeys = keysOf((t) => t.userAttrs);
    const systemKeys = keysOf((t) => t.systemAttrs);
    const cell = (v: unknown): string | number | boolean | null => (v === undefined || v === null ? null : typeof v === "object" ? JSON.stringify(v) : (v as string | number | boolean));
    return this.cache.map((t) => {
      const row: TrialRow = {};
      for (const a of attrs) {
        if (a === "number") row.number = t.number;
        else if (a === "value") row.value = t.value;
        else if (a === "datetime_start") row.datetime_start = t.datetimeStart?.toISOString() ?? null;
        else if (a === "datetime_complete") row.datetime_complete = t.datetimeComplete?.toISOString() ?? null;
        else if (a === "duration") row.duration = t.datetimeStart && t.datetimeComplete ? (t.datetimeComplete.getTime() - t.datetimeStart.getTime()) / 1000 : null;
        else if (a === "params") for (const k of paramKeys) row[`params_${k}`] = cell(t.params[k]);
        else if (a === "user_attrs") for (const k of userKeys) row[`user_attrs_${k}`] = cell(t.userAttrs[k]);
        else if (a === "system_attrs") for (const k of systemKeys) row[`system_attrs_${k}`] = cell(t.systemAttrs[k]);
        else if (a === "state") row.state = t.state;
        else throw new Error(`trialsDataframe: unknown attr "${a}"`);
      }
      return row;
    });
  }
}

/** Why a value cannot complete a trial, or undefined when it can. */
function valueProblem(value: unknown): string | undefined {
  if (typeof value !== "number") return `the objective returned ${value === undefined ? "undefined" : JSON.stringify(value)}, not a number`;
  if (Number.isNaN(value)) return "the objective returned NaN";
  return undefined;
}

/** A pruned trial's value: its last intermediate value, unless NaN (Optuna). */
function prunedValue(t: FrozenTrial): number | null {
  const s = lastStep(t);
  if (s === undefined) return null;
  const v = t.intermediateValues[s];
  return Number.isNaN(v) ? null : v;
}

export interface CreateStudyOptions {
  /** Name in the storage (default: a fresh "no-name-<uuid>"). */
  studyName?: string;
  direction?: StudyDirection;
  /** Default: TPESampler with Optuna's defaults. */
  sampler?: Sampler;
  /** Default: MedianPruner, as Optuna. */
  pruner?: Pruner;
  /** A Storage, "journal:<file>", "postgresql://user@host:port/db", or in-memory when unset. */
  storage?: Storage | string;
  /** Reuse a study of that name if the storage has one (its direction must match). */
  loadIfExists?: boolean;
}

/**
 * Turns a storage argument into a Storage: a Storage object as is;
 * "journal:<file>" → JournalStorage; "postgresql://…" (or "postgres://…") →
 * PostgresStorage; undefined → InMemoryStorage.
 *
 * @example
 * resolveStorage("journal:outputs/hpo.jsonl");
 */
export function resolveStorage(storage: Storage | string | undefined): Storage {
  if (storage === undefined) return new InMemoryStorage();
  if (typeof storage !== "string") return storage;
  if (storage.startsWith("journal:")) {
    const file = storage.slice("journal:".length);
    if (!file) throw new Error(`Storage "${redact(storage)}" names no file: use "journal:<path to a .jsonl file>"`);
    return new JournalStorage(file);
  }
  if (/^postgres(ql)?:\/\//.test(storage)) return new PostgresStorage(storage);
  throw new Error(`Unknown storage "${redact(storage)}": use "journal:<file>", "postgresql://user@host:port/database", or a Storage object`);
}

const DIRECTIONS: readonly StudyDirection[] = ["minimize", "maximize"];

/**
 * Creates a study (Optuna's create_study), or with `loadIfExists` loads the
 * one of that name, so an interrupted search resumes by running the same
 * code again.
 *
 * @example
 * const study = await createStudy({ studyName: "clinc-distillation", direction: "maximize", storage: "journal:outputs/hpo.jsonl", loadIfExists: true });
 */
export async function createStudy(options: CreateStudyOptions = {}): Promise<Study> {
  checkKeys("createStudy", options, ["studyName", "direction", "sampler", "pruner", "storage", "loadIfExists"]);
  const direction = options.direction ?? "minimize";
  if (!DIRECTIONS.includes(direction)) throw new Error(`createStudy: direction must be "minimize" or "maximize", got ${JSON.stringify(direction)}`);
  const storage = resolveStorage(options.storage);
  const studyName = options.studyName ?? `no-name-${randomUUID()}`;
  let studyId: number;
  try {
    studyId = await storage.createNewStudy(studyName, direction);
  } catch (err) {
    if (!(options.loadIfExists && (err as Error).name === "DuplicatedStudyError")) throw err;
    studyId = await storage.getStudyIdFromName(studyName);
    const stored = await storage.getStudyDirection(studyId);
    if (stored !== direction) throw new Error(`createStudy: study "${studyName}" exists with direction "${stored}", not "${direction}"`);
    logger.info(`Using an existing study with name '${studyName}' instead of creating a new one.`);
  }
  const study = new Study(studyName, studyId, storage, direction, options.sampler ?? new TPESampler(), options.pruner ?? new MedianPruner());
  await study.refresh();
  return study;
}

/**
 * Loads an existing study by name (Optuna's load_study).
 *
 * @example
 * const study = await loadStudy({ studyName: "rosenbrock", storage: "journal:outputs/hpo.jsonl" });
 */
export async function loadStudy(options: { studyName: string; storage: Storage | string; sampler?: Sampler; pruner?: Pruner }): Promise<Study> {
  checkKeys("loadStudy", options, ["studyName", "storage", "sampler", "pruner"]);
  const storage = resolveStorage(options.storage);
  const studyId = await storage.getStudyIdFromName(options.studyName);
  const direction = await storage.getStudyDirection(studyId);
  const study = new Study(options.studyName, studyId, storage, direction, options.sampler ?? new TPESampler(), options.pruner ?? new MedianPruner());
  await study.refresh();
  return study;
}

/**
 * Deletes a study and its trials from a storage.
 *
 * @example
 * await deleteStudy({ studyName: "rosenbrock", storage: "journal:outputs/hpo.jsonl" });
 * await loadStudy({ studyName: "rosenbrock", storage: "journal:outputs/hpo.jsonl" }); // now throws StudyNotFoundError
 */
export async function deleteStudy(options: { studyName: string; storage: Storage | string }): Promise<void> {
  const storage = resolveStorage(options.storage);
  await storage.deleteStudy(await storage.getStudyIdFromName(options.studyName));
}

/**
 * Stops the study once `nTrials` trials are in `states` (Optuna's
 * MaxTrialsCallback): with a persistent storage, a resumed or parallel
 * search stops at a total rather than running `nTrials` more.
 *
 * @example
 * await study.optimize(objective, { callbacks: [maxTrialsCallback(100)] });
 */
export function maxTrialsCallback(nTrials: number, states: readonly TrialState[] = ["COMPLETE"]): StudyCallback {
  return (study) => {
    if (study.getTrials({ states }).length >= nTrials) study.stop();
  };
}

/**
 * A failedTrialCallback that re-enqueues a stale trial's parameters as a new
 * WAITING trial (Optuna's RetryFailedTrialCallback): the failed trial stays
 * FAIL, and the copy records `failed_trial` (the first failed number) and
 * `retry_history` in its system attributes. At most `maxRetry` retries per
 * original trial (unbounded when null).
 *
 * @example
 * const storage = new JournalStorage("study.jsonl", { failedTrialCallback: retryFailedTrial({ maxRetry: 2 }) });
 */
export function retryFailedTrial(options: { maxRetry?: number | null; inheritIntermediateValues?: boolean } = {}): (storage: Storage, studyId: number, failed: FrozenTrial) => Promise<void> {
  checkKeys("retryFailedTrial", options, ["maxRetry", "inheritIntermediateValues"]);
  const maxRetry = options.maxRetry ?? null;
  return async (storage, studyId, failed) => {
    const history = [...((failed.systemAttrs.retry_history as number[] | undefined) ?? []), failed.number];
    if (maxRetry !== null && history.length > maxRetry) return;
    await storage.createNewTrial(studyId, {
      state: "WAITING",
      params: failed.params,
      distributions: failed.distributions,
      userAttrs: failed.userAttrs,
      systemAttrs: { failed_trial: (failed.systemAttrs.failed_trial as number | undefined) ?? failed.number, retry_history: history },
      intermediateValues: options.inheritIntermediateValues ? failed.intermediateValues : {},
    });
  };
}

export { StudyNotFoundError };
