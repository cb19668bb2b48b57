import * as fs from "node:fs";
import * as path from "node:path";
import { PerfMetrics } from "./performanceBenchmark";
import { readJson, writeJsonAtomic } from "../utils/fs";

/**
 * Where the notebooks collect their benchmark rows (outputs/ is not committed).
 *
 * @example
 * loadPerfMetrics(PERF_METRICS_FILE); // the same as loadPerfMetrics() for CLINC150: "<repo>/outputs/perf_metrics.json"
 */
export const PERF_METRICS_FILE = path.resolve(__dirname, "..", "..", "outputs", "perf_metrics.json");

/**
 * The table the notebooks use by default: PERF_METRICS_FILE for CLINC150,
 * outputs/<data>/perf_metrics.json under WORKBOOK_DATA, so a run on other
 * data never mixes its rows into CLINC150's table (or another dataset's).
 *
 * @example perfMetricsFile({ WORKBOOK_DATA: "data/my-shop" }); // "<repo>/outputs/my-shop/perf_metrics.json"
 */
export function perfMetricsFile(env: NodeJS.ProcessEnv = process.env): string {
  return datasetFile(PERF_METRICS_FILE, env);
}

/** `file`, moved into outputs/<data>/ when WORKBOOK_DATA names a folder. */
function datasetFile(file: string, env: NodeJS.ProcessEnv): string {
  const own = env.WORKBOOK_DATA;
  return own ? path.join(path.dirname(file), path.basename(path.resolve(own)), path.basename(file)) : file;
}

/**
 * The perf_metrics table gathered so far (empty when none).
 *
 * @example
 * const perfMetrics = loadPerfMetrics(); // { "BERT baseline": { sizeMb, timeAvgMs, timeStdMs, accuracy }, … }
 */
export function loadPerfMetrics(file = perfMetricsFile()): PerfMetrics {
  return fs.existsSync(file) ? readJson<PerfMetrics>(file, "perf metrics") : {};
}

/**
 * Merges rows into the stored table (atomically) and returns the whole table.
 *
 * @example
 * perfMetrics = savePerfMetrics(await pb.runBenchmark()); // the whole table, this row merged in
 * showFigure(plotMetrics(perfMetrics, optimType));
 */
export function savePerfMetrics(rows: PerfMetrics, file = perfMetricsFile()): PerfMetrics {
  const all = { ...loadPerfMetrics(file), ...rows };
  writeJsonAtomic(file, all);
  return all;
}

/**
 * Demonstrations (a one-epoch run that shows an API, a training-hook loop)
 * are measured like optimisations but kept in their own store, so the
 * workbook's charts and final report show only real rows; the report lists
 * demonstrations in a table of their own.
 *
 * @example
 * loadDemoMetrics(DEMO_METRICS_FILE); // the same as loadDemoMetrics(): "<repo>/outputs/demo_metrics.json"
 */
export const DEMO_METRICS_FILE = path.resolve(__dirname, "..", "..", "outputs", "demo_metrics.json");

/**
 * The demonstrations' store for the data in use (see {@link perfMetricsFile}).
 *
 * @example demoMetricsFile({}); // DEMO_METRICS_FILE
 */
export function demoMetricsFile(env: NodeJS.ProcessEnv = process.env): string {
  return datasetFile(DEMO_METRICS_FILE, env);
}

/**
 * Merges demonstration rows into their store and returns all of them.
 *
 * @example
 * saveDemoMetrics(await new PerformanceBenchmark(pipe, testSet, "One-epoch student").runBenchmark()); // kept off the final chart
 */
export function saveDemoMetrics(rows: PerfMetrics, file = demoMetricsFile()): PerfMetrics {
  return savePerfMetrics(rows, file);
}

/**
 * The demonstration rows gathered so far (empty when none).
 *
 * @example
 * Object.keys(loadDemoMetrics()); // ["One-epoch student", …]
 */
export function loadDemoMetrics(file = demoMetricsFile()): PerfMetrics {
  return loadPerfMetrics(file);
}

/**
 * Empties both stores: the first notebook starts the comparison afresh (as `npm start` does for a whole run).
 *
 * @example
 * resetPerfMetrics(); // the first notebook starts an empty comparison
 */
export function resetPerfMetrics(file = perfMetricsFile(), demoFile = demoMetricsFile()): void {
  for (const f of [file, demoFile]) fs.rmSync(f, { force: true });
}
