// The main job (npm start): runs every notebook headless on the chosen
// profile (WORKBOOK_PROFILE, default "default"), then writes the report:
// outputs/report/perf_metrics.{json,md,html,png}. A run that fails or is
// stopped (Ctrl-C, SIGTERM, SIGHUP) still writes the report of what ran,
// marked "INCOMPLETE: …"; one killed outright (SIGKILL) leaves the
// INCOMPLETE report written when it started, never the previous run's files.
import * as fs from "node:fs";
import * as path from "node:path";
import { cellTimeout, NotebookRun, projectNotebooks, runNotebooks } from "../tools/notebook/runWorkbook";
import { onStop } from "../tools/notebook/signals";
import { ROOT } from "../tools/notebook/setup";
import { resetPerfMetrics } from "../lib/benchmark/store";
import { writeWorkbookReport } from "../lib/workbook/report";
import { workbookProfile } from "../lib/workbook/profile";
import { workbookOutputsDir } from "../lib/workbook/data";

async function main(): Promise<void> {
  const profile = workbookProfile();
  const notebooks = projectNotebooks();
  const timeout = cellTimeout(); // --cell-timeout N or WORKBOOK_CELL_TIMEOUT; none by default
  resetPerfMetrics(); // this run's rows only
  // Each dataset's own folder (outputs/ for CLINC150, outputs/<data>/ for WORKBOOK_DATA): another dataset's report is never overwritten.
  const outputs = workbookOutputsDir();
  const reportDir = path.join(outputs, "report");
  const executed = path.join(outputs, "notebooks");
  const start = Date.now();
  const runs: NotebookRun[] = [];
  const report = (incomplete?: string) => writeWorkbookReport(reportDir, { profile: profile.name, notebooks: runs, totalSeconds: (Date.now() - start) / 1000, incomplete });
  // Nor are the previous run's executed notebooks left beside this run's.
  for (const nb of notebooks) fs.rmSync(path.join(executed, path.basename(nb)), { force: true });
  // Marked before anything runs: a run killed outright (SIGKILL, power loss) leaves this mark, never the previous run's report.
  report(`the run started at ${new Date().toISOString()} has not finished (or was killed before it could write its report)`);
  // Runs after the runner's own cleanup (the kernel killed, the notebook written), which says where it stopped.
  onStop((stop) => {
    const why = `interrupted by ${stop.signal}${stop.where ? ` in ${stop.where}` : ""}`;
    report(why);
    console.error(`Workbook ${why}; the report in ${path.relative(ROOT, reportDir)} is marked INCOMPLETE`);
  });
  await runNotebooks(notebooks, executed, { ...process.env, WORKBOOK_PROFILE: profile.name }, { runs, timeout });
  const seconds = (Date.now() - start) / 1000;
  const failed = runs.find((r) => !r.ok);
  if (failed || runs.length !== notebooks.length) {
    const why = `failed in ${failed?.error ?? `${path.basename(notebooks[runs.length] ?? "?")} (not run)`}`;
    report(why);
    console.error(`Workbook ${why}; the report in ${path.relative(ROOT, reportDir)} is marked INCOMPLETE`);
    process.exit(1);
  }
  const { files } = report();
  console.log(`Workbook (${profile.name}) ran ${runs.length} notebooks in ${seconds.toFixed(0)} s. Report:\n${files.map((f) => `  ${path.relative(ROOT, f)}`).join("\n")}`);
  console.log(fs.readFileSync(path.join(reportDir, "perf_metrics.md"), "utf8"));
}

main().catch((err) => {
  console.error(`Workbook failed: ${(err as Error).message}`);
  process.exit(1);
});
