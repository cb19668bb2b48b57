// Teacher, student trained alone ("DistilBERT") and distilled student
// ("Distillation") in one benchmark run on the whole test set: accuracy,
// in-scope accuracy, oos recall, size and latency; the student's speed-up.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { pipeline } from "../lib/pipelines";
import { modelPath } from "../lib/workbook/hub";
import { PerformanceBenchmark } from "../lib/benchmark";
import { intentReport } from "../lib/evaluation";

export async function benchDistillation(): Promise<Record<string, number>> {
  const clinc = loadClinc();
  const names = clinc.test.features.intent;
  const out: Record<string, number> = {};
  const rows: [string, string][] = [["teacher", "bert-clinc-teacher"], ["alone", "distilbert-clinc"], ["distilled", "distilbert-clinc-distilled"]];
  for (const [key, name] of rows) {
    const dir = modelPath(name);
    const pipe = pipeline("text-classification", dir);
    const preds = await pipe(clinc.test.column("text"), { batchSize: 64 });
    const r = intentReport(preds.map((p) => names.str2int(p[0].label)), clinc.test.column("intent"), names.str2int("oos"));
    const pb = new PerformanceBenchmark(pipe, clinc.test, key, { verbose: false });
    const { timeAvgMs } = await pb.timePipeline();
    Object.assign(out, {
      [`${key}Accuracy`]: r.accuracy,
      [`${key}InScopeAccuracy`]: r.inScopeAccuracy ?? NaN,
      [`${key}OosRecall`]: r.oosRecall ?? NaN,
      [`${key}SizeMb`]: pb.computeSize().sizeMb,
      [`${key}LatencyMs`]: timeAvgMs,
    });
    const report = path.join(dir, "training_report.json");
    if (fs.existsSync(report)) out[`${key}SecondsPerEpoch`] = JSON.parse(fs.readFileSync(report, "utf8")).secondsPerEpoch;
    pipe.dispose();
  }
  out.distilledMinusAlonePoints = (out.distilledAccuracy - out.aloneAccuracy) * 100;
  out.distilledMinusTeacherPoints = (out.distilledAccuracy - out.teacherAccuracy) * 100;
  out.studentSpeedup = out.teacherLatencyMs / out.distilledLatencyMs;
  return out;
}
