// npm run serve as a child process: SIGTERM during load answers every request
// already received and exits 0 (one process, and node:cluster workers); a
// folder that fails to load stops the command with the loader's error before
// anything listens.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { ready } from "../helpers/setup";
import { TINY_TEXTS, tinyModelFolder } from "../helpers/servingModels";
import { pipeline } from "../../lib/pipelines";
import { loadTest, postJson } from "../../tools/loadTest";

const ROOT = path.resolve(__dirname, "..", "..");

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Cli {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts", ...args], { cwd: ROOT, env: { ...process.env, WORKBOOK_QUIET_BACKEND: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The URL the CLI prints once every worker listens (or the reason it never did). */
async function listening(cli: Cli, timeoutMs = 90_000): Promise<string> {
  const t0 = Date.now();
  let exited = false;
  cli.exited.then(() => (exited = true));
  while (Date.now() - t0 < timeoutMs) {
    const m = /listening on (http:\/\/\S+)/.exec(cli.stdout());
    if (m) return m[1];
    if (exited) throw new Error(`the server exited before listening:\n${cli.stdout()}\n${cli.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  cli.child.kill("SIGKILL");
  throw new Error(`the server did not listen within ${timeoutMs} ms:\n${cli.stdout()}\n${cli.stderr()}`);
}

/** The pid of the worker that answers a GET /health on a new connection (fetch would reuse a keep-alive one). */
function pidOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/health`, { agent: false, timeout: 3000 }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve((JSON.parse(text) as { pid: number }).pid));
    });
    req.on("timeout", () => req.destroy(new Error("GET /health timed out")));
    req.on("error", reject);
  });
}

async function inFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^serve_in_flight_requests (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/**
 * Fires `n` requests on `n` connections at a server whose micro-batches wait
 * long enough to hold them all, waits until its /metrics counts them in
 * flight, sends SIGTERM, and returns what came back and how the process exited.
 */
async function sigtermDuringLoad(workers: number, n: number, newConnection: boolean) {
  await ready;
  const dir = tinyModelFolder();
  const pipe = pipeline("text-classification", dir);
  const expected = (await pipe(TINY_TEXTS)).map((r) => r[0]);
  pipe.dispose();
  const cli = startCli([dir, "--port", "0", "--workers", String(workers), "--batch-wait-ms", "2000", "--max-batch", "1000"]);
  try {
    const url = await listening(cli);
    const load = loadTest({ url: `${url}/predict`, bodies: TINY_TEXTS.map((t) => ({ inputs: t })), requests: n, concurrency: n, newConnection });
    // Every request received and waiting in a micro-batch (the /metrics request itself counts too).
    const t0 = Date.now();
    let seen = 0;
    while ((seen = await inFlight(url)) < n && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(seen >= n, `only ${seen} of ${n} requests reached the server`);
    cli.child.kill("SIGTERM");
    const sent = performance.now();
    const [run, exit] = await Promise.all([load, cli.exited]);
    // Out as soon as the batch (2 s) was answered: no keep-alive connection held the close up.
    assert.ok(performance.now() - sent < 15_000, `exited ${performance.now() - sent} ms after SIGTERM`);
    return { run, exit, expected, cli };
  } finally {
    cli.child.kill("SIGKILL");
  }
}

test("SIGTERM during load: every request in flight is answered 200 with its prediction, then the process exits 0 (one process, keep-alive connections)", async () => {
  const { run, exit, expected, cli } = await sigtermDuringLoad(1, 50, false);
  assert.deepEqual(run.statuses, new Array(50).fill(200), cli.stderr());
  run.bodies.forEach((b, i) => assert.deepEqual((b as { predictions: unknown[] }).predictions, [expected[i % TINY_TEXTS.length]], `request ${i}`));
  assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr());
});

test("SIGTERM during load with 2 cluster workers and 200 concurrent connections: all 200 answered, /metrics summed over the workers, exit 0", async () => {
  const { run, exit, expected, cli } = await sigtermDuringLoad(2, 200, true);
  assert.deepEqual(run.statuses, new Array(200).fill(200), cli.stderr());
  run.bodies.forEach((b, i) => assert.deepEqual((b as { predictions: unknown[] }).predictions, [expected[i % TINY_TEXTS.length]], `request ${i}`));
  assert.match(cli.stdout(), /listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers, micro-batching 2000 ms \/ 1000 texts\)/);
  assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr());
});

test("a model folder that fails to load: the command exits 1 with the loader's error and never listens (one process, and 2 workers)", async () => {
  await ready;
  const broken = tinyModelFolder();
  const config = JSON.parse(fs.readFileSync(path.join(broken, "config.json"), "utf8"));
  fs.writeFileSync(path.join(broken, "config.json"), JSON.stringify({ ...config, model_type: "gpt2" }));
  const corrupt = tinyModelFolder();
  const weights = path.join(corrupt, "model.safetensors");
  const bytes = fs.readFileSync(weights);
  bytes[bytes.length - 3] ^= 1;
  fs.writeFileSync(weights, bytes);
  const cases: [dir: string, workers: string, message: RegExp][] = [
    [broken, "1", /^model server: Unsupported model_type "gpt2" in .*config\.json/m],
    [broken, "2", /^model server: Unsupported model_type "gpt2" in .*config\.json/m],
    [corrupt, "2", /^model server: .*model\.safetensors does not match its recorded sha256/m],
    [path.join(broken, "missing"), "1", /^model server: .*missing/m],
  ];
  for (const [dir, workers, message] of cases) {
    const cli = startCli([dir, "--port", "0", "--workers", workers]);
    const exit = await cli.exited;
    assert.deepEqual(exit, { code: 1, signal: null }, `${dir} (${workers} workers): ${cli.stderr()}`);
    assert.match(cli.stderr(), message);
    assert.doesNotMatch(cli.stdout(), /listening/);
  }
});

test("bad command lines are refused with the usage", async () => {
  for (const [args, message] of [
    [[], /pass exactly one model folder \(got 0\)/],
    [["dir", "--dtype", "int8"], /--dtype must be fp32 or q8, got "int8"/],
    [["dir", "--max-batch", "8"], /--max-batch needs --batch-wait-ms/],
    [["dir", "--workers", "two"], /--workers must be a whole number, got "two"/],
  ] as [string[], RegExp][]) {
    const cli = startCli(args);
    assert.deepEqual(await cli.exited, { code: 1, signal: null });
    assert.match(cli.stderr(), message);
    assert.match(cli.stderr(), /usage: npm run serve -- <model folder>/);
  }
});

test("a cluster worker that dies is replaced: the server keeps answering, and still drains and exits 0 on SIGTERM", async () => {
  await ready;
  const dir = tinyModelFolder();
  const cli = startCli([dir, "--port", "0", "--workers", "2"]);
  try {
    const url = await listening(cli);
    // Round-robin: a few requests reach both workers.
    const pids = new Set<number>();
    for (let i = 0; i < 10 && pids.size < 2; i++) pids.add(await pidOf(url));
    assert.equal(pids.size, 2, "two workers answer");
    const victim = [...pids][0];
    process.kill(victim, "SIGKILL");
    // The replacement loads and listens; meanwhile the other worker answers.
    const t0 = Date.now();
    const seen = new Set<number>();
    const failures: string[] = [];
    while (Date.now() - t0 < 60_000) {
      try {
        const res = await postJson(`${url}/predict`, { inputs: TINY_TEXTS[0] }, { agent: false, timeoutMs: 3000 });
        assert.equal(res.status, 200);
        seen.add(await pidOf(url));
      } catch (err) {
        failures.push(`${Date.now() - t0} ms: ${(err as Error).message} ${String((err as Error).cause ?? "")}`);
      }
      if ([...seen].some((p) => !pids.has(p))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // A connection the primary handed to the worker as it died is lost (node:cluster); the rest are answered.
    assert.ok(failures.length <= 2, `requests that failed after the kill: ${failures.join("; ")}`);
    assert.ok([...seen].some((p) => !pids.has(p)), `a new worker answers (pids before ${[...pids]}, after ${[...seen]}): ${cli.stdout()}\n${cli.stderr()}`);
    assert.ok(!seen.has(victim));
    assert.match(cli.stderr(), /model server: worker \d+ exited \(SIGKILL\); starting another/);
    assert.match(cli.stdout(), /model server: worker \d+ \(replacement\) loaded the model; listening/);
    cli.child.kill("SIGTERM");
    assert.deepEqual(await cli.exited, { code: 0, signal: null }, cli.stderr());
  } finally {
    cli.child.kill("SIGKILL");
  }
});
