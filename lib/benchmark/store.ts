import * as fs from "node:fs";
import * as path from "node:path";
import { PerfMetrics } from "./performanceBenchmark";
import { readJson, writeJsonAtomic } from "../utils/fs";

/** Where the notebooks collect their benchmark rows (outputs/ is not committed). */
export const PERF_METRICS_FILE = path.resolve(__dirname, "..", "..", "outputs", "perf_metrics.json");

/** The perf_metrics table gathered so far (empty when none). */
export function loadPerfMetrics(file = PERF_METRICS_FILE): PerfMetrics {
  return fs.existsSync(file) ? readJson<PerfMetrics>(file, "perf metrics") : {};
}

/** Merges rows into the stored table (atomically) and returns the whole table. */
export function savePerfMetrics(rows: PerfMetrics, file = PERF_METRICS_FILE): PerfMetrics {
  const all = { ...loadPerfMetrics(file), ...rows };
  writeJsonAtomic(file, all);
  return all;
}
