import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { tmpDir } from "../helpers/setup";
import { createStudy, loadStudy, JournalStorage, JournalFileLock, RandomSampler, retryFailedTrial, rosenbrockObjective, TrialPruned, NopPruner } from "../../lib/hpo";
import { setLogLevel, setLogSink } from "../../lib/utils/log";

setLogLevel("error");
const ROOT = path.resolve(__dirname, "..", "..");

/** Runs scripts/hpo_worker.ts in a child process; resolves with its exit code and output. */
function worker(args: string[], env: Record<string, string> = {}): { done: Promise<{ code: number | null; out: string }>; kill: () => void } {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/hpo_worker.ts", "--quiet", ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return { done: new Promise((resolve) => child.on("exit", (code) => resolve({ code, out }))), kill: () => child.kill("SIGKILL") };
}

async function waitFor(file: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!fs.existsSync(file)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("journal: a second storage on the same file replays every trial exactly (NaN and Infinity included)", async () => {
  const file = path.join(tmpDir("hpo-journal-"), "study.jsonl");
  const study = await createStudy({ studyName: "s", storage: `journal:${file}`, sampler: new RandomSampler({ seed: 0 }), pruner: new NopPruner() });
  await study.optimize((t) => {
    const x = t.suggestFloat("x", -2, 2);
    t.suggestCategorical("c", ["a", null, true]);
    t.report(NaN, 0);
    t.report(Infinity, 1);
    t.setUserAttr("note", { x });
    if (t.number === 2) throw new TrialPruned();
    return x;
  }, { nTrials: 4 });
  await study.enqueueTrial({ x: 1 });
  const again = await loadStudy({ studyName: "s", storage: new JournalStorage(file) });
  assert.deepEqual(again.trials, study.trials);
  assert.equal(again.trials[0].intermediateValues[1], Infinity);
  assert.ok(Number.isNaN(again.trials[0].intermediateValues[0]));
  assert.deepEqual(again.trials.map((t) => t.state), ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE", "WAITING"]);
  await assert.rejects(createStudy({ studyName: "s", storage: new JournalStorage(file) }), /Another study named "s" already exists in this storage: pass loadIfExists: true/);
  await assert.rejects(createStudy({ studyName: "s", storage: new JournalStorage(file), direction: "maximize", loadIfExists: true }), /exists with direction "minimize", not "maximize"/);
  await assert.rejects(loadStudy({ studyName: "nope", storage: new JournalStorage(file) }), /No study named "nope" in this storage/);
});

test("journal: two worker processes share one study: every trial recorded once, numbers unique", async () => {
  const file = path.join(tmpDir("hpo-journal-"), "shared.jsonl");
  const common = ["--storage", `journal:${file}`, "--study", "shared", "--trials", "15", "--objective", "rosenbrock", "--sampler", "random"];
  const [a, b] = [worker([...common, "--seed", "1"]), worker([...common, "--seed", "2"])];
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.out);
  assert.equal(rb.code, 0, rb.out);
  const study = await loadStudy({ studyName: "shared", storage: new JournalStorage(file) });
  const trials = study.trials;
  assert.equal(trials.length, 30);
  assert.deepEqual(trials.map((t) => t.number), [...Array(30).keys()]);
  assert.ok(trials.every((t) => t.state === "COMPLETE" && typeof t.params.x === "number"));
  assert.equal(new Set(trials.map((t) => t.worker!.pid)).size, 2);
  assert.ok(!fs.existsSync(`${file}.lock`));
});

test("journal: resume after a worker is killed mid-trial: finished trials kept, the running one FAIL and re-queued once, no duplicates", async () => {
  const dir = tmpDir("hpo-kill-");
  const file = path.join(dir, "study.jsonl");
  const marker = path.join(dir, "running");
  const w = worker(["--storage", `journal:${file}`, "--study", "k", "--trials", "10", "--objective", "test/fixtures/hpo_objectives.ts#hangOnTrial3", "--seed", "3"], { HPO_MARKER: marker });
  await waitFor(marker);
  w.kill();
  await w.done;
  // A writer killed mid-line leaves a torn tail; the next writer cuts it off.
  fs.appendFileSync(file, '{"op":"set_trial_user_attr","trial_id":3,"ke');
  const before = await loadStudy({ studyName: "k", storage: new JournalStorage(file) });
  assert.deepEqual(before.trials.map((t) => t.state), ["COMPLETE", "COMPLETE", "COMPLETE", "RUNNING"]);
  const killed = before.trials[3];
  const warnings: string[] = [];
  const prevSink = setLogSink({ out: () => undefined, err: (l) => void warnings.push(l) });
  setLogLevel("warn");
  try {
    const storage = new JournalStorage(file, { failedTrialCallback: retryFailedTrial({ maxRetry: 1 }) });
    const study = await createStudy({ studyName: "k", storage, loadIfExists: true, sampler: new RandomSampler({ seed: 4 }) });
    await study.optimize(rosenbrockObjective, { nTrials: 3 });
    const t = study.trials;
    assert.deepEqual(t.map((x) => x.number), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(t.map((x) => x.state), ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]);
    assert.deepEqual(t.slice(0, 3), before.trials.slice(0, 3)); // finished trials untouched
    assert.match(String(t[3].systemAttrs.fail_reason), /^stale: its process \(pid \d+ on .+\) is gone$/);
    assert.deepEqual(t[3].params, killed.params);
    assert.deepEqual(t[4].params, killed.params); // the retry re-runs the same point
    assert.deepEqual([t[4].systemAttrs.failed_trial, t[4].systemAttrs.retry_history], [3, [3]]);
    assert.ok(warnings.some((l) => /dropping a torn last line/.test(l)), warnings.join("\n"));
    assert.ok(warnings.some((l) => /Trial 3 was RUNNING but its process .* is gone: marked FAIL/.test(l)), warnings.join("\n"));
    // Loading again finds nothing stale: no second retry, no duplicate.
    const third = await createStudy({ studyName: "k", storage: new JournalStorage(file, { failedTrialCallback: retryFailedTrial() }), loadIfExists: true });
    assert.deepEqual(await third.failStaleTrials(), []);
    assert.equal(third.trials.length, 7);
  } finally {
    setLogSink(prevSink);
    setLogLevel("error");
  }
});

test("journal lock: a lock left by a dead process is broken; a live holder times out with a clear error", () => {
  const dir = tmpDir("hpo-lock-");
  const file = path.join(dir, "j.jsonl");
  fs.writeFileSync(`${file}.lock`, JSON.stringify({ host: require("node:os").hostname(), pid: 2 ** 22 + 12345, id: "x", time: Date.now() }));
  const lock = new JournalFileLock(file, { timeoutSeconds: 2 });
  lock.withLock(() => assert.ok(fs.existsSync(`${file}.lock`)));
  assert.ok(!fs.existsSync(`${file}.lock`));
  fs.writeFileSync(`${file}.lock`, JSON.stringify({ host: "elsewhere", pid: 1, id: "y", time: Date.now() }));
  assert.throws(() => new JournalFileLock(file, { timeoutSeconds: 0.2 }).acquire(), /Timed out after 0 s waiting for .*j\.jsonl\.lock \(held by elsewhere pid 1\)/);
  fs.writeFileSync(`${file}.lock`, JSON.stringify({ host: "elsewhere", pid: 1, id: "y", time: Date.now() - 60_000 }));
  new JournalFileLock(file, { staleLockSeconds: 30 }).withLock(() => undefined); // older than staleLockSeconds
  // Heartbeats are supported (test/hpo/robustness.test.ts); a bad interval is still a clear error.
  assert.throws(() => new JournalStorage(file, { heartbeatInterval: -5 }), /JournalStorage: heartbeatInterval must be a positive number of seconds, got -5/);
});

test("an unreachable PostgreSQL URL is a clear error naming host and port", async () => {
  await assert.rejects(createStudy({ storage: "postgresql://hpo@127.0.0.1:1/hpo" }), (err: Error) => {
    assert.equal(err.message, "Cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): is the server running and the storage URL right?");
    return true;
  });
  const r = await worker(["--storage", "postgresql://hpo:secret@127.0.0.1:1/hpo", "--study", "x", "--trials", "1", "--objective", "rosenbrock"]).done;
  assert.equal(r.code, 1);
  assert.equal(r.out.trim(), "hpo worker: Cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): is the server running and the storage URL right?");
});
