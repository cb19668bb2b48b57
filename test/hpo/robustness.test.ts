// HPO loses nothing and keeps no zombies: storage URLs never show a password,
// impossible journal paths fail at once, a journal replay validates every
// operation, and RUNNING trials of dead workers are failed by heartbeat.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { inspect } from "node:util";
import { processStart, thisWorker, createStudy, loadStudy, resolveStorage, retryFailedTrial, rosenbrockObjective, PostgresStorage, JournalStorage, RandomSampler } from "../../lib/hpo";
import { tmpDir } from "../helpers/setup";
import { redact } from "../../lib/hpo/storage/base";
import { setLogLevel, setLogSink } from "../../lib/utils/log";

setLogLevel("error");
const ROOT = path.resolve(__dirname, "..", "..");

function runWorker(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/hpo_worker.ts", "--quiet", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

test("redact hides the whole password, even one holding @ or :, in a URL alone or inside a message", () => {
  assert.equal(redact("postgres://user:secret@host/db"), "postgres://user:***@host/db");
  assert.equal(redact("postgresql://hpo:s3cret@db.internal:5432/hpo"), "postgresql://hpo:***@db.internal:5432/hpo");
  assert.equal(redact("postgresql://u:p@ss:w@rd@h:5432/db"), "postgresql://u:***@h:5432/db");
  assert.equal(redact('failed on "postgres://a:b@h/d" and postgres://c:e@h2/d2 too'), 'failed on "postgres://a:***@h/d" and postgres://c:***@h2/d2 too');
  assert.equal(redact("postgresql://hpo@db:5432/hpo?x=a@b"), "postgresql://hpo@db:5432/hpo?x=a@b", "no password: unchanged");
});

test("storage URLs are redacted in the errors of resolveStorage, PostgresStorage and an unreachable server", async () => {
  assert.throws(() => resolveStorage("mysql://u:topsecret@h/db"), (e: Error) => /Unknown storage "mysql:\/\/u:\*\*\*@h\/db"/.test(e.message) && !e.message.includes("topsecret"));
  assert.throws(() => new PostgresStorage("postgresql://u:topsecret@h:notaport/db"), (e: Error) => !e.message.includes("topsecret") && /\*\*\*/.test(e.message));
  const storage = new PostgresStorage("postgresql://u:topsecret@127.0.0.1:1/db", { connectTimeout: 2 });
  // Showing the storage (console.log, a notebook cell, JSON) shows no password either.
  for (const shown of [inspect(storage), inspect({ study: { storage } }, { depth: 5 }), JSON.stringify(storage), storage.url]) {
    assert.ok(!shown.includes("topsecret"), shown);
    assert.match(shown, /postgresql:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
  }
  try {
    await assert.rejects(createStudy({ storage }), (e: Error) => /Cannot reach PostgreSQL at 127\.0\.0\.1:1/.test(e.message) && !e.message.includes("topsecret"));
  } finally {
    await storage.close();
  }
});

test("hpo:worker never prints a storage password (unknown scheme, unreachable server)", async () => {
  const common = ["--study", "s", "--trials", "1", "--objective", "rosenbrock"];
  for (const url of ["mysql://u:topsecret@h/db", "postgresql://u:topsecret@127.0.0.1:1/db"]) {
    const r = await runWorker(["--storage", url, ...common]);
    assert.equal(r.code, 1, r.out);
    assert.ok(!r.out.includes("topsecret"), `the password leaked: ${r.out}`);
    assert.match(r.out, /u:\*\*\*@|Cannot reach/);
  }
});

test("an impossible journal path fails at once with an error naming it", () => {
  for (const [file, why] of [
    ["/proc/x/y", /Cannot use journal file \/proc\/x\/y: cannot create the folder \/proc\/x/],
    ["/etc/passwd/study.jsonl", /Cannot use journal file \/etc\/passwd\/study\.jsonl: \/etc\/passwd is not a folder/],
    ["/dev/null", /Cannot use journal file \/dev\/null: it is not a regular file/],
  ] as const) {
    const t0 = Date.now();
    assert.throws(() => resolveStorage(`journal:${file}`), why);
    assert.ok(Date.now() - t0 < 2000, `${file}: took ${Date.now() - t0} ms`);
  }
});

test("journal replay validates each operation: no ghost trials, no overwriting a finished trial, no malformed lines", async () => {
  const file = path.join(tmpDir("hpo-replay-"), "study.jsonl");
  const d = { type: "float", low: 0, high: 1, log: false, step: null };
  const trial = (id: number, number: number, extra: object = {}) => ({ op: "create_trial", study_id: 0, trial_id: id, number, state: "RUNNING", value: null, params: {}, distributions: {}, intermediate_values: {}, user_attrs: {}, system_attrs: {}, datetime_start: "2026-01-01T00:00:00.000Z", datetime_complete: null, worker: null, ...extra });
  const ops: unknown[] = [
    { op: "create_study", study_id: 0, study_name: "s", direction: "minimize" },
    trial(0, 0),
    { op: "set_trial_param", trial_id: 0, name: "x", value: 0.5, distribution: d },
    { op: "set_trial_intermediate_value", trial_id: 0, step: 0, value: 2 },
    { op: "set_trial_state", trial_id: 0, state: "COMPLETE", value: 1, datetime_complete: "2026-01-01T00:01:00.000Z" },
    // every line below is invalid and must be skipped
    { op: "set_trial_state", trial_id: 0, state: "FAIL", value: null, datetime_complete: null }, // overwrite a finished trial
    { op: "set_trial_param", trial_id: 0, name: "x", value: 0.9, distribution: d },
    { op: "set_trial_intermediate_value", trial_id: 0, step: 1, value: 3 },
    { op: "set_trial_user_attr", trial_id: 0, key: "k", value: 1 },
    { op: "claim_trial", trial_id: 0, datetime_start: "2026-01-01T00:00:00.000Z", worker: null },
    { op: "set_trial_intermediate_value", trial_id: 7, step: 0, value: 1 }, // a ghost trial
    { op: "set_trial_state", trial_id: 3, state: "COMPLETE", value: 0, datetime_complete: null },
    trial(5, 1), // an id out of sequence
    trial(0, 0), // overwriting trial 0
    trial(1, 4), // a number out of sequence
    { ...trial(1, 1), study_id: 9 }, // an unknown study
    { ...trial(1, 1), state: "DONE" },
    { ...trial(1, 1), distributions: { x: { type: "beta" } } },
    { op: "create_study", study_id: 5, study_name: "t", direction: "minimize" },
    { op: "create_study", study_id: 1, study_name: "s", direction: "minimize" },
    { op: "set_trial_state", trial_id: 0 },
    { op: "explode", trial_id: 0 },
    { op: "heartbeat", trial_id: 0, time: "2026-01-01T00:00:00.000Z" },
    "just a string",
  ];
  fs.writeFileSync(file, ops.map((o) => JSON.stringify(o)).join("\n") + "\n");
  const warnings: string[] = [];
  const prevSink = setLogSink({ out: () => undefined, err: (l) => void warnings.push(l) });
  setLogLevel("warn");
  let storage: JournalStorage;
  try {
    storage = new JournalStorage(file);
  } finally {
    setLogSink(prevSink);
    setLogLevel("error");
  }
  assert.equal(warnings.length, ops.length - 5, warnings.join("\n"));
  assert.ok(warnings.every((w) => /line \d+: skipped an invalid operation/.test(w)));
  assert.match(warnings[0], /line 6: .*Trial 0 has already finished \(COMPLETE\)/);
  assert.match(warnings.find((w) => w.includes("line 11"))!, /No trial with id 7/);
  assert.match(warnings.find((w) => w.includes("line 13"))!, /trial id 5 is not the next one \(1\)/);
  const trials = await storage.getAllTrials(0);
  assert.equal(trials.length, 1);
  assert.deepEqual([trials[0].state, trials[0].value, trials[0].params, trials[0].intermediateValues, trials[0].userAttrs], ["COMPLETE", 1, { x: 0.5 }, { 0: 2 }, {}]);
  assert.deepEqual((await storage.getAllStudies()).map((s) => s.studyName), ["s"]);
  // The next writer carries on from the valid state: trial id 1, number 1.
  const study = await createStudy({ studyName: "s", storage, loadIfExists: true, sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 1 });
  assert.deepEqual(study.trials.map((t) => [t.trialId, t.number, t.state]), [[0, 0, "COMPLETE"], [1, 1, "COMPLETE"]]);
});

/** Opens a JournalStorage on `file`, collecting the warnings its replay logs. */
function openCollecting(file: string): { storage: JournalStorage; warnings: string[] } {
  const warnings: string[] = [];
  const prevSink = setLogSink({ out: () => undefined, err: (l) => void warnings.push(l) });
  setLogLevel("warn");
  try {
    return { storage: new JournalStorage(file), warnings };
  } finally {
    setLogSink(prevSink);
    setLogLevel("error");
  }
}

test("journal replay of study operations and create_trial fields: a valid delete_study applies; a line missing its key, naming an unknown study or holding a non-object field is skipped, with a warning naming the line", async () => {
  const file = path.join(tmpDir("hpo-replay-"), "study.jsonl");
  const trial = (extra: object = {}) => ({ op: "create_trial", study_id: 0, trial_id: 0, number: 0, state: "RUNNING", value: null, params: {}, distributions: {}, intermediate_values: {}, user_attrs: {}, system_attrs: {}, datetime_start: "2026-01-01T00:00:00.000Z", datetime_complete: null, worker: null, ...extra });
  const fields = ["params", "distributions", "intermediate_values", "user_attrs", "system_attrs"];
  const ops: unknown[] = [
    { op: "create_study", study_id: 0, study_name: "a", direction: "minimize" },
    { op: "create_study", study_id: 1, study_name: "b", direction: "minimize" },
    { op: "set_study_user_attr", study_id: 0, key: "k", value: 1 },
    { op: "set_study_system_attr", study_id: 0, key: "s", value: 2 },
    { op: "set_study_user_attr", study_id: 0, value: 3 }, // line 5: no key
    { op: "set_study_system_attr", study_id: 0, key: 7, value: 3 }, // line 6: a key that is not a string
    { op: "delete_study", study_id: 5 }, // line 7: an unknown study
    { op: "delete_study", study_id: "1" }, // line 8: an id that is not an integer
    { op: "delete_study", study_id: 1 }, // line 9: applied (delete_study has no key)
    { op: "set_study_user_attr", study_id: 1, key: "k", value: 4 }, // line 10: the deleted study
    ...fields.map((k) => trial({ [k]: null })), // lines 11-15
    trial({ params: [] }), // line 16
    trial({ user_attrs: "x" }), // line 17
    trial({ params: { x: 0.5 }, distributions: { x: { type: "float", low: 0, high: 1, log: false, step: null } } }), // line 18: applied
    "", // line 19: blank, passed over
    { op: "set_study_user_attr", study_id: 0, key: "after_blank", value: true },
  ];
  fs.writeFileSync(file, ops.map((o) => (o === "" ? "" : JSON.stringify(o))).join("\n") + "\n");
  const { storage, warnings } = openCollecting(file);
  const expected: [number, RegExp][] = [
    [5, /set_study_user_attr: key must be a string, got undefined/],
    [6, /set_study_system_attr: key must be a string, got 7/],
    [7, /No study with id 5 in this storage/],
    [8, /delete_study: study_id must be an integer >= 0, got "1"/],
    [10, /No study with id 1 in this storage/],
    ...fields.map((k, i): [number, RegExp] => [11 + i, new RegExp(`create_trial: ${k} must be an object, got null`)]),
    [16, /create_trial: params must be an object, got \[\]/],
    [17, /create_trial: user_attrs must be an object, got "x"/],
  ];
  assert.equal(warnings.length, expected.length, warnings.join("\n"));
  expected.forEach(([line, why], i) => {
    assert.match(warnings[i], new RegExp(`Journal .*study\\.jsonl line ${line}: skipped an invalid operation`), warnings[i]);
    assert.match(warnings[i], why);
  });
  assert.deepEqual((await storage.getAllStudies()).map((s) => s.studyName), ["a"]);
  assert.deepEqual([await storage.getStudyUserAttrs(0), await storage.getStudySystemAttrs(0)], [{ k: 1, after_blank: true }, { s: 2 }]);
  const trials = await storage.getAllTrials(0);
  assert.deepEqual(trials.map((t) => [t.trialId, t.number, t.params]), [[0, 0, { x: 0.5 }]]);
  // A second replay of the same file reaches the same state; a new study after the deleted one takes id 2.
  const again = openCollecting(file);
  assert.deepEqual(await again.storage.getAllTrials(0), trials);
  await createStudy({ studyName: "c", storage: again.storage });
  assert.deepEqual((await again.storage.getAllStudies()).map((s) => [s.studyId, s.studyName]), [[0, "a"], [2, "c"]]);
});

test("journal: a torn last line (a writer killed mid-line) is left unread and cut by the next writer; a corrupt complete line is an error naming the file and line", async () => {
  const dir = tmpDir("hpo-torn-");
  const file = path.join(dir, "study.jsonl");
  const study = await createStudy({ studyName: "s", storage: `journal:${file}`, sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 2 });
  const good = fs.readFileSync(file, "utf8");
  const lines = good.split("\n").length - 1;
  // Torn tail: readers replay the complete lines only.
  fs.writeFileSync(file, good + '{"op":"set_trial_state","trial_id":1,"sta');
  const torn = openCollecting(file);
  assert.deepEqual(torn.warnings, []);
  assert.deepEqual(await torn.storage.getAllTrials(0), study.trials);
  // The next writer drops it (with a warning) and appends after the last complete line.
  const prevSink = setLogSink({ out: () => undefined, err: (l) => void torn.warnings.push(l) });
  setLogLevel("warn");
  try {
    const resumed = await createStudy({ studyName: "s", storage: torn.storage, loadIfExists: true, sampler: new RandomSampler({ seed: 1 }) });
    await resumed.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 1 });
  } finally {
    setLogSink(prevSink);
    setLogLevel("error");
  }
  assert.ok(torn.warnings.some((w) => /dropping a torn last line \(41 bytes\) left by a writer that died/.test(w)), torn.warnings.join("\n"));
  const after = fs.readFileSync(file, "utf8");
  assert.ok(after.startsWith(good) && after.endsWith("\n") && !after.includes('"sta\n') && !after.includes('"sta{'), after);
  assert.deepEqual((await loadStudy({ studyName: "s", storage: new JournalStorage(file) })).trials.map((t) => [t.number, t.state]), [[0, "COMPLETE"], [1, "COMPLETE"], [2, "COMPLETE"]]);
  // A corrupt line in the middle, or a complete (newline-ended) last line that is not JSON, is not a crash's doing: an error naming it.
  const middle = good.split("\n");
  middle[2] = middle[2].slice(0, 20);
  fs.writeFileSync(file, middle.join("\n"));
  assert.throws(() => new JournalStorage(file), new RegExp(`Journal .*study\\.jsonl line 3 is not valid JSON \\(.*\\); the file is corrupt`));
  fs.writeFileSync(file, good + "{not json\n");
  assert.throws(() => new JournalStorage(file), new RegExp(`Journal .*study\\.jsonl line ${lines + 1} is not valid JSON \\(.*\\); the file is corrupt`));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const XY = { x: { type: "float", low: -2, high: 2, log: false, step: null }, y: { type: "float", low: -2, high: 2, log: false, step: null } } as const;

test("journal heartbeat: RUNNING trials of a dead worker on another host, or whose pid was reused, are failed and retried; a beating one is kept", async () => {
  const file = path.join(tmpDir("hpo-heartbeat-"), "study.jsonl");
  const options = { heartbeatInterval: 0.1, gracePeriod: 1, failedTrialCallback: retryFailedTrial() };
  const storage = new JournalStorage(file, options);
  const study = await createStudy({ studyName: "hb", storage, sampler: new RandomSampler({ seed: 0 }) });
  // Another machine sharing the file (its pid means nothing here), and this machine's pid
  // reused by a live process (the parent of this test) after the worker died.
  const elsewhere = await storage.createNewTrial(study.studyId, { params: { x: 0.5, y: 0.25 }, distributions: XY }, { host: "another-machine", pid: 1, id: "ghost" });
  const reused = await storage.createNewTrial(study.studyId, { params: { x: -1, y: 1 }, distributions: XY }, { host: os.hostname(), pid: process.ppid, id: "reused" });
  await storage.recordHeartbeat(elsewhere.trialId);
  await storage.recordHeartbeat(reused.trialId);
  // A worker that is alive and beating: another Study object (another worker) on its own storage.
  const alive = await loadStudy({ studyName: "hb", storage: new JournalStorage(file, options), sampler: new RandomSampler({ seed: 1 }) });
  const running = await alive.ask();
  await sleep(1600);
  assert.deepEqual(await study.failStaleTrials().then((f) => f.map((t) => t.number).sort()), [elsewhere.number, reused.number]);
  await study.refresh();
  const byNumber = (n: number) => study.trials.find((t) => t.number === n)!;
  for (const n of [elsewhere.number, reused.number]) {
    assert.equal(byNumber(n).state, "FAIL");
    assert.equal(byNumber(n).systemAttrs.fail_reason, "stale: its heartbeat stopped");
  }
  assert.equal(byNumber(running.number).state, "RUNNING", "a trial whose worker beats is not stale");
  const retries = study.trials.filter((t) => t.state === "WAITING");
  assert.deepEqual(retries.map((t) => [t.params, t.systemAttrs.failed_trial]).sort(), [[{ x: -1, y: 1 }, reused.number], [{ x: 0.5, y: 0.25 }, elsewhere.number]].sort());
  await alive.tell(running, 1);
  // A new worker's optimize runs the retries.
  await study.optimize(rosenbrockObjective, { nTrials: 2 });
  assert.equal(study.trials.filter((t) => t.state === "COMPLETE").length, 3);
  assert.ok(study.trials.every((t) => t.state !== "RUNNING" && t.state !== "WAITING"));
  // The journal holds the heartbeats, and another process replays the same states.
  assert.ok(fs.readFileSync(file, "utf8").includes('"op":"heartbeat"'));
  assert.deepEqual((await new JournalStorage(file).getAllTrials(study.studyId)).map((t) => t.state), study.trials.map((t) => t.state));
});

test("journal without a heartbeat: another host's trial, or one whose worker record has no start time, stays RUNNING (the heartbeat is what catches them)", async () => {
  const file = path.join(tmpDir("hpo-noheartbeat-"), "study.jsonl");
  const storage = new JournalStorage(file);
  const study = await createStudy({ studyName: "nohb", storage });
  await storage.createNewTrial(study.studyId, {}, { host: "another-machine", pid: 1, id: "ghost" });
  await storage.createNewTrial(study.studyId, {}, { host: os.hostname(), pid: process.ppid, id: "reused" });
  assert.deepEqual(await study.failStaleTrials(), []);
  assert.deepEqual(await storage.getStaleTrialIds(study.studyId), []);
});

test("heartbeat options are checked: positive seconds, and a grace period needs an interval", () => {
  const file = path.join(tmpDir("hpo-hbopt-"), "study.jsonl");
  assert.throws(() => new JournalStorage(file, { heartbeatInterval: 0 }), /JournalStorage: heartbeatInterval must be a positive number of seconds, got 0/);
  assert.throws(() => new JournalStorage(file, { heartbeatInterval: NaN }), /heartbeatInterval must be a positive number of seconds, got NaN/);
  assert.throws(() => new JournalStorage(file, { heartbeatInterval: 1, gracePeriod: -1 }), /gracePeriod must be a positive number of seconds, got -1/);
  assert.throws(() => new JournalStorage(file, { gracePeriod: 5 }), /gracePeriod needs heartbeatInterval/);
  assert.throws(() => new PostgresStorage("postgresql://u@h/db", { gracePeriod: 5 }), /PostgresStorage: gracePeriod needs heartbeatInterval/);
  assert.equal(new JournalStorage(file, { heartbeatInterval: 3 }).options.gracePeriod, 6);
});

test("without a heartbeat, on this machine, a worker whose pid was reused by another process is told apart by its start time", async (t) => {
  if (processStart(process.pid) === undefined) return t.skip("no /proc here: process start times are unknown");
  assert.equal(thisWorker().start, processStart(process.pid));
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    const pid = child.pid!;
    const start = processStart(pid)!;
    assert.match(start, /^[-0-9a-f]*:\d+$/);
    const storage = new JournalStorage(path.join(tmpDir("hpo-reused-"), "study.jsonl"));
    const study = await createStudy({ studyName: "reused", storage });
    // The dead worker had this pid but started at another time: the pid was reused.
    const reused = await storage.createNewTrial(study.studyId, {}, { host: os.hostname(), pid, id: "dead", start: `${start.split(":")[0]}:1` });
    // The live process itself: not stale.
    const live = await storage.createNewTrial(study.studyId, {}, { host: os.hostname(), pid, id: "live", start });
    const failed = await study.failStaleTrials();
    assert.deepEqual(failed.map((x) => x.number), [reused.number]);
    assert.match(String(failed[0].systemAttrs.fail_reason), /the pid now belongs to another process/);
    assert.equal((await storage.getTrial(live.trialId)).state, "RUNNING");
  } finally {
    child.kill("SIGKILL");
  }
});

test("hpo:worker --heartbeat on a journal records heartbeats; a bad --grace-period is a clear error", async () => {
  const file = path.join(tmpDir("hpo-worker-hb-"), "study.jsonl");
  const ok = await runWorker(["--storage", `journal:${file}`, "--study", "s", "--trials", "3", "--objective", "rosenbrock", "--heartbeat", "5", "--grace-period", "30"]);
  assert.equal(ok.code, 0, ok.out);
  const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.filter((o) => o.op === "heartbeat").length, 3, "one heartbeat at the start of each trial");
  assert.deepEqual((await new JournalStorage(file).getAllTrials(0)).map((t) => t.state), ["COMPLETE", "COMPLETE", "COMPLETE"]);
  const bad = await runWorker(["--storage", `journal:${file}`, "--study", "s", "--trials", "1", "--objective", "rosenbrock", "--heartbeat", "5", "--grace-period", "soon"]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /JournalStorage: gracePeriod must be a positive number of seconds, got NaN/);
});
