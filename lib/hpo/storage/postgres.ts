// PostgreSQL storage (Optuna's RDBStorage on PostgreSQL): workers on many
// machines share one study. Every change is one statement or one
// transaction; claiming an enqueued trial uses FOR UPDATE SKIP LOCKED, so two
// workers never take the same one, and trial numbers come from a counter on
// the study row, so they never collide.
import { inspect } from "node:util";
import { Pool, PoolClient, QueryResultRow } from "pg";
import type { Distribution, ParamValue } from "../distributions";
import { distributionFromJson } from "../distributions";
import { DuplicatedStudyError, FrozenTrial, StudyDirection, StudyNotFoundError, TrialState, WorkerInfo, isFinished, thisWorker } from "../frozenTrial";
import { Storage, StorageOptions, StudySummary, TrialTemplate, checkKeys, heartbeatOptions, redact } from "./base";

export { redact };

/**
 * The schema this library writes; a database with a newer one is refused.
 *
 * @example
 * SCHEMA_VERSION; // 1, written to hpo_version_info.schema_version when PostgresStorage creates the tables
 */
export const SCHEMA_VERSION = 1;
const LIBRARY_VERSION = "workbook-hpo 1";
/** Serialises schema creation across workers that start together. */
const SCHEMA_LOCK_KEY = 8_170_341;

const SCHEMA_V1 = `
CREATE TABLE hpo_studies (
  study_id serial PRIMARY KEY,
  study_name text NOT NULL UNIQUE,
  direction text NOT NULL CHECK (direction IN ('minimize', 'maximize')),
  next_trial_number integer NOT NULL DEFAULT 0,
  user_attrs jsonb NOT NULL DEFAULT '{}',
  system_attrs jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE hpo_trials (
  trial_id serial PRIMARY KEY,
  study_id integer NOT NULL REFERENCES hpo_studies ON DELETE CASCADE,
  number integer NOT NULL,
  state text NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')),
  value double precision,
  params jsonb NOT NULL DEFAULT '{}',
  distributions jsonb NOT NULL DEFAULT '{}',
  user_attrs jsonb NOT NULL DEFAULT '{}',
  system_attrs jsonb NOT NULL DEFAULT '{}',
  datetime_start timestamptz,
  datetime_complete timestamptz,
  worker jsonb,
  heartbeat timestamptz,
  UNIQUE (study_id, number)
);
CREATE INDEX hpo_trials_study_state ON hpo_trials (study_id, state);
CREATE TABLE hpo_trial_intermediate_values (
  trial_id integer NOT NULL REFERENCES hpo_trials ON DELETE CASCADE,
  step integer NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (trial_id, step)
);
`;

export interface PostgresStorageOptions extends StorageOptions {
  /** Connections per process (default 4). */
  poolSize?: number;
  /** Seconds to wait for a connection before failing (default 10). */
  connectTimeout?: number;
}

const TRIAL_COLUMNS = `t.trial_id, t.number, t.state, t.value, t.params, t.distributions, t.user_attrs, t.system_attrs,
  t.datetime_start, t.datetime_complete, t.worker, iv.steps, iv.vals`;
const INTERMEDIATE_JOIN = `LEFT JOIN LATERAL (SELECT array_agg(step ORDER BY step) AS steps, array_agg(value ORDER BY step) AS vals
  FROM hpo_trial_intermediate_values WHERE trial_id = t.trial_id) iv ON true`;
const FINISHED = "('COMPLETE', 'PRUNED', 'FAIL')";

/**
 * Studies in a PostgreSQL database, for workers on several machines (see
 * `npm run hpo:worker`). The tables (prefix `hpo_`) and a version row are
 * created on first use; a database whose schema is newer than this library
 * is a clear error. With `heartbeatInterval`, RUNNING trials record a
 * heartbeat, and a trial silent for `gracePeriod` seconds (default twice
 * the interval, as Optuna) is marked FAIL by the next worker that starts a trial.
 *
 * @example
 * const study = await createStudy({ studyName: "clinc", storage: "postgresql://hpo@db-host:5432/hpo", loadIfExists: true });
 * await study.optimize(objective, { nTrials: 50 });
 * await study.storage.close();
 */
export class PostgresStorage implements Storage {
  readonly options: PostgresStorageOptions;
  /** The storage URL with its password hidden (what messages and inspection show). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  private readonly pool: Pool;
  private ready: Promise<void> | null = null;
  /** Finished trials never change: each study's are fetched once. */
  private finished = new Map<number, Map<number, FrozenTrial>>();

  constructor(url: string, options: PostgresStorageOptions = {}) {
    checkKeys("PostgresStorage", options, ["heartbeatInterval", "gracePeriod", "failedTrialCallback", "poolSize", "connectTimeout"]);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`PostgresStorage: "${redact(url)}" is not a URL; use postgresql://user:password@host:port/database`);
    }
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error(`PostgresStorage: "${redact(url)}" must start with postgresql://`);
    this.options = heartbeatOptions("PostgresStorage", options);
    this.url = redact(url);
    this.host = decodeURIComponent(parsed.hostname) || "localhost";
    this.port = Number(parsed.port || 5432);
    this.pool = new Pool({ connectionString: url, max: options.poolSize ?? 4, connectionTimeoutMillis: (options.connectTimeout ?? 10) * 1000, allowExitOnIdle: true });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on("error", () => undefined);
  }

  /** console.log / a notebook shows the redacted URL, never the pool (whose options hold the password). */
  [inspect.custom](): string {
    return `PostgresStorage { url: ${JSON.stringify(this.url)}, heartbeatInterval: ${this.options.heartbeatInterval ?? "off"} }`;
  }
  toJSON(): object {
    return { type: "PostgresStorage", url: this.url, heartbeatInterval: this.options.heartbeatInterval ?? null, gracePeriod: this.options.gracePeriod ?? null };
  }

  private describeError(err: unknown): Error {
    const e = err as NodeJS.ErrnoException & { code?: string };
    const unreachable = ["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET", "EAI_AGAIN"];
    if ((e.code && unreachable.includes(e.code)) || /timeout expired|Connection terminated/i.test(e.message ?? "")) {
      return new Error(`Cannot reach PostgreSQL at ${this.host}:${this.port} (${e.code ?? e.message}): is the server running and the storage URL right?`);
    }
    if (e.code === "3D000" || e.code === "28P01" || e.code === "28000") return new Error(`PostgreSQL at ${this.host}:${this.port}: ${e.message}`);
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Creates the schema on first use, or checks its version. */
  private init(): Promise<void> {
    this.ready ??= this.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
      const exists = await c.query("SELECT to_regclass('hpo_version_info') AS t");
      if (exists.rows[0].t === null) {
        await c.query(SCHEMA_V1);
        await c.query("CREATE TABLE hpo_version_info (id integer PRIMARY KEY CHECK (id = 1), schema_version integer NOT NULL, library_version text NOT NULL)");
        await c.query("INSERT INTO hpo_version_info VALUES (1, $1, $2)", [SCHEMA_VERSION, LIBRARY_VERSION]);
        return;
      }
      const v = await c.query("SELECT schema_version, library_version FROM hpo_version_info WHERE id = 1");
      const found = v.rows[0]?.schema_version;
      if (found === undefined) throw new Error(`PostgreSQL at ${this.host}:${this.port}: hpo_version_info has no row; the schema is damaged`);
      if (found > SCHEMA_VERSION) throw new Error(`PostgreSQL at ${this.host}:${this.port} has hpo schema version ${found} (written by ${v.rows[0].library_version}), newer than this library's ${SCHEMA_VERSION}: upgrade the workbook to use this database`);
      if (found < SCHEMA_VERSION) throw new Error(`PostgreSQL at ${this.host}:${this.port} has hpo schema version ${found}, older than ${SCHEMA_VERSION}, and no migration exists`);
    }, false).catch((err) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  private async query<R extends QueryResultRow = any>(sql: string, params: unknown[] = []): Promise<R[]> {
    await this.init();
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw this.describeError(err);
    }
  }

  private async transaction<T>(f: (c: PoolClient) => Promise<T>, needsInit = true): Promise<T> {
    if (needsInit) await this.init();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.describeError(err);
    }
    try {
      await client.query("BEGIN");
      const out = await f(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw this.describeError(err);
    } finally {
      client.release();
    }
  }

  async createNewStudy(studyName: string, direction: StudyDirection): Promise<number> {
    if (typeof studyName !== "string" || studyName === "") throw new Error(`studyName must be a non-empty string, got ${JSON.stringify(studyName)}`);
    const rows = await this.query("INSERT INTO hpo_studies (study_name, direction) VALUES ($1, $2) ON CONFLICT (study_name) DO NOTHING RETURNING study_id", [studyName, direction]);
    if (rows.length === 0) throw new DuplicatedStudyError(studyName);
    return rows[0].study_id;
  }
  async getStudyIdFromName(studyName: string): Promise<number> {
    const rows = await this.query("SELECT study_id FROM hpo_studies WHERE study_name = $1", [studyName]);
    if (!rows.length) throw new StudyNotFoundError(`named "${studyName}"`);
    return rows[0].study_id;
  }
  private async studyRow(studyId: number): Promise<any> {
    const rows = await this.query("SELECT * FROM hpo_studies WHERE study_id = $1", [studyId]);
    if (!rows.length) throw new StudyNotFoundError(`with id ${studyId}`);
    return rows[0];
  }
  async getStudyName(studyId: number): Promise<string> {
    return (await this.studyRow(studyId)).study_name;
  }
  async getStudyDirection(studyId: number): Promise<StudyDirection> {
    return (await this.studyRow(studyId)).direction;
  }
  async getAllStudies(): Promise<StudySummary[]> {
    const rows = await this.query("SELECT s.study_id, s.study_name, s.direction, (SELECT count(*) FROM hpo_trials t WHERE t.study_id = s.study_id)::int AS n FROM hpo_studies s ORDER BY s.study_id");
    return rows.map((r) => ({ studyId: r.study_id, studyName: r.study_name, direction: r.direction, nTrials: r.n }));
  }
  async deleteStudy(studyId: number): Promise<void> {
    const rows = await this.query("DELETE FROM hpo_studies WHERE study_id = $1 RETURNING study_id", [studyId]);
    if (!rows.length) throw new StudyNotFoundError(`with id ${studyId}`);
    this.finished.delete(studyId);
  }
  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    const rows = await this.query("UPDATE hpo_studies SET user_attrs = user_attrs || jsonb_build_object($2::text, $3::jsonb) WHERE study_id = $1 RETURNING study_id", [studyId, key, JSON.stringify(value)]);
    if (!rows.length) throw new StudyNotFoundError(`with id ${studyId}`);
  }
  async getStudyUserAttrs(studyId: number): Promise<Record<string, unknown>> {
    return (await this.studyRow(studyId)).user_attrs;
  }
  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    const rows = await this.query("UPDATE hpo_studies SET system_attrs = system_attrs || jsonb_build_object($2::text, $3::jsonb) WHERE study_id = $1 RETURNING study_id", [studyId, key, JSON.stringify(value)]);
    if (!rows.length) throw new StudyNotFoundError(`with id ${studyId}`);
  }
  async getStudySystemAttrs(studyId: number): Promise<Record<string, unknown>> {
    return (await this.studyRow(studyId)).system_attrs;
  }

  async createNewTrial(studyId: number, template: TrialTemplate = {}, worker: WorkerInfo = thisWorker()): Promise<FrozenTrial> {
    const state = template.state ?? "RUNNING";
    const now = new Date();
    const start = template.datetimeStart !== undefined ? template.datetimeStart : state === "WAITING" ? null : now;
    const complete = template.datetimeComplete ?? (isFinished(state) ? now : null);
    const id = await this.transaction(async (c) => {
      // The study row's counter hands out numbers; its row lock serialises concurrent creators.
      const r = await c.query(
        `WITH n AS (UPDATE hpo_studies SET next_trial_number = next_trial_number + 1 WHERE study_id = $1 RETURNING next_trial_number - 1 AS number)
         INSERT INTO hpo_trials (study_id, number, state, value, params, distributions, user_attrs, system_attrs, datetime_start, datetime_complete, worker, heartbeat)
         SELECT $1, n.number, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $2 = 'RUNNING' THEN now() END FROM n RETURNING trial_id`,
        [studyId, state, template.value ?? null, JSON.stringify(template.params ?? {}), JSON.stringify(template.distributions ?? {}), JSON.stringify(template.userAttrs ?? {}), JSON.stringify(template.systemAttrs ?? {}), start, complete, state === "RUNNING" ? JSON.stringify(worker) : null],
      );
      if (!r.rows.length) throw new StudyNotFoundError(`with id ${studyId}`);
      const trialId = r.rows[0].trial_id;
      for (const [step, value] of Object.entries(template.intermediateValues ?? {})) {
        await c.query("INSERT INTO hpo_trial_intermediate_values VALUES ($1, $2, $3)", [trialId, Number(step), value]);
      }
      return trialId as number;
    });
    return this.getTrial(id);
  }

  async claimWaitingTrial(studyId: number, worker: WorkerInfo): Promise<FrozenTrial | null> {
    const rows = await this.query(
      `UPDATE hpo_trials SET state = 'RUNNING', datetime_start = now(), worker = $2, heartbeat = now()
       WHERE state = 'WAITING' AND trial_id = (
         SELECT trial_id FROM hpo_trials WHERE study_id = $1 AND state = 'WAITING' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING trial_id`,
      [studyId, JSON.stringify(worker)],
    );
    return rows.length ? this.getTrial(rows[0].trial_id) : null;
  }

  /** Throws the reason an update of an unfinished trial matched no row. */
  private async updateFailed(trialId: number): Promise<never> {
    const rows = await this.query("SELECT number, state FROM hpo_trials WHERE trial_id = $1", [trialId]);
    if (!rows.length) throw new Error(`No trial with id ${trialId} in this storage`);
    throw new Error(`Trial ${rows[0].number} has already finished (${rows[0].state}) and cannot be updated`);
  }

  async setTrialParam(trialId: number, name: string, value: ParamValue, distribution: Distribution): Promise<void> {
    const rows = await this.query(
      `UPDATE hpo_trials SET params = params || jsonb_build_object($2::text, $3::jsonb), distributions = distributions || jsonb_build_object($2::text, $4::jsonb)
       WHERE trial_id = $1 AND state NOT IN ${FINISHED} RETURNING trial_id`,
      [trialId, name, JSON.stringify(value), JSON.stringify(distribution)],
    );
    if (!rows.length) await this.updateFailed(trialId);
  }

  async setTrialStateValue(trialId: number, state: TrialState, value: number | null = null): Promise<boolean> {
    if (!isFinished(state)) throw new Error(`setTrialStateValue: ${state} is not a finished state (use claimWaitingTrial to start one)`);
    const rows = await this.query("UPDATE hpo_trials SET state = $2, value = $3, datetime_complete = now() WHERE trial_id = $1 AND state = 'RUNNING' RETURNING trial_id", [trialId, state, value]);
    return rows.length === 1;
  }

  async setTrialIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    if (!Number.isInteger(step) || step < 0) throw new Error(`The step must be a non-negative integer, got ${step}`);
    const rows = await this.query(
      `INSERT INTO hpo_trial_intermediate_values (trial_id, step, value)
       SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM hpo_trials WHERE trial_id = $1 AND state NOT IN ${FINISHED})
       ON CONFLICT (trial_id, step) DO UPDATE SET value = EXCLUDED.value RETURNING trial_id`,
      [trialId, step, value],
    );
    if (!rows.length) await this.updateFailed(trialId);
  }

  private async setTrialAttr(column: "user_attrs" | "system_attrs", trialId: number, key: string, value: unknown): Promise<void> {
    const rows = await this.query(`UPDATE hpo_trials SET ${column} = ${column} || jsonb_build_object($2::text, $3::jsonb) WHERE trial_id = $1 AND state NOT IN ${FINISHED} RETURNING trial_id`, [trialId, key, JSON.stringify(value)]);
    if (!rows.length) await this.updateFailed(trialId);
  }
  async setTrialUserAttr(trialId: number, key: string, value: unknown): Promise<void> {
    await this.setTrialAttr("user_attrs", trialId, key, value);
  }
  async setTrialSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    await this.setTrialAttr("system_attrs", trialId, key, value);
  }

  async getTrial(trialId: number): Promise<FrozenTrial> {
    const rows = await this.query(`SELECT ${TRIAL_COLUMNS} FROM hpo_trials t ${INTERMEDIATE_JOIN} WHERE t.trial_id = $1`, [trialId]);
    if (!rows.length) throw new Error(`No trial with id ${trialId} in this storage`);
    return toTrial(rows[0]);
  }

  async getAllTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    let known = this.finished.get(studyId);
    if (!known) this.finished.set(studyId, (known = new Map()));
    const rows = await this.query(`SELECT ${TRIAL_COLUMNS} FROM hpo_trials t ${INTERMEDIATE_JOIN} WHERE t.study_id = $1 AND NOT (t.trial_id = ANY($2::int[]))`, [studyId, [...known.keys()]]);
    if (!rows.length && !known.size) await this.studyRow(studyId); // an unknown study is an error, not an empty list
    const fresh = rows.map(toTrial);
    for (const t of fresh) if (isFinished(t.state)) known.set(t.trialId, t);
    const all = [...known.values(), ...fresh.filter((t) => !isFinished(t.state))].sort((a, b) => a.number - b.number);
    return states ? all.filter((t) => states.includes(t.state)) : all;
  }

  async recordHeartbeat(trialId: number): Promise<void> {
    await this.query("UPDATE hpo_trials SET heartbeat = now() WHERE trial_id = $1 AND state = 'RUNNING'", [trialId]);
  }

  async getStaleTrialIds(studyId: number): Promise<number[]> {
    if (!this.options.heartbeatInterval) return [];
    const rows = await this.query("SELECT trial_id FROM hpo_trials WHERE study_id = $1 AND state = 'RUNNING' AND heartbeat < now() - make_interval(secs => $2) ORDER BY number", [studyId, this.options.gracePeriod]);
    return rows.map((r) => r.trial_id);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toTrial(r: any): FrozenTrial {
  const iv: Record<number, number> = {};
  (r.steps ?? []).forEach((s: number, i: number) => (iv[s] = r.vals[i]));
  const distributions: Record<string, Distribution> = {};
  for (const [k, d] of Object.entries(r.distributions as Record<string, unknown>)) distributions[k] = distributionFromJson(d);
  return {
    trialId: r.trial_id,
    number: r.number,
    state: r.state,
    value: r.value,
    params: r.params,
    distributions,
    intermediateValues: iv,
    userAttrs: r.user_attrs,
    systemAttrs: r.system_attrs,
    datetimeStart: r.datetime_start,
    datetimeComplete: r.datetime_complete,
    worker: r.worker,
  };
}
