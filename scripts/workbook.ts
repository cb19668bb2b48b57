// The main job (npm start): runs every notebook headless on the chosen
// profile (WORKBOOK_PROFILE, default "default"), then writes the report:
// outputs/report/perf_metrics.{json,md,html,png}.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectNotebooks, runNotebooks } from "./runNotebooks";
import { ROOT } from "./setupNotebooks";
import { DEMO_METRICS_FILE, PERF_METRICS_FILE, loadDemoMetrics, loadPerfMetrics } from "../lib/benchmark/store";
import { writeReport } from "../lib/workbook/report";
import { workbookProfile } from "../lib/workbook/profile";

async function main(): Promise<void> {
  const profile = workbookProfile();
  const notebooks = projectNotebooks();
  for (const f of [PERF_METRICS_FILE, DEMO_METRICS_FILE]) fs.rmSync(f, { force: true }); // this run's rows only
  const start = Date.now();
  const runs = await runNotebooks(notebooks, path.join(ROOT, "outputs", "notebooks"), { ...process.env, WORKBOOK_PROFILE: profile.name });
  const seconds = (Date.now() - start) / 1000;
  const failed = runs.find((r) => !r.ok);
  if (failed || runs.length !== notebooks.length) {
    console.error(`Workbook failed in ${path.basename(failed?.notebook ?? "?")}: ${failed?.error ?? "not run"}`);
    process.exit(1);
  }
  const { files } = writeReport(loadPerfMetrics(), path.join(ROOT, "outputs", "report"), {
    profile: profile.name,
    notebooks: runs.map((r) => `${path.basename(r.notebook)} (${r.seconds.toFixed(0)} s)`).join(", "),
    totalSeconds: seconds.toFixed(0),
    machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    date: new Date().toISOString(),
  }, loadDemoMetrics());
  console.log(`Workbook (${profile.name}) ran ${runs.length} notebooks in ${seconds.toFixed(0)} s. Report:\n${files.map((f) => `  ${path.relative(ROOT, f)}`).join("\n")}`);
  console.log(fs.readFileSync(path.join(ROOT, "outputs", "report", "perf_metrics.md"), "utf8"));
}

main().catch((err) => {
  console.error(`Workbook failed: ${(err as Error).message}`);
  process.exit(1);
});
