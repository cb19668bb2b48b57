// The main job (npm start): runs every notebook headless on the chosen
// profile (WORKBOOK_PROFILE, default "default"), then writes the report:
// outputs/report/perf_metrics.{json,md,html,png}.
import * as fs from "node:fs";
import * as path from "node:path";
import { projectNotebooks, runNotebooks } from "../tools/notebook/runWorkbook";
import { ROOT } from "../tools/notebook/setup";
import { resetPerfMetrics } from "../lib/benchmark/store";
import { writeWorkbookReport } from "../lib/workbook/report";
import { workbookProfile } from "../lib/workbook/profile";

async function main(): Promise<void> {
  const profile = workbookProfile();
  const notebooks = projectNotebooks();
  resetPerfMetrics(); // this run's rows only
  const start = Date.now();
  const runs = await runNotebooks(notebooks, path.join(ROOT, "outputs", "notebooks"), { ...process.env, WORKBOOK_PROFILE: profile.name });
  const seconds = (Date.now() - start) / 1000;
  const failed = runs.find((r) => !r.ok);
  if (failed || runs.length !== notebooks.length) {
    console.error(`Workbook failed in ${path.basename(failed?.notebook ?? "?")}: ${failed?.error ?? "not run"}`);
    process.exit(1);
  }
  const { files } = writeWorkbookReport(path.join(ROOT, "outputs", "report"), { profile: profile.name, notebooks: runs, totalSeconds: seconds });
  console.log(`Workbook (${profile.name}) ran ${runs.length} notebooks in ${seconds.toFixed(0)} s. Report:\n${files.map((f) => `  ${path.relative(ROOT, f)}`).join("\n")}`);
  console.log(fs.readFileSync(path.join(ROOT, "outputs", "report", "perf_metrics.md"), "utf8"));
}

main().catch((err) => {
  console.error(`Workbook failed: ${(err as Error).message}`);
  process.exit(1);
});
