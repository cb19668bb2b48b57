import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { Client } from "pg";
import { startPostgres, TestPostgres } from "../../tools/postgres";
import { createStudy, loadStudy, PostgresStorage, RandomSampler, NopPruner, TrialPruned, rosenbrockObjective, retryFailedTrial, SCHEMA_VERSION, thisWorker } from "../../lib/hpo";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");
const ROOT = path.resolve(__dirname, "..", "..");
let pg: TestPostgres | undefined;
let skip: string | undefined;
const storages: PostgresStorage[] = [];
const open = (o = {}) => {
  const s = new PostgresStorage(pg!.url, o);
  storages.push(s);
  return s;
};
async function sql(q: string, params: unknown[] = []): Promise<any[]> {
  const c = new Client({ connectionString: pg!.url });
  await c.connect();
  try {
    return (await c.query(q, params)).rows;
  } finally {
    await c.end();
  }
}

before(async () => {
  const r = await startPostgres();
  if (typeof r === "string") skip = r;
  else pg = r;
});
after(async () => {
  for (const s of storages) await s.close().catch(() => undefined);
  pg?.stop();
});

test("PostgreSQL: schema and version row created on first use; a newer schema is a clear error", async (t) => {
  if (skip) return t.skip(skip);
  const study = await createStudy({ studyName: "schema", storage: open(), sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize(rosenbrockObjective, { nTrials: 3 });
  assert.deepEqual(await sql("SELECT schema_version FROM hpo_version_info"), [{ schema_version: SCHEMA_VERSION }]);
  await sql("UPDATE hpo_version_info SET schema_version = 99");
  try {
    await assert.rejects(createStudy({ studyName: "other", storage: open() }), /has hpo schema version 99 \(written by workbook-hpo 1\), newer than this library's 1: upgrade the workbook/);
  } finally {
    await sql("UPDATE hpo_version_info SET schema_version = $1", [SCHEMA_VERSION]);
  }
});

test("PostgreSQL: a study round-trips (params, NaN/Infinity intermediate values, attrs, states) through another connection", async (t) => {
  if (skip) return t.skip(skip);
  const study = await createStudy({ studyName: "roundtrip", storage: open(), sampler: new RandomSampler({ seed: 1 }), pruner: new NopPruner(), direction: "maximize" });
  await study.optimize((tr) => {
    const x = tr.suggestFloat("x", 1e-3, 1, { log: true });
    const k = tr.suggestInt("k", 0, 8, { step: 2 });
    tr.suggestCategorical("c", [null, "a", false]);
    tr.report(NaN, 0);
    tr.report(-Infinity, 3);
    tr.setUserAttr("info", { k, list: [1, 2] });
    if (tr.number === 1) throw new TrialPruned();
    if (tr.number === 2) return NaN;
    return x + k;
  }, { nTrials: 4 });
  await study.enqueueTrial({ x: 0.5 });
  await study.setUserAttr("owner", "test");
  const again = await loadStudy({ studyName: "roundtrip", storage: open() });
  assert.equal(again.direction, "maximize");
  assert.deepEqual(again.trials, study.trials);
  assert.deepEqual(again.trials.map((x) => x.state), ["COMPLETE", "PRUNED", "FAIL", "COMPLETE", "WAITING"]);
  assert.equal(again.trials[0].intermediateValues[3], -Infinity);
  assert.ok(Number.isNaN(again.trials[0].intermediateValues[0]));
  assert.equal(again.trials[2].systemAttrs.fail_reason, "the objective returned NaN");
  assert.deepEqual(await again.userAttrs, { owner: "test" });
  await assert.rejects(createStudy({ studyName: "roundtrip", storage: open() }), /Another study named "roundtrip" already exists/);
});

test("PostgreSQL: concurrent claims never take an enqueued trial twice (4 pools, 60 trials)", async (t) => {
  if (skip) return t.skip(skip);
  const study = await createStudy({ studyName: "claims", storage: open() });
  for (let i = 0; i < 60; i++) await study.storage.createNewTrial(study.studyId, { state: "WAITING", systemAttrs: { fixed_params: { i } } });
  const pools = [open(), open(), open(), open()];
  const claimed = await Promise.all(pools.map(async (s) => {
    const mine: number[] = [];
    for (;;) {
      const tr = await s.claimWaitingTrial(study.studyId, thisWorker());
      if (!tr) return mine;
      mine.push(tr.number);
      await s.setTrialStateValue(tr.trialId, "COMPLETE", tr.number);
    }
  }));
  const all = claimed.flat().sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(60).keys()]);
  assert.ok(claimed.filter((c) => c.length > 0).length >= 2, `claims per pool: ${claimed.map((c) => c.length)}`);
});

test("PostgreSQL: 4 hpo:worker processes on one study with enqueued points: each point run once, numbers unique", async (t) => {
  if (skip) return t.skip(skip);
  const study = await createStudy({ studyName: "workers", storage: open() });
  for (let i = 0; i < 12; i++) await study.enqueueTrial({ x: -1 + i / 10, y: 1 });
  const run = (seed: number) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(process.execPath, ["--import", "tsx", "scripts/hpo_worker.ts", "--quiet", "--storage", pg!.url, "--study", "workers", "--trials", "8", "--objective", "rosenbrock", "--sampler", "random", "--seed", String(seed)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      c.stdout.on("data", (d) => (out += d));
      c.stderr.on("data", (d) => (out += d));
      c.on("exit", (code) => resolve({ code, out }));
    });
  const results = await Promise.all([1, 2, 3, 4].map(run));
  for (const r of results) assert.equal(r.code, 0, r.out);
  await study.refresh();
  const trials = study.trials;
  assert.equal(trials.length, 32);
  assert.deepEqual(trials.map((x) => x.number), [...Array(32).keys()]);
  assert.ok(trials.every((x) => x.state === "COMPLETE"));
  const enq = trials.slice(0, 12).map((x) => x.params.x);
  assert.deepEqual(enq, [...Array(12).keys()].map((i) => -1 + i / 10));
  assert.equal(new Set(trials.map((x) => x.worker!.pid)).size, 4);
});

test("PostgreSQL: a RUNNING trial whose heartbeat stopped is marked FAIL and retried", async (t) => {
  if (skip) return t.skip(skip);
  const storage = open({ heartbeatInterval: 1, gracePeriod: 2, failedTrialCallback: retryFailedTrial() });
  const study = await createStudy({ studyName: "heartbeat", storage, sampler: new RandomSampler({ seed: 2 }) });
  const ghost = await storage.createNewTrial(study.studyId, { params: { x: 0.5, y: 0.25 }, distributions: { x: { type: "float", low: -2, high: 2, log: false, step: null }, y: { type: "float", low: -2, high: 2, log: false, step: null } } }, { host: "another-machine", pid: 1, id: "ghost" });
  await sql("UPDATE hpo_trials SET heartbeat = now() - interval '1 hour' WHERE trial_id = $1", [ghost.trialId]);
  await study.optimize(rosenbrockObjective, { nTrials: 2 });
  const trials = study.trials;
  assert.equal(trials[0].state, "FAIL");
  assert.equal(trials[0].systemAttrs.fail_reason, "stale: its heartbeat stopped");
  assert.deepEqual(trials[1].params, { x: 0.5, y: 0.25 });
  assert.equal(trials[1].systemAttrs.failed_trial, 0);
  assert.equal(trials.length, 3);
});

test("PostgreSQL heartbeat: a trial whose pid on this host was reused is failed; one whose worker beats is kept", async (t) => {
  if (skip) return t.skip(skip);
  const options = { heartbeatInterval: 0.2, gracePeriod: 1 };
  const storage = open(options);
  const study = await createStudy({ studyName: "heartbeat-reused", storage, sampler: new RandomSampler({ seed: 3 }) });
  // This machine, a pid now held by a live process (the parent of this test): the pid check cannot tell.
  const reused = await storage.createNewTrial(study.studyId, {}, { host: os.hostname(), pid: process.ppid, id: "reused" });
  const alive = await loadStudy({ studyName: "heartbeat-reused", storage: open(options), sampler: new RandomSampler({ seed: 4 }) });
  const running = await alive.ask();
  await new Promise((r) => setTimeout(r, 1800));
  assert.deepEqual((await study.failStaleTrials()).map((x) => x.number), [reused.number]);
  await study.refresh();
  assert.equal(study.trials.find((x) => x.number === reused.number)!.systemAttrs.fail_reason, "stale: its heartbeat stopped");
  assert.equal(study.trials.find((x) => x.number === running.number)!.state, "RUNNING");
  await alive.tell(running, 1);
});
