// The "Bag-of-words baseline" row and the "teacher + bag-of-words" ensemble,
// on CLINC150's 5,500 test queries:
//   baseline       trains the recipe (outputs/models/bow-clinc), runs it through
//                  pipeline() + PerformanceBenchmark, then picks the ensemble's
//                  weight and combination on the validation split only and
//                  reports the ensemble on the test split.
//   baselineSearch the small hyperparameter search behind BOW_RECIPE, on the
//                  validation split only (run by name: it trains 22 models).
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { BertTokenizer } from "../lib/tokenizers";
import { AutoModelForSequenceClassification } from "../lib/models";
import { EnsembleCombine, EnsembleForSequenceClassification, combineLogits } from "../lib/models/ensemble";
import { pipeline } from "../lib/pipelines";
import { PerformanceBenchmark } from "../lib/benchmark";
import { intentReport } from "../lib/evaluation";
import { TEACHER_CHECKPOINT, OUTPUTS_DIR } from "../lib/workbook/hub";
import { trainBagOfWords } from "../lib/workbook/baselineRecipe";
import { BagOfWordsRecipe } from "../lib/workbook/baselineRecipe";
import { BOW_RECIPE } from "../lib/workbook/baselineRecipe";
import { setLogLevel, withLogLevel } from "../lib/utils/log";
import { PIN_QUERY } from "./latency";

const WEIGHTS = Array.from({ length: 11 }, (_, i) => i / 10); // weight of the bag-of-words model

function flat(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.length * rows[0].length);
  rows.forEach((r, i) => out.set(r, i * r.length));
  return out;
}

export async function benchBaseline(): Promise<Record<string, number | string>> {
  const clinc = loadClinc();
  const names = clinc.test.features.intent;
  const oos = names.str2int("oos");
  const numLabels = names.numClasses;
  const out = path.join(OUTPUTS_DIR, "models", "bow-clinc");
  const bow = await withLogLevel("warn", () => trainBagOfWords({ seed: 42, out }));

  // The baseline through the chapter's pipeline and benchmark.
  const bowPipe = pipeline("text-classification", bow.model, { tokenizer: bow.tokenizer });
  const pb = new PerformanceBenchmark(bowPipe, clinc.test, "Bag-of-words baseline", { verbose: false });
  const bowMetrics = (await pb.runBenchmark())["Bag-of-words baseline"];

  // The ensemble: members' logits on validation pick the weight and the combination; test reports it.
  const teacher = AutoModelForSequenceClassification.fromPretrained(TEACHER_CHECKPOINT, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(TEACHER_CHECKPOINT);
  const teacherPipe = pipeline("text-classification", teacher, { tokenizer });
  const logitsOf = async (texts: string[]) => [flat(await teacherPipe.logits(texts, { batchSize: 64 })), flat(await bowPipe.logits(texts, { batchSize: 64 }))];
  const [teacherVal, bowVal] = await logitsOf(clinc.validation.column("text"));
  const valLabels = clinc.validation.column("intent");
  const rowsOf = (a: Float32Array) => Array.from({ length: a.length / numLabels }, (_, i) => a.subarray(i * numLabels, (i + 1) * numLabels));
  const accuracy = (logits: Float32Array, labels: number[]) => intentReport(rowsOf(logits), labels, oos).accuracy;
  let best = { weight: 0, combine: "probabilities" as EnsembleCombine, validation: -1 };
  const sweep: string[] = [];
  for (const combine of ["probabilities", "logits"] as const) {
    for (const w of WEIGHTS) {
      const acc = accuracy(combineLogits([teacherVal, bowVal], [1 - w, w], combine, numLabels), valLabels);
      sweep.push(`${combine[0]}${w.toFixed(1)}:${acc.toFixed(4)}`);
      if (acc > best.validation) best = { weight: w, combine, validation: acc };
    }
  }
  const [teacherTest, bowTest] = await logitsOf(clinc.test.column("text"));
  const testLabels = clinc.test.column("intent");
  const ensembleTest = intentReport(rowsOf(combineLogits([teacherTest, bowTest], [1 - best.weight, best.weight], best.combine, numLabels)), testLabels, oos);
  const teacherTestReport = intentReport(rowsOf(teacherTest), testLabels, oos);

  const ensemble = new EnsembleForSequenceClassification([teacher, bow.model], { weights: [1 - best.weight, best.weight], combine: best.combine });
  const ensemblePipe = pipeline("text-classification", ensemble, { tokenizer });
  const epb = new PerformanceBenchmark(ensemblePipe, clinc.test, "Teacher + bag-of-words", { verbose: false });
  const { sizeMb: ensembleSizeMb } = epb.computeSize();
  const { timeAvgMs: ensembleLatencyMs, timeStdMs: ensembleLatencyStdMs } = await epb.timePipeline(PIN_QUERY);
  // The class and the sweep's arithmetic agree on a slice of the test set.
  const check = clinc.test.column("text").slice(0, 256);
  const viaClass = flat(await ensemblePipe.logits(check, { batchSize: 64 }));
  const viaSweep = combineLogits([teacherTest.subarray(0, viaClass.length), bowTest.subarray(0, viaClass.length)], [1 - best.weight, best.weight], best.combine, numLabels);
  let maxDiff = 0;
  for (let i = 0; i < viaClass.length; i++) maxDiff = Math.max(maxDiff, Math.abs(viaClass[i] - viaSweep[i]));
  ensemblePipe.dispose(); // disposes the teacher and the bag-of-words model

  return {
    bowTestAccuracy: bow.test.accuracy,
    bowInScopeAccuracy: bow.test.inScopeAccuracy ?? NaN,
    bowOosRecall: bow.test.oosRecall ?? NaN,
    bowValidationAccuracy: bow.validationAccuracy,
    bowBestEpoch: bow.bestEpoch,
    bowSecondsPerEpoch: bow.secondsPerEpoch,
    bowBenchmarkAccuracy: bowMetrics.accuracy,
    bowSizeMb: bowMetrics.sizeMb,
    bowLatencyMs: bowMetrics.timeAvgMs,
    bowLatencyStdMs: bowMetrics.timeStdMs,
    teacherValidationAccuracy: accuracy(teacherVal, valLabels),
    teacherTestAccuracy: teacherTestReport.accuracy,
    ensembleBowWeight: best.weight,
    ensembleCombine: best.combine,
    ensembleValidationAccuracy: best.validation,
    ensembleTestAccuracy: ensembleTest.accuracy,
    ensembleInScopeAccuracy: ensembleTest.inScopeAccuracy ?? NaN,
    ensembleOosRecall: ensembleTest.oosRecall ?? NaN,
    ensembleSizeMb,
    ensembleLatencyMs,
    ensembleLatencyStdMs,
    ensembleClassVsSweepMaxDiff: maxDiff,
    validationSweep: sweep.join(" "),
  };
}

/** The first guess the search started from; each variant changes it (BOW_RECIPE is "no label smoothing"). */
const FIRST_GUESS: Partial<BagOfWordsRecipe> = { hiddenSize: 256, numBuckets: 8192, dropout: 0.3, learningRate: 2e-3, labelSmoothing: 0.1, sublinearTf: true, oosOversample: 1 };

/** The variants of the search documented beside BOW_RECIPE (validation accuracy only). */
export const BOW_SEARCH: { name: string; recipe: Partial<BagOfWordsRecipe> }[] = [
  { name: "first guess (MLP 256, 8,192 buckets, dropout 0.3, lr 2e-3, smoothing 0.1)", recipe: {} },
  { name: "no label smoothing (BOW_RECIPE)", recipe: { labelSmoothing: 0 } },
  { name: "dropout 0.5", recipe: { dropout: 0.5 } },
  { name: "dropout 0.5, no label smoothing", recipe: { dropout: 0.5, labelSmoothing: 0 } },
  { name: "unigrams only (0 buckets)", recipe: { numBuckets: 0 } },
  { name: "32,768 buckets", recipe: { numBuckets: 32768 } },
  { name: "hidden 512", recipe: { hiddenSize: 512 } },
  { name: "learning rate 5e-3", recipe: { learningRate: 5e-3 } },
  { name: "oos rows x4", recipe: { oosOversample: 4 } },
  { name: "raw tf (not sublinear)", recipe: { sublinearTf: false } },
  { name: "linear (hidden 0), lr 1e-2", recipe: { hiddenSize: 0, learningRate: 1e-2 } },
];

export async function benchBaselineSearch(seeds: readonly number[] = [1, 2]): Promise<{ name: string; validationAccuracy: number; perSeed: number[] }[]> {
  const clinc = loadClinc();
  const tokenizer = BertTokenizer.fromPretrained(TEACHER_CHECKPOINT);
  // The test split is not looked at: it is replaced by the validation split.
  const dataset = { train: clinc.train, validation: clinc.validation, test: clinc.validation };
  const prev = setLogLevel("warn");
  try {
    const rows = [];
    for (const v of BOW_SEARCH) {
      const perSeed: number[] = [];
      for (const seed of seeds) {
        const r = await trainBagOfWords({ ...BOW_RECIPE, ...FIRST_GUESS, ...v.recipe, seed, dataset, tokenizer, out: path.join(OUTPUTS_DIR, "bow-search") });
        perSeed.push(r.validationAccuracy);
        r.model.dispose();
      }
      rows.push({ name: v.name, validationAccuracy: perSeed.reduce((a, b) => a + b, 0) / perSeed.length, perSeed });
    }
    return rows;
  } finally {
    setLogLevel(prev);
  }
}
