// The committed record of every bench: bench/results/summary.json keeps, per
// bench, the rows of its latest run with the date, the machine and the git
// commit; summary.md is the same as tables. docs/benchmarks.md quotes these
// tables (scripts/readmeFigures.ts), so no figure there is typed by hand.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readJson, writeFileAtomic, writeJsonAtomic } from "../lib/utils/fs";

export interface BenchRow {
  bench: string;
  metric: string;
  value: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export interface BenchRun {
  date: string;
  backend: string;
  machine: string;
  gitCommit?: string;
  seconds: number;
  rows: BenchRow[];
}

export type BenchSummary = Record<string, BenchRun>;

export const SUMMARY_JSON = path.join(__dirname, "..", "bench", "results", "summary.json");
export const SUMMARY_MD = path.join(__dirname, "..", "bench", "results", "summary.md");

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  let flags = "";
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].split(" ") ?? [];
    flags = ["avx2", "avx512f", "avx512_vnni", "avx_vnni"].filter((f) => line.includes(f)).join(", ");
  } catch {
    /* not Linux */
  }
  return `${os.cpus().length} cores, ${cpu}${flags ? ` (${flags})` : ""}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export function loadSummary(file = SUMMARY_JSON): BenchSummary {
  return fs.existsSync(file) ? readJson<BenchSummary>(file, "bench summary") : {};
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
}

/** One bench's rows as a Markdown table. */
export function benchTable(run: BenchRun): string {
  const lines = ["| bench | metric | value | target | met |", "|---|---|---:|---|:---:|"];
  for (const r of run.rows) lines.push(`| ${r.bench} | ${r.metric}${r.note ? ` (${r.note})` : ""} | ${fmt(r.value)} | ${r.target ?? ""} | ${r.met === undefined ? "" : r.met ? "yes" : "no"} |`);
  return lines.join("\n");
}

/** Replaces the runs of the benches given, keeps the others, rewrites summary.json and summary.md. */
export function recordRuns(runs: Record<string, BenchRun>, file = SUMMARY_JSON, md = SUMMARY_MD): BenchSummary {
  const all = { ...loadSummary(file), ...runs };
  const sorted = Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
  writeJsonAtomic(file, sorted);
  const sections = Object.entries(sorted).map(([name, run]) => `## ${name}\n\n${run.date.slice(0, 10)}, ${run.machine}, backend ${run.backend}${run.gitCommit ? `, commit ${run.gitCommit}` : ""}, ${run.seconds.toFixed(0)} s\n\n${benchTable(run)}\n`);
  writeFileAtomic(md, `# Bench results\n\nWritten by \`npm run bench\`: the latest run of each bench on the machine named under it.\n\n${sections.join("\n")}`);
  return sorted;
}
