// Accuracy per model and per recipe change, on CLINC150's 5,500 test
// queries: overall accuracy, in-scope accuracy and oos recall, with the plain
// argmax, with the softmax fallback tuned on validation (never on test), and
// with each out-of-scope detector (softmax, energy, Mahalanobis, kNN: AUROC
// and FPR95 too), the one chosen on validation marked. Evaluates the shipped models and every experiment folder under
// outputs/accuracy/ (a model folder per recipe change, written by the
// training scripts with --out), so the table is the evidence for each step.
//   npm run bench -- accuracy
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { intentReport } from "../lib/evaluation";
import { pipeline } from "../lib/pipelines";
import { tuneOosThreshold } from "../lib/pipelines/oos";
import { loadSequenceClassificationModel } from "../lib/models/ensemble";
import { BertTokenizer } from "../lib/tokenizers";
import { MODELS_DIR, OUTPUTS_DIR } from "../lib/workbook/hub";
import { withFallback } from "../lib/workbook/recipes";
import { compareOosDetectors } from "../lib/workbook/oosRecipe";
import type { OosEvaluation } from "../lib/oos";

export interface AccuracyRow {
  model: string;
  recipe: string;
  validationArgmax: number;
  threshold: number;
  testAccuracy: number;
  testInScope: number;
  testOosRecall: number;
  testArgmaxAccuracy: number;
  testArgmaxInScope: number;
  testArgmaxOosRecall: number;
  /** Every out-of-scope detector, fitted on training outputs, tuned and chosen on validation, measured on test (lib/oos). */
  detectors: (OosEvaluation & { chosen: boolean; validationAccuracy: number })[];
}

function describe(dir: string): string {
  const file = path.join(dir, "training_report.json");
  if (!fs.existsSync(file)) return "";
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  const rec = r.recipe ?? {};
  return [r.init ? `init ${r.init}` : "", rec.mode ?? "", rec.alpha !== undefined && rec.alpha < 1 ? `α ${Number(rec.alpha).toFixed(2)} T ${rec.temperature}` : "", rec.numTrainEpochs ? `${rec.numTrainEpochs} ep` : "", rec.oosOversample > 1 ? `oos ×${rec.oosOversample}` : "", rec.vocabMinCount > 1 ? `tokens used ≥ ${rec.vocabMinCount}×` : "", r.ensemble ? `from teacher + BoW (${r.ensemble.bagOfWordsWeight})` : "", rec.labelSmoothingFactor ? `ls ${rec.labelSmoothingFactor}` : "", rec.oosAugment ? `+${rec.oosAugment} synthetic oos rows` : "", rec.oosTargetMass ? `oos targets moved ${rec.oosTargetMass}` : "", rec.wideNgramBuckets ? `wide: ${rec.wideNgramBuckets} n-gram buckets × ${rec.wideDim ?? 32}` : "", rec.heads !== undefined && rec.ffnKeep !== undefined ? `pruned ${rec.heads} heads, FFN ${rec.ffnKeep}${(rec.structuredRounds ?? 1) > 1 ? ` in ${rec.structuredRounds} rounds` : ""}` : ""].filter(Boolean).join(", ");
}

export async function benchAccuracy(): Promise<AccuracyRow[]> {
  const clinc = loadClinc();
  const oos = clinc.train.features.intent.str2int("oos");
  const dirs: [string, string][] = [];
  for (const base of [MODELS_DIR, path.join(OUTPUTS_DIR, "accuracy")]) {
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base).sort()) {
      const dir = path.join(base, name);
      const cfg = path.join(dir, "config.json");
      if (!fs.existsSync(cfg) || /ForMaskedLM/.test(fs.readFileSync(cfg, "utf8"))) continue;
      dirs.push([base === MODELS_DIR ? name : `experiment: ${name}`, dir]);
    }
  }
  const rows: AccuracyRow[] = [];
  for (const [name, dir] of dirs) {
    const model = loadSequenceClassificationModel(dir);
    const pipe = pipeline("text-classification", model, { tokenizer: BertTokenizer.fromPretrained(dir) });
    const val = await pipe.logits(clinc.validation.column("text"), { batchSize: 128 });
    const test = await pipe.logits(clinc.test.column("text"), { batchSize: 128 });
    const tuned = tuneOosThreshold(val, clinc.validation.column("intent"), oos);
    const labels = clinc.test.column("intent");
    const argmaxReport = intentReport(test, labels, oos);
    // The same pipeline: outputs() gives raw logits and features, whatever fallback it would apply.
    const cmp = (await compareOosDetectors(pipe, clinc, { testSet: clinc.test }))!;
    const fallbackReport = intentReport(withFallback(test, tuned.threshold, oos), labels, oos);
    rows.push({
      model: name,
      recipe: describe(dir),
      validationArgmax: tuned.baselineAccuracy,
      threshold: tuned.threshold,
      testAccuracy: fallbackReport.accuracy,
      testInScope: fallbackReport.inScopeAccuracy!,
      testOosRecall: fallbackReport.oosRecall!,
      testArgmaxAccuracy: argmaxReport.accuracy,
      testArgmaxInScope: argmaxReport.inScopeAccuracy!,
      testArgmaxOosRecall: argmaxReport.oosRecall!,
      detectors: cmp.test!.map((t) => ({ ...t, chosen: t.kind === cmp.chosen.kind, validationAccuracy: cmp.validation.find((v) => v.kind === t.kind)!.accuracy })),
    });
    pipe.dispose();
  }
  return rows;
}
