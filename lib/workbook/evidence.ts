// The committed record of the benches (bench/results/summary.json, written
// by `npm run bench`), for notebooks that show a sweep too long to rerun in
// the default profile next to the points they measure live.
import * as fs from "node:fs";
import * as path from "node:path";
import { readJson } from "../utils/fs";

/**
 * The committed record of the benches, `bench/results/summary.json` (what `committedBenchRun` reads by default).
 *
 * @example
 * committedBenchRun("pruning", BENCH_SUMMARY)?.date; // when `npm run bench` last recorded the pruning bench
 */
export const BENCH_SUMMARY = path.resolve(__dirname, "..", "..", "bench", "results", "summary.json");

/** One bench's latest committed run: when, where, at which commit, and its figures by metric. */
export interface CommittedBenchRun {
  bench: string;
  date: string;
  machine: string;
  gitCommit?: string;
  values: Record<string, number>;
}

/**
 * The latest committed run of bench `name` (e.g. "pruning"), or undefined
 * when it has not been recorded.
 *
 * @example committedBenchRun("pruning")?.values.magnitude90TestAccuracy; // 0.7547
 */
export function committedBenchRun(name: string, file = BENCH_SUMMARY): CommittedBenchRun | undefined {
  if (!fs.existsSync(file)) return undefined;
  const summary = readJson<Record<string, { date: string; machine: string; gitCommit?: string; rows: { metric: string; value: number }[] }>>(file, "bench summary");
  const run = summary[name];
  if (!run) return undefined;
  return { bench: name, date: run.date, machine: run.machine, gitCommit: run.gitCommit, values: Object.fromEntries(run.rows.filter((r) => typeof r.value === "number").map((r) => [r.metric, r.value])) };
}
