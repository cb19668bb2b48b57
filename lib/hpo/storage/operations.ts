// Storage state rebuilt from a list of operations (Optuna's journal
// JournalOperation + JournalStorageReplayResult). The in-memory storage
// applies each operation at once; the journal storage appends it to a file
// first, and any process replays the file to the same state.
import type { Distribution, ParamValue } from "../distributions";
import { distributionFromJson } from "../distributions";
import {
  DuplicatedStudyError,
  FrozenTrial,
  StudyDirection,
  StudyNotFoundError,
  TrialState,
  TRIAL_STATES,
  WorkerInfo,
  isFinished,
  newFrozenTrial,
} from "../frozenTrial";
import type { StudySummary, TrialTemplate } from "./base";

/** One journal line. Numbers that JSON cannot hold (NaN, ±Infinity) are written as strings. */
export type Operation =
  | { op: "create_study"; study_id: number; study_name: string; direction: StudyDirection }
  | { op: "delete_study"; study_id: number }
  | { op: "set_study_user_attr" | "set_study_system_attr"; study_id: number; key: string; value: unknown }
  | {
      op: "create_trial";
      study_id: number;
      trial_id: number;
      number: number;
      state: TrialState;
      value: number | string | null;
      params: Record<string, ParamValue>;
      distributions: Record<string, Distribution>;
      intermediate_values: Record<string, number | string>;
      user_attrs: Record<string, unknown>;
      system_attrs: Record<string, unknown>;
      datetime_start: string | null;
      datetime_complete: string | null;
      worker: WorkerInfo | null;
    }
  | { op: "claim_trial"; trial_id: number; datetime_start: string; worker: WorkerInfo }
  | { op: "set_trial_param"; trial_id: number; name: string; value: ParamValue; distribution: Distribution }
  | { op: "set_trial_state"; trial_id: number; state: TrialState; value: number | string | null; datetime_complete: string | null }
  | { op: "set_trial_intermediate_value"; trial_id: number; step: number; value: number | string }
  | { op: "set_trial_user_attr" | "set_trial_system_attr"; trial_id: number; key: string; value: unknown }
  | { op: "heartbeat"; trial_id: number; time: string };

/**
 * A number as JSON holds it: non-finite ones become "NaN", "Infinity", "-Infinity".
 *
 * @example
 * encodeNumber(-Infinity); // "-Infinity"
 * encodeNumber(0.5); // 0.5
 */
export function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/**
 * The inverse of encodeNumber.
 *
 * @example
 * decodeNumber("NaN"); // NaN
 * decodeNumber(encodeNumber(-Infinity)); // -Infinity
 */
export function decodeNumber(v: number | string): number {
  return typeof v === "number" ? v : Number(v);
}

interface StudyRecord {
  studyId: number;
  studyName: string;
  direction: StudyDirection;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  trialIds: number[];
}

/**
 * The state of every study and trial, changed only through `apply`. Records
 * are replaced, never mutated, so trials handed out stay valid snapshots.
 *
 * @example
 * const state = new StorageState();
 * state.apply({ op: "create_study", study_id: state.nextStudy, study_name: "rosenbrock", direction: "minimize" });
 * state.studyIdFromName("rosenbrock"); // 0
 */
export class StorageState {
  private studies = new Map<number, StudyRecord>();
  private trials: FrozenTrial[] = [];
  private trialStudy: number[] = [];
  private nextStudyId = 0;
  /** Each trial's last heartbeat (ms since the epoch), as recorded by `heartbeat` operations. */
  private heartbeats = new Map<number, number>();

  /** The last heartbeat of a trial (ms since the epoch), if it ever recorded one. */
  lastHeartbeat(trialId: number): number | undefined {
    return this.heartbeats.get(trialId);
  }

  /** The next study id `create_study` should carry. */
  get nextStudy(): number {
    return this.nextStudyId;
  }

  /** The next trial id `create_trial` should carry. */
  get nextTrial(): number {
    return this.trials.length;
  }

  study(studyId: number): StudyRecord {
    const s = this.studies.get(studyId);
    if (!s) throw new StudyNotFoundError(`with id ${studyId}`);
    return s;
  }

  studyIdFromName(name: string): number {
    for (const s of this.studies.values()) if (s.studyName === name) return s.studyId;
    throw new StudyNotFoundError(`named "${name}"`);
  }

  hasStudyName(name: string): boolean {
    for (const s of this.studies.values()) if (s.studyName === name) return true;
    return false;
  }

  summaries(): StudySummary[] {
    return [...this.studies.values()].map((s) => ({ studyId: s.studyId, studyName: s.studyName, direction: s.direction, nTrials: s.trialIds.length }));
  }

  trial(trialId: number): FrozenTrial {
    const t = this.trials[trialId];
    if (!t || !this.studies.has(this.trialStudy[trialId])) throw new Error(`No trial with id ${trialId} in this storage`);
    return t;
  }

  allTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[] {
    const ids = this.study(studyId).trialIds;
    const out: FrozenTrial[] = [];
    for (const id of ids) {
      const t = this.trials[id];
      if (!states || states.includes(t.state)) out.push(t);
    }
    return out;
  }

  /** The oldest WAITING trial of a study, if any. */
  firstWaiting(studyId: number): FrozenTrial | undefined {
    for (const id of this.study(studyId).trialIds) if (this.trials[id].state === "WAITING") return this.trials[id];
    return undefined;
  }

  /**
   * Throws (with a message for the user) when the operation may not be
   * applied now: a malformed line, an id that is not the next one (a ghost
   * trial or study), a trial or study that does not exist, an update of a
   * finished trial. `apply` assumes this passed. Run by the writer before
   * appending, and by every replay before applying, so a journal line that
   * breaks these rules (hand-edited, or from another tool) is never applied.
   */
  check(o: Operation): void {
    if (typeof o !== "object" || o === null || typeof (o as { op?: unknown }).op !== "string") throw new Error(`not an operation: ${JSON.stringify(o)}`);
    const f = o as Record<string, unknown>;
    const int = (k: string) => {
      if (!Number.isInteger(f[k]) || (f[k] as number) < 0) throw new Error(`${o.op}: ${k} must be an integer >= 0, got ${JSON.stringify(f[k])}`);
    };
    const str = (k: string) => {
      if (typeof f[k] !== "string") throw new Error(`${o.op}: ${k} must be a string, got ${JSON.stringify(f[k])}`);
    };
    const num = (k: string, nullable = false) => {
      const v = f[k];
      if (!(typeof v === "number" || (typeof v === "string" && !Number.isNaN(Number(v))) || v === "NaN" || (nullable && v === null))) throw new Error(`${o.op}: ${k} must be a number, got ${JSON.stringify(v)}`);
    };
    const obj = (k: string) => {
      if (typeof f[k] !== "object" || f[k] === null || Array.isArray(f[k])) throw new Error(`${o.op}: ${k} must be an object, got ${JSON.stringify(f[k])}`);
    };
    const state = (k: string) => {
      if (!TRIAL_STATES.includes(f[k] as TrialState)) throw new Error(`${o.op}: unknown trial state ${JSON.stringify(f[k])}`);
    };
    const updatable = (): FrozenTrial => {
      int("trial_id");
      const t = this.trial(f.trial_id as number);
      if (isFinished(t.state)) throw new Error(`Trial ${t.number} has already finished (${t.state}) and cannot be updated`);
      return t;
    };
    switch (o.op) {
      case "create_study":
        int("study_id");
        str("study_name");
        if (o.direction !== "minimize" && o.direction !== "maximize") throw new Error(`create_study: direction must be "minimize" or "maximize", got ${JSON.stringify(o.direction)}`);
        if (o.study_id !== this.nextStudyId) throw new Error(`create_study: study id ${o.study_id} is not the next one (${this.nextStudyId})`);
        if (this.hasStudyName(o.study_name)) throw new DuplicatedStudyError(o.study_name);
        return;
      case "delete_study":
      case "set_study_user_attr":
      case "set_study_system_attr":
        int("study_id");
        if (o.op !== "delete_study") str("key");
        this.study(o.study_id);
        return;
      case "create_trial": {
        int("study_id");
        int("trial_id");
        int("number");
        state("state");
        num("value", true);
        for (const k of ["params", "distributions", "intermediate_values", "user_attrs", "system_attrs"]) obj(k);
        const s = this.study(o.study_id);
        if (o.trial_id !== this.nextTrial) throw new Error(`create_trial: trial id ${o.trial_id} is not the next one (${this.nextTrial})`);
        if (o.number !== s.trialIds.length) throw new Error(`create_trial: trial number ${o.number} is not the study's next one (${s.trialIds.length})`);
        for (const d of Object.values(o.distributions)) distributionFromJson(d);
        for (const [step, v] of Object.entries(o.intermediate_values)) {
          if (!/^\d+$/.test(step)) throw new Error(`create_trial: intermediate value step "${step}" is not an integer >= 0`);
          if (typeof v !== "number" && Number.isNaN(Number(v)) && v !== "NaN") throw new Error(`create_trial: intermediate value ${JSON.stringify(v)} at step ${step} is not a number`);
        }
        return;
      }
      case "claim_trial": {
        int("trial_id");
        str("datetime_start");
        const t = this.trial(o.trial_id);
        if (t.state !== "WAITING") throw new Error(`Trial ${t.number} is ${t.state}, not WAITING`);
        return;
      }
      case "set_trial_param":
        updatable();
        str("name");
        distributionFromJson(o.distribution);
        return;
      case "set_trial_state":
        updatable();
        state("state");
        if (!isFinished(o.state)) throw new Error(`set_trial_state: ${o.state} is not a finished state`);
        num("value", true);
        return;
      case "set_trial_intermediate_value":
        updatable();
        if (!(Number.isInteger(o.step) && o.step >= 0)) throw new Error(`The step must be a non-negative integer, got ${o.step}`);
        num("value");
        return;
      case "set_trial_user_attr":
      case "set_trial_system_attr":
        updatable();
        str("key");
        return;
      case "heartbeat":
        int("trial_id");
        str("time");
        if (Number.isNaN(Date.parse(o.time))) throw new Error(`heartbeat: time ${JSON.stringify(o.time)} is not a date`);
        if (this.trial(o.trial_id).state !== "RUNNING") throw new Error(`heartbeat: trial ${this.trial(o.trial_id).number} is ${this.trial(o.trial_id).state}, not RUNNING`);
        return;
      default:
        throw new Error(`unknown operation "${(o as { op: string }).op}"`);
    }
  }

  apply(o: Operation): void {
    switch (o.op) {
      case "create_study":
        this.studies.set(o.study_id, { studyId: o.study_id, studyName: o.study_name, direction: o.direction, userAttrs: {}, systemAttrs: {}, trialIds: [] });
        this.nextStudyId = Math.max(this.nextStudyId, o.study_id + 1);
        return;
      case "delete_study":
        this.studies.delete(o.study_id);
        return;
      case "set_study_user_attr":
      case "set_study_system_attr": {
        const s = this.study(o.study_id);
        const key = o.op === "set_study_user_attr" ? "userAttrs" : "systemAttrs";
        this.studies.set(o.study_id, { ...s, [key]: { ...s[key], [o.key]: o.value } });
        return;
      }
      case "create_trial": {
        const s = this.study(o.study_id);
        const iv: Record<number, number> = {};
        for (const [k, v] of Object.entries(o.intermediate_values)) iv[Number(k)] = decodeNumber(v);
        const distributions: Record<string, Distribution> = {};
        for (const [k, d] of Object.entries(o.distributions)) distributions[k] = distributionFromJson(d);
        this.trials[o.trial_id] = newFrozenTrial({
          trialId: o.trial_id,
          number: o.number,
          state: o.state,
          value: o.value === null ? null : decodeNumber(o.value),
          params: { ...o.params },
          distributions,
          intermediateValues: iv,
          userAttrs: structuredClone(o.user_attrs),
          systemAttrs: structuredClone(o.system_attrs),
          datetimeStart: o.datetime_start ? new Date(o.datetime_start) : null,
          datetimeComplete: o.datetime_complete ? new Date(o.datetime_complete) : null,
          worker: o.worker,
        });
        this.trialStudy[o.trial_id] = o.study_id;
        this.studies.set(o.study_id, { ...s, trialIds: [...s.trialIds, o.trial_id] });
        return;
      }
      case "claim_trial": {
        const t = this.trials[o.trial_id];
        this.trials[o.trial_id] = { ...t, state: "RUNNING", datetimeStart: new Date(o.datetime_start), worker: o.worker };
        return;
      }
      case "set_trial_param": {
        const t = this.trials[o.trial_id];
        this.trials[o.trial_id] = { ...t, params: { ...t.params, [o.name]: o.value }, distributions: { ...t.distributions, [o.name]: o.distribution } };
        return;
      }
      case "set_trial_state": {
        const t = this.trials[o.trial_id];
        this.trials[o.trial_id] = { ...t, state: o.state, value: o.value === null ? null : decodeNumber(o.value), datetimeComplete: o.datetime_complete ? new Date(o.datetime_complete) : null };
        return;
      }
      case "set_trial_intermediate_value": {
        const t = this.trials[o.trial_id];
        this.trials[o.trial_id] = { ...t, intermediateValues: { ...t.intermediateValues, [o.step]: decodeNumber(o.value) } };
        return;
      }
      case "set_trial_user_attr":
      case "set_trial_system_attr": {
        const t = this.trials[o.trial_id];
        const key = o.op === "set_trial_user_attr" ? "userAttrs" : "systemAttrs";
        this.trials[o.trial_id] = { ...t, [key]: { ...t[key], [o.key]: structuredClone(o.value) } };
        return;
      }
      case "heartbeat":
        this.heartbeats.set(o.trial_id, Date.parse(o.time));
        return;
      default:
        throw new Error(`Unknown storage operation ${JSON.stringify(o)}`);
    }
  }

  /** The create_trial operation for a new trial of `studyId` (ids and number from this state). */
  createTrialOp(studyId: number, template: TrialTemplate = {}, worker: WorkerInfo | null = null): Operation {
    const state = template.state ?? "RUNNING";
    const iv: Record<string, number | string> = {};
    for (const [k, v] of Object.entries(template.intermediateValues ?? {})) iv[k] = encodeNumber(v);
    const now = new Date().toISOString();
    return {
      op: "create_trial",
      study_id: studyId,
      trial_id: this.nextTrial,
      number: this.study(studyId).trialIds.length,
      state,
      value: template.value === undefined || template.value === null ? null : encodeNumber(template.value),
      params: { ...(template.params ?? {}) },
      distributions: { ...(template.distributions ?? {}) },
      intermediate_values: iv,
      user_attrs: template.userAttrs ?? {},
      system_attrs: template.systemAttrs ?? {},
      datetime_start: template.datetimeStart !== undefined ? template.datetimeStart?.toISOString() ?? null : state === "WAITING" ? null : now,
      datetime_complete: template.datetimeComplete?.toISOString() ?? (isFinished(state) ? now : null),
      worker: state === "RUNNING" ? worker : null,
    };
  }
}
