// The shipped teacher on the whole test set: accuracy (target ≥ 0.77),
// in-scope accuracy, oos recall, and the pipeline's latency against the
// model alone (how much the pipeline adds).
import * as tf from "@tensorflow/tfjs-core";
import { loadClinc } from "../lib/data";
import { pipeline, TextClassifier } from "../lib/pipelines";
import { modelPath } from "../lib/workbook/hub";
import { intentReport } from "../lib/evaluation";
import { PerformanceBenchmark, measureLatency } from "../lib/benchmark";

export async function benchTeacher(): Promise<Record<string, number>> {
  const clinc = loadClinc();
  const pipe = pipeline("text-classification", modelPath("bert-clinc-teacher")) as TextClassifier;
  const names = clinc.test.features.intent;
  const preds = await pipe(clinc.test.column("text"), { batchSize: 64 });
  const report = intentReport(preds.map((p) => names.str2int(p[0].label)), clinc.test.column("intent"), names.str2int("oos"));
  const pb = new PerformanceBenchmark(pipe, clinc.test, "BERT baseline", { verbose: false });
  const { timeAvgMs, timeStdMs } = await pb.timePipeline();
  const { sizeMb } = pb.computeSize();
  const enc = pipe.tokenizer.call(["What is the pin number for my account?"]);
  const inputs = { input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32"), token_type_ids: tf.tensor2d(enc.token_type_ids, undefined, "int32") };
  const model = await measureLatency(() => tf.tidy(() => pipe.model.call(inputs).logits.dataSync()));
  tf.dispose(Object.values(inputs));
  return {
    testAccuracy: report.accuracy,
    inScopeAccuracy: report.inScopeAccuracy ?? NaN,
    oosRecall: report.oosRecall ?? NaN,
    sizeMb,
    pipelineLatencyMs: timeAvgMs,
    pipelineLatencyStdMs: timeStdMs,
    modelOnlyLatencyMs: model.mean,
    pipelineOverheadMs: timeAvgMs - model.mean,
  };
}
