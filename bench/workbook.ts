// The whole workbook as the README's main command runs it (npm run bench --
// workbook; WORKBOOK_BENCH_PROFILE, default "default"): every notebook
// headless, its time, and the final perfMetrics table the notebooks built
// (size, latency and accuracy per row), so the timings and the chapter's
// closing comparison in docs/benchmarks.md come from a recorded run; it writes the same
// report as npm start (outputs/report/). `workbookOwnData`
// does the same on the "your own data" example (scripts/makeExampleData.ts:
// CSV files, 30 intents, no oos), training every model it needs from scratch.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectNotebooks, runNotebooks } from "../tools/notebook/runWorkbook";
import { loadPerfMetrics, resetPerfMetrics } from "../lib/benchmark/store";
import { writeWorkbookReport } from "../lib/workbook/report";
import { OUTPUTS_DIR } from "../lib/workbook/hub";
import { workbookDataName } from "../lib/workbook/data";
import { workbookProfile } from "../lib/workbook/profile";
import type { BenchRow } from "../tools/benchSummary";

export async function benchWorkbook(dataDir?: string): Promise<BenchRow[]> {
  const profile = workbookProfile(process.env.WORKBOOK_BENCH_PROFILE ?? "default");
  const bench = `workbook (${profile.name} profile${dataDir ? `, WORKBOOK_DATA=${path.relative(process.cwd(), dataDir)}` : ""})`;
  resetPerfMetrics();
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-workbook-"));
  const notebooks = projectNotebooks();
  const env: NodeJS.ProcessEnv = { ...process.env, WORKBOOK_PROFILE: profile.name };
  if (dataDir) env.WORKBOOK_DATA = dataDir;
  else delete env.WORKBOOK_DATA;
  const runs = await runNotebooks(notebooks, outDir, env);
  const failed = runs.find((r) => !r.ok);
  if (failed || runs.length !== notebooks.length) throw new Error(`bench workbook: ${path.basename(failed?.notebook ?? "?")} failed: ${failed?.error ?? "not run"}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  // The same report npm start writes (outputs/report/), from this run.
  const report = path.join(OUTPUTS_DIR, ...(dataDir ? [workbookDataName(dataDir)] : []), "report");
  writeWorkbookReport(report, { profile: profile.name, notebooks: runs, totalSeconds: runs.reduce((a, r) => a + r.seconds, 0) });
  const rows: BenchRow[] = runs.map((r) => ({ bench, metric: `${path.basename(r.notebook)} seconds`, value: r.seconds }));
  const total = runs.reduce((a, r) => a + r.seconds, 0);
  rows.push({ bench, metric: "all notebooks seconds", value: total, ...(profile.name === "default" ? { target: "<= 1200 (about 20 min)", met: total <= 1200 } : {}) });
  const perf = loadPerfMetrics();
  const teacher = perf["BERT baseline"];
  for (const [name, m] of Object.entries(perf)) {
    const vs = teacher ? `; ${(teacher.sizeMb / m.sizeMb).toFixed(1)}x smaller, ${(teacher.timeAvgMs / m.timeAvgMs).toFixed(1)}x faster than the BERT baseline` : "";
    rows.push({ bench: `${bench}: perfMetrics`, metric: `${name}: accuracy`, value: m.accuracy, note: `${m.sizeMb.toFixed(2)} MB, ${m.timeAvgMs.toFixed(2)} ± ${m.timeStdMs.toFixed(2)} ms${vs}` });
  }
  return rows;
}
