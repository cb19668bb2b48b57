// The teacher and the final compressed model served side by side (issue #23
// item 2): each served by the server CLI (npm run serve) as a child process,
// its cold start and resident memory, then autocannon at several
// concurrencies with one CLINC150 test query per request.
//   SERVING_BENCH_SECONDS (default 3) per concurrency, SERVING_BENCH_CONCURRENCIES
//   (default 1,8,32), SERVING_BENCH_WORKERS (default 1).
// Latencies are autocannon's, whole milliseconds. By name only (npm run bench -- serving).
import * as path from "node:path";
import { loadTestServer, throughputWithinP99, type ServerLoadReport } from "../lib/serving";
import { MODELS_DIR } from "../lib/workbook/hub";
import { demoModelFolder } from "../tools/demo/server";
import { demoQueries } from "../tools/demo/queries";
import type { BenchRow } from "../tools/benchSummary";

export const SERVING_TEACHER = "bert-clinc-teacher";
export const SERVING_COMPRESSED = "distilbert-clinc-pruned";

export interface ServingBenchOptions {
  concurrencies?: number[];
  durationS?: number;
  workers?: number;
  /** Test queries sent in turn (default 200). */
  queries?: number;
}

export interface ServingBench {
  teacher: ServerLoadReport;
  compressed: ServerLoadReport;
  /** The common p99 bound: twice the teacher's p99 at the lowest concurrency. */
  p99BoundMs: number;
  teacherReqPerSec: number;
  compressedReqPerSec: number;
  ratio: number;
}

function envList(name: string): number[] | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const list = v.split(",").map(Number);
  if (!list.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`${name} must be whole numbers >= 1 separated by commas, got "${v}"`);
  return list;
}

export async function benchServing(options: ServingBenchOptions = {}): Promise<ServingBench> {
  const concurrencies = options.concurrencies ?? envList("SERVING_BENCH_CONCURRENCIES") ?? [1, 8, 32];
  const durationS = options.durationS ?? Number(process.env.SERVING_BENCH_SECONDS ?? 3);
  const workers = options.workers ?? Number(process.env.SERVING_BENCH_WORKERS ?? 1);
  const bodies = demoQueries(options.queries ?? 200).texts.map((inputs) => ({ inputs }));
  const common = { bodies, concurrencies, durationS, workers };
  const teacher = await loadTestServer({ ...common, name: `${SERVING_TEACHER} (TF.js)`, folder: path.join(MODELS_DIR, SERVING_TEACHER) });
  // The int8 ONNX file: the folder's own onnx/model_quantized.onnx, or exported as the demo does.
  const onnxFolder = await demoModelFolder(path.join(MODELS_DIR, SERVING_COMPRESSED));
  const compressed = await loadTestServer({ ...common, name: `${SERVING_COMPRESSED} (ONNX int8)`, folder: onnxFolder, dtype: "q8" });
  const p99BoundMs = 2 * teacher.runs[0].p99Ms;
  const teacherReqPerSec = throughputWithinP99(teacher.runs, p99BoundMs);
  const compressedReqPerSec = throughputWithinP99(compressed.runs, p99BoundMs);
  return { teacher, compressed, p99BoundMs, teacherReqPerSec, compressedReqPerSec, ratio: compressedReqPerSec / teacherReqPerSec };
}

/** The bench's rows: per model its cold start and memory, per concurrency its throughput and latency, then the ratio at the common p99 bound. */
export function servingRows(r: ServingBench): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const m of [r.teacher, r.compressed]) {
    const bench = `serving: ${m.name}, ${m.workers} worker${m.workers === 1 ? "" : "s"}`;
    rows.push({ bench, metric: "cold start ms (spawn → first 200)", value: m.coldStartMs });
    rows.push({ bench, metric: "RSS MB per worker (after load)", value: m.rssPerWorkerMb, note: `idle ${m.rssIdleMb.toFixed(0)} MB, exit code ${m.exitCode}` });
    for (const run of m.runs) {
      const c = `c=${run.concurrency}`;
      rows.push({ bench, metric: `${c} req/s`, value: run.reqPerSec, note: `${run.ok} answered in ${run.durationS.toFixed(1)} s, ${run.errors} errors, ${run.non2xx} non-2xx` });
      rows.push({ bench, metric: `${c} p99 ms`, value: run.p99Ms, note: `p50 ${run.p50Ms} ms, p90 ${run.p90Ms} ms, p99 ${run.p99Ms} ms` });
    }
  }
  const bench = "serving: compressed vs teacher";
  rows.push({ bench, metric: "common p99 bound ms (2x the teacher's p99 at the lowest concurrency)", value: r.p99BoundMs });
  rows.push({ bench, metric: "teacher req/s within the bound (best concurrency, no errors)", value: r.teacherReqPerSec });
  rows.push({ bench, metric: "compressed req/s within the bound (best concurrency, no errors)", value: r.compressedReqPerSec });
  r.teacher.runs.forEach((t, i) => {
    const c = r.compressed.runs[i];
    rows.push({ bench, metric: `req/s ratio at c=${t.concurrency}`, value: c.reqPerSec / t.reqPerSec, note: `p99 ${c.p99Ms} ms vs ${t.p99Ms} ms` });
  });
  rows.push({ bench, metric: "throughput ratio at the same p99 bound", value: r.ratio, target: ">= 10x", met: r.ratio >= 10 });
  return rows;
}
