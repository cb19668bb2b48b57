// Load tests of the model server with autocannon (a maintained HTTP load
// generator): the server CLI (scripts/serve.ts) started as a child process,
// its cold start (spawn → first 200 on /predict) and resident memory, then
// fixed-duration runs at several concurrencies.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The part of autocannon's API used here (it ships no TypeScript types). */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: object, cb: (err: Error | null, result: AutocannonResult) => void) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: Autocannon = require("autocannon");

/** One fixed-duration autocannon run. */
export interface LoadRun {
  /** Connections kept busy at once (autocannon's `connections`). */
  concurrency: number;
  /** Seconds it ran. */
  durationS: number;
  /** 2xx answers per second. */
  reqPerSec: number;
  /** Latency percentiles of answered requests, ms. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** 2xx answers in all. */
  ok: number;
  /** Answers with another status. */
  non2xx: number;
  /** Network errors and timeouts. */
  errors: number;
  /** Count per status code. */
  statusCodes: Record<string, number>;
}

/** What `runLoad()` accepts. */
export interface RunLoadOptions {
  /** The endpoint, e.g. "http://127.0.0.1:8080/predict". */
  url: string;
  /** JSON bodies POSTed in turn by every connection. */
  bodies: readonly unknown[];
  concurrency: number;
  /** Seconds to run (fractions allowed). */
  durationS: number;
  /** Per-request timeout, seconds (default 30). */
  timeoutS?: number;
}

function checkPositive(name: string, v: number, integer: boolean): void {
  if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v)))) throw new Error(`${name} must be a ${integer ? "whole number >= 1" : "number > 0"}, got ${v}`);
}

/**
 * Runs autocannon for `durationS` seconds at `concurrency` connections,
 * POSTing the JSON bodies in turn; errors and non-2xx answers are counted, not thrown.
 *
 * @example const r = await runLoad({ url: "http://127.0.0.1:8080/predict", bodies: [{ inputs: "hi" }], concurrency: 8, durationS: 2 }); r.reqPerSec;
 */
export function runLoad(options: RunLoadOptions): Promise<LoadRun> {
  const { url, bodies, concurrency, durationS } = options;
  if (bodies.length === 0) throw new Error("runLoad: pass at least one body");
  checkPositive("runLoad: concurrency", concurrency, true);
  checkPositive("runLoad: durationS", durationS, false);
  const requests = bodies.map((b) => ({ method: "POST", path: new URL(url).pathname, headers: { "content-type": "application/json" }, body: JSON.stringify(b) }));
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: concurrency, duration: durationS, timeout: options.timeoutS ?? 30, requests }, (err, r) => {
      if (err) return reject(err);
      const statusCodes: Record<string, number> = {};
      for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = s.count;
      const ok = r["2xx"];
      resolve({
        concurrency,
        durationS: r.duration,
        reqPerSec: r.duration > 0 ? ok / r.duration : 0,
        // Percentiles of nothing (no answer came back) are NaN, not 0.
        p50Ms: ok + r.non2xx > 0 ? r.latency.p50 : NaN,
        p90Ms: ok + r.non2xx > 0 ? r.latency.p90 : NaN,
        p99Ms: ok + r.non2xx > 0 ? r.latency.p99 : NaN,
        ok,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        statusCodes,
      });
    });
  });
}

/**
 * Resident memory (VmRSS) of a process and its descendants, MB; NaN where /proc is missing (not Linux).
 *
 * @example processTreeRssMb(server.pid); // e.g. 220 (the server and its cluster workers)
 */
export function processTreeRssMb(pid: number): number {
  const rss = (p: number): number => {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  if (!fs.existsSync("/proc/self/status")) return NaN;
  let total = 0;
  const seen = new Set<number>();
  const visit = (p: number) => {
    if (seen.has(p)) return;
    seen.add(p);
    total += rss(p);
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = "";
      try {
        kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, "utf8");
      } catch {
        continue;
      }
      for (const k of kids.trim().split(/\s+/).filter(Boolean)) visit(Number(k));
    }
  };
  visit(pid);
  return total;
}

/** A model server started as a child process by `startServerProcess()`. */
export interface ServerProcess {
  pid: number;
  /** e.g. "http://127.0.0.1:40123" */
  url: string;
  /** Milliseconds from spawn to the first 200 on POST /predict. */
  coldStartMs: number;
  /** Resident memory of the server and its workers now, MB. */
  rssMb(): number;
  /** What it printed so far. */
  output(): string;
  /** SIGTERM (it drains and exits 0); resolves with the exit code and signal. SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** What `startServerProcess()` accepts. */
export interface ServerProcessOptions {
  /** A text-classification model folder. */
  folder: string;
  /** "fp32" or "q8": serve its ONNX file in ONNX Runtime; TensorFlow.js otherwise. */
  dtype?: "fp32" | "q8";
  /** Processes serving the port (default 1). */
  workers?: number;
  /** More CLI flags, e.g. ["--batch-wait-ms", "2", "--max-batch", "32"]. */
  args?: readonly string[];
  /** The body of the first /predict request (default { inputs: "hello" }). */
  probe?: unknown;
  /** Give up after this long (default 180 s). */
  timeoutMs?: number;
  /** The server script (default scripts/serve.ts of this repository). */
  script?: string;
}

const SERVE_SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "serve.ts");

/**
 * Spawns the model server CLI on a free port and waits for its first 200 on
 * POST /predict; the time that took is its cold start (Node start, backend,
 * model load, first inference).
 *
 * @example const server = await startServerProcess({ folder: "data/models/distilbert-clinc-pruned", dtype: "q8" }); server.coldStartMs; await server.stop();
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const folder = path.resolve(options.folder);
  if (!fs.existsSync(path.join(folder, "config.json"))) throw new Error(`startServerProcess: ${options.folder} is not a model folder (no config.json)`);
  const workers = options.workers ?? 1;
  checkPositive("startServerProcess: workers", workers, true);
  const timeoutMs = options.timeoutMs ?? 180_000;
  const args = [folder, "--port", "0", "--workers", String(workers), ...(options.dtype ? ["--dtype", options.dtype] : []), ...(options.args ?? [])];
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", options.script ?? SERVE_SCRIPT, ...args], {
    cwd: path.resolve(__dirname, "..", ".."),
    env: { ...process.env, WORKBOOK_QUIET_BACKEND: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const stop = async (ms = 30_000) => {
    if (exit) return exit;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    const r = await exited;
    clearTimeout(timer);
    return r;
  };
  const fail = async (why: string): Promise<never> => {
    await stop(2000);
    throw new Error(`startServerProcess: ${why}\n${out.trim()}`);
  };
  let url: string | undefined;
  const body = JSON.stringify(options.probe ?? { inputs: "hello" });
  while (true) {
    if (exit) return fail(`the server exited (code ${exit.code}, signal ${exit.signal}) before answering`);
    if (performance.now() - t0 > timeoutMs) return fail(`no 200 on /predict within ${timeoutMs} ms`);
    url ??= /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url) {
      const res = await fetch(`${url}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body }).catch(() => undefined);
      if (res?.status === 200) {
        await res.arrayBuffer();
        break;
      }
      if (res && res.status !== 503) return fail(`the first /predict answered ${res.status}: ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const coldStartMs = performance.now() - t0;
  return { pid: child.pid!, url: url!, coldStartMs, rssMb: () => processTreeRssMb(child.pid!), output: () => out, stop };
}

/** What `loadTestServer()` accepts. */
export interface LoadTestServerOptions extends ServerProcessOptions {
  /** A name for the report (default the folder's name). */
  name?: string;
  /** JSON bodies POSTed in turn, e.g. one CLINC150 test query each: `{ inputs: text }`. */
  bodies: readonly unknown[];
  /** Concurrencies to run, in order (e.g. [1, 8, 32]). */
  concurrencies: readonly number[];
  /** Seconds per concurrency. */
  durationS: number;
  /** Seconds of unrecorded load before the runs (default 1). */
  warmupS?: number;
}

/** A server's load test: cold start, memory, one run per concurrency, and how it stopped. */
export interface ServerLoadReport {
  name: string;
  folder: string;
  dtype: string;
  workers: number;
  coldStartMs: number;
  /** Resident memory of the server process(es) after the first answer, MB. */
  rssIdleMb: number;
  /** The same after the runs (the peak is not tracked), MB. */
  rssAfterMb: number;
  /** rssAfterMb divided by the worker count. */
  rssPerWorkerMb: number;
  runs: LoadRun[];
  /** The server's exit code after SIGTERM (0: it drained cleanly). */
  exitCode: number | null;
}

/**
 * Starts the server CLI on a model folder, records its cold start and memory,
 * load-tests it with autocannon at each concurrency, and stops it with SIGTERM.
 *
 * @example const r = await loadTestServer({ folder: "data/models/distilbert-clinc-pruned", dtype: "q8", bodies: [{ inputs: "what is my balance" }], concurrencies: [1, 8], durationS: 2 }); r.runs[1].reqPerSec;
 */
export async function loadTestServer(options: LoadTestServerOptions): Promise<ServerLoadReport> {
  if (options.concurrencies.length === 0) throw new Error("loadTestServer: pass at least one concurrency");
  if (options.bodies.length === 0) throw new Error("loadTestServer: pass at least one body");
  const server = await startServerProcess({ ...options, probe: options.probe ?? options.bodies[0] });
  let exitCode: number | null = null;
  try {
    const rssIdleMb = server.rssMb();
    const url = `${server.url}/predict`;
    const warmupS = options.warmupS ?? 1;
    if (warmupS > 0) await runLoad({ url, bodies: options.bodies, concurrency: Math.max(...options.concurrencies), durationS: warmupS });
    const runs: LoadRun[] = [];
    for (const c of options.concurrencies) runs.push(await runLoad({ url, bodies: options.bodies, concurrency: c, durationS: options.durationS }));
    const rssAfterMb = server.rssMb();
    const workers = options.workers ?? 1;
    const report = { name: options.name ?? path.basename(path.resolve(options.folder)), folder: options.folder, dtype: options.dtype ?? "tfjs", workers, coldStartMs: server.coldStartMs, rssIdleMb, rssAfterMb, rssPerWorkerMb: rssAfterMb / workers, runs };
    exitCode = (await server.stop()).code;
    return { ...report, exitCode };
  } finally {
    await server.stop();
  }
}

/**
 * The best throughput among runs whose p99 latency is within `p99BoundMs`
 * and that had no errors or non-2xx answers; 0 when none qualifies.
 *
 * @example throughputWithinP99([{ reqPerSec: 50, p99Ms: 30, errors: 0, non2xx: 0 }, { reqPerSec: 90, p99Ms: 120, errors: 0, non2xx: 0 }], 50); // 50
 */
export function throughputWithinP99(runs: readonly Pick<LoadRun, "reqPerSec" | "p99Ms" | "errors" | "non2xx">[], p99BoundMs: number): number {
  let best = 0;
  for (const r of runs) if (r.p99Ms <= p99BoundMs && r.errors === 0 && r.non2xx === 0) best = Math.max(best, r.reqPerSec);
  return best;
}
