// Storages built on StorageState: the in-memory one, and (in journal.ts) the
// journal file, which differ only in where an operation goes before it is applied.
import type { Distribution, ParamValue } from "../distributions";
import { FrozenTrial, StudyDirection, TrialState, WorkerInfo, isFinished, thisWorker } from "../frozenTrial";
import { Operation, StorageState, encodeNumber } from "./operations";
import type { Storage, StorageOptions, StudySummary, TrialTemplate } from "./base";

/**
 * A storage whose every change is an `Operation` applied to a `StorageState`.
 * Subclasses decide how an operation is made durable (`commit`), and may
 * bring the state up to date first (`sync`).
 *
 * @example
 * const storage: OperationStorage = new JournalStorage("outputs/hpo/study.jsonl"); // or new InMemoryStorage()
 * await storage.createNewStudy("rosenbrock", "minimize"); // 0 (the study id)
 * await storage.getStudyIdFromName("rosenbrock"); // 0
 */
export abstract class OperationStorage implements Storage {
  protected state = new StorageState();
  constructor(readonly options: StorageOptions = {}) {}

  /** Brings `state` up to date with other writers (nothing for in-memory). */
  protected abstract sync(): void;
  /**
   * Makes the operation built by `build` durable and applies it, atomically
   * with respect to other writers: `build` sees the latest state and may
   * return null to write nothing. Returns what was applied.
   */
  protected abstract commit(build: (state: StorageState) => Operation | null): Operation | null;

  async createNewStudy(studyName: string, direction: StudyDirection): Promise<number> {
    if (typeof studyName !== "string" || studyName === "") throw new Error(`studyName must be a non-empty string, got ${JSON.stringify(studyName)}`);
    const o = this.commit((s) => ({ op: "create_study", study_id: s.nextStudy, study_name: studyName, direction }));
    return (o as { study_id: number }).study_id;
  }
  async getStudyIdFromName(studyName: string): Promise<number> {
    this.sync();
    return this.state.studyIdFromName(studyName);
  }
  async getStudyName(studyId: number): Promise<string> {
    this.sync();
    return this.state.study(studyId).studyName;
  }
  async getStudyDirection(studyId: number): Promise<StudyDirection> {
    this.sync();
    return this.state.study(studyId).direction;
  }
  async getAllStudies(): Promise<StudySummary[]> {
    this.sync();
    return this.state.summaries();
  }
  async deleteStudy(studyId: number): Promise<void> {
    this.commit(() => ({ op: "delete_study", study_id: studyId }));
  }
  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    this.commit(() => ({ op: "set_study_user_attr", study_id: studyId, key, value }));
  }
  async getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>> {
    this.sync();
    return structuredClone(this.state.study(studyId).userAttrs);
  }
  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    this.commit(() => ({ op: "set_study_system_attr", study_id: studyId, key, value }));
  }
  async getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>> {
    this.sync();
    return structuredClone(this.state.study(studyId).systemAttrs);
  }
  async createNewTrial(studyId: number, template?: TrialTemplate, worker: WorkerInfo = thisWorker()): Promise<FrozenTrial> {
    const o = this.commit((s) => s.createTrialOp(studyId, template, worker));
    return this.state.trial((o as { trial_id: number }).trial_id);
  }
  async claimWaitingTrial(studyId: number, worker: WorkerInfo): Promise<FrozenTrial | null> {
    const o = this.commit((s) => {
      const w = s.firstWaiting(studyId);
      return w ? { op: "claim_trial", trial_id: w.trialId, datetime_start: new Date().toISOString(), worker } : null;
    });
    return o ? this.state.trial((o as { trial_id: number }).trial_id) : null;
  }
  async setTrialParam(trialId: number, name: string, value: ParamValue, distribution: Distribution): Promise<void> {
    this.commit(() => ({ op: "set_trial_param", trial_id: trialId, name, value, distribution }));
  }
  async setTrialStateValue(trialId: number, state: TrialState, value: number | null = null): Promise<boolean> {
    if (!isFinished(state)) throw new Error(`setTrialStateValue: ${state} is not a finished state (use claimWaitingTrial to start one)`);
    const o = this.commit((s) =>
      s.trial(trialId).state === "RUNNING" ? { op: "set_trial_state", trial_id: trialId, state, value: value === null ? null : encodeNumber(value), datetime_complete: new Date().toISOString() } : null,
    );
    return o !== null;
  }
  async setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    this.commit(() => ({ op: "set_trial_intermediate_value", trial_id: trialId, step, value: encodeNumber(value) }));
  }
  async setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void> {
    this.commit(() => ({ op: "set_trial_user_attr", trial_id: trialId, key, value }));
  }
  async setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    this.commit(() => ({ op: "set_trial_system_attr", trial_id: trialId, key, value }));
  }
  async getTrial(trialId: number): Promise<FrozenTrial> {
    this.sync();
    return this.state.trial(trialId);
  }
  async getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    this.sync();
    return this.state.allTrials(studyId, states);
  }
  async close(): Promise<void> {}
}

/**
 * Keeps studies in this process's memory (Optuna's InMemoryStorage): the
 * default when `createStudy` is given no storage. Lost when the process ends.
 *
 * @example
 * const study = await createStudy({ storage: new InMemoryStorage() });
 */
export class InMemoryStorage extends OperationStorage {
  protected sync(): void {}
  protected commit(build: (state: StorageState) => Operation | null): Operation | null {
    const o = build(this.state);
    if (o === null) return null;
    this.state.check(o);
    this.state.apply(o);
    return o;
  }
}
