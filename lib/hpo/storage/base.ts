// The Storage interface (Optuna's BaseStorage): a study's trials live here,
// and several processes may share one. Every method is async because one
// backend (PostgreSQL) is remote; the in-memory and journal ones answer at once.
import type { Distribution, ParamValue } from "../distributions";
import type { FrozenTrial, StudyDirection, TrialState, WorkerInfo } from "../frozenTrial";

/** One study, as `getAllStudies` lists it. */
export interface StudySummary {
  studyId: number;
  studyName: string;
  direction: StudyDirection;
  nTrials: number;
}

/** Fields a new trial may start with (enqueued trials, copies, retries). */
export interface TrialTemplate {
  state?: TrialState;
  value?: number | null;
  params?: Record<string, ParamValue>;
  distributions?: Record<string, Distribution>;
  intermediateValues?: Record<number, number>;
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
  datetimeStart?: Date | null;
  datetimeComplete?: Date | null;
}

/**
 * Called for each RUNNING trial found stale (its process died, or its
 * heartbeat stopped) after it is marked FAIL, as Optuna's failed_trial_callback.
 * `RetryFailedTrialCallback` re-enqueues its parameters.
 */
export type FailedTrialCallback = (storage: Storage, studyId: number, failed: FrozenTrial) => Promise<void> | void;

/** Options every persistent storage takes. */
export interface StorageOptions {
  /**
   * Seconds between heartbeats of a RUNNING trial (journal and PostgreSQL; off
   * when unset, as Optuna). Heartbeats are timers on the event loop: an
   * objective must await (yield) more often than the grace period, or other
   * workers judge its trial dead.
   */
  heartbeatInterval?: number;
  /** Seconds without a heartbeat after which a RUNNING trial is stale (default 2 × heartbeatInterval, as Optuna). */
  gracePeriod?: number;
  /** What to do with a trial found stale, after it is marked FAIL (e.g. new RetryFailedTrialCallback()). */
  failedTrialCallback?: FailedTrialCallback;
}

/**
 * Where a study's trials are kept. Trials returned are snapshots: a storage
 * never mutates a record it handed out (it replaces it), so callers may keep
 * references, and must not change them.
 *
 * Call order in a study: `createNewStudy` (or `getStudyIdFromName`), then per
 * trial `claimWaitingTrial` or `createNewTrial`, `setTrialParam` as the
 * objective asks, `setTrialIntermediateValue` as it reports, and last
 * `setTrialStateValue` to a finished state.
 *
 * @example
 * const storage = new InMemoryStorage();
 * const id = await storage.createNewStudy("demo", "minimize");
 * const t = await storage.createNewTrial(id);
 * await storage.setTrialStateValue(t.trialId, "COMPLETE", 1.5);
 */
export interface Storage {
  /** Heartbeat settings and failed-trial callback (undefined: none). */
  readonly options: StorageOptions;
  createNewStudy(studyName: string, direction: StudyDirection): Promise<number>;
  /** Throws StudyNotFoundError when absent. */
  getStudyIdFromName(studyName: string): Promise<number>;
  getStudyName(studyId: number): Promise<string>;
  getStudyDirection(studyId: number): Promise<StudyDirection>;
  getAllStudies(): Promise<StudySummary[]>;
  deleteStudy(studyId: number): Promise<void>;
  setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void>;
  getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>>;
  setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void>;
  getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>>;

  /** A new trial numbered after the study's last; RUNNING (owned by `worker`) unless the template says otherwise. */
  createNewTrial(studyId: number, template?: TrialTemplate, worker?: WorkerInfo): Promise<FrozenTrial>;
  /** Atomically takes the oldest WAITING trial and makes it RUNNING for `worker`; null when none waits. */
  claimWaitingTrial(studyId: number, worker: WorkerInfo): Promise<FrozenTrial | null>;
  setTrialParam(trialId: number, name: string, value: ParamValue, distribution: Distribution): Promise<void>;
  /**
   * Moves a RUNNING trial to `state` (a finished one). Returns false, changing
   * nothing, when the trial is no longer RUNNING (another process finished it).
   */
  setTrialStateValue(trialId: number, state: TrialState, value?: number | null): Promise<boolean>;
  setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void>;
  setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void>;
  setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void>;
  getTrial(trialId: number): Promise<FrozenTrial>;
  /** All trials of the study in number order, optionally of some states only. */
  getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]>;
  /** Records that a RUNNING trial's process is alive (storages with heartbeats). */
  recordHeartbeat?(trialId: number): Promise<void>;
  /** RUNNING trials whose heartbeat is older than the grace period. */
  getStaleTrialIds?(studyId: number): Promise<number[]>;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}

/**
 * Rejects unknown option keys, naming the known ones.
 *
 * @example
 * checkKeys("loadStudy", options, ["studyName", "storage", "sampler", "pruner"]);
 * checkKeys("createStudy", { nTrial: 3 }, ["studyName", "direction"]); // throws: createStudy: unknown option "nTrial" (known: studyName, direction)
 */
export function checkKeys(where: string, options: object | undefined, known: readonly string[]): void {
  for (const k of Object.keys(options ?? {})) if (!known.includes(k)) throw new Error(`${where}: unknown option "${k}" (known: ${known.join(", ")})`);
}

/**
 * Hides the password of every URL in a text (a storage URL, or a message
 * that quotes one), for errors and log lines. Everything between the user's
 * colon and the last "@" of the URL is hidden, so a password holding "@" or
 * ":" does not leak a tail.
 *
 * @example
 * redact("postgresql://hpo:s3cret@db.internal:5432/hpo"); // "postgresql://hpo:***@db.internal:5432/hpo"
 * redact('cannot open "postgres://u:p@ss@h/db"'); // 'cannot open "postgres://u:***@h/db"'
 */
export function redact(text: string): string {
  return String(text).replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'`]*:)[^\s/?#"'`]*@/gi, "$1***@");
}

/**
 * Checks heartbeat options and fills in Optuna's default grace period (twice
 * the interval). Throws, naming the storage, on a non-positive interval or
 * grace period, or a grace period without an interval.
 *
 * @example
 * heartbeatOptions("JournalStorage", { heartbeatInterval: 60 }); // { heartbeatInterval: 60, gracePeriod: 120 }
 * heartbeatOptions("JournalStorage", { gracePeriod: 10 }); // throws: gracePeriod needs heartbeatInterval
 */
export function heartbeatOptions<T extends StorageOptions>(where: string, options: T): T {
  const { heartbeatInterval, gracePeriod } = options;
  if (heartbeatInterval !== undefined && !(typeof heartbeatInterval === "number" && heartbeatInterval > 0 && Number.isFinite(heartbeatInterval))) throw new Error(`${where}: heartbeatInterval must be a positive number of seconds, got ${heartbeatInterval}`);
  if (gracePeriod !== undefined && !(typeof gracePeriod === "number" && gracePeriod > 0 && Number.isFinite(gracePeriod))) throw new Error(`${where}: gracePeriod must be a positive number of seconds, got ${gracePeriod}`);
  if (gracePeriod !== undefined && heartbeatInterval === undefined) throw new Error(`${where}: gracePeriod needs heartbeatInterval (no heartbeat is recorded without it)`);
  return { ...options, gracePeriod: gracePeriod ?? (heartbeatInterval !== undefined ? 2 * heartbeatInterval : undefined) };
}
