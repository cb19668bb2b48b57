// The out-of-scope detector of a trained model folder: every detector fitted
// on the training split's outputs, each tuned on validation, the best on
// validation saved in the folder. The test split is only reported.
import * as path from "node:path";
import type { DatasetDict } from "../data/clinc";
import type { Dataset } from "../data/dataset";
import type { IntentRow } from "../data/intents";
import { TextClassificationPipelineBase, pipeline } from "../pipelines";
import { FitOosDetectorsOptions, ModelOutputs, OosDetector, OosDetectorKind, OosEvaluation, detectorScores, evaluateOosDetector, fitOosDetectors, rocCurve } from "../oos";
import { Figure, lineChart } from "../plotting";
import { readJsonObjectIfPresent, writeJsonAtomic } from "../utils/fs";
import { logger } from "../utils/log";

/** What `fitModelOosDetector` chose and measured (training_report.json's `oosDetectors`). */
export interface OosDetectorReport {
  /** The detector saved with the model (chosen on validation accuracy). */
  chosen: string;
  threshold: number | null;
  /** Every detector's figures on validation (where they were chosen) and on test (reported only; absent when not asked). */
  validation: OosEvaluation[];
  test?: OosEvaluation[];
  /** Training rows the detectors were fitted on. */
  trainRows: number;
}

export interface CompareOosDetectorsOptions extends Partial<FitOosDetectorsOptions> {
  /** Training rows whose outputs fit Mahalanobis and kNN (a seeded sample; default 4096, 0 for all): enough for a 256-wide covariance, a quarter of the time. */
  trainRows?: number;
  /** Rows to report every detector on (never used to choose): e.g. the test split. */
  testSet?: Dataset<IntentRow>;
  batchSize?: number;
  oosLabel?: string;
}

/** Every detector fitted for one model, the one chosen on validation, and their figures. */
export interface OosComparison {
  /** The detector with the best validation accuracy (ties: the simpler). */
  chosen: OosDetector;
  detectors: Partial<Record<OosDetectorKind, OosDetector>>;
  validation: OosEvaluation[];
  /** On `testSet`, when given: figures and ROC curves (reported only). */
  test?: OosEvaluation[];
  roc?: Partial<Record<OosDetectorKind, { fpr: number[]; tpr: number[] }>>;
  trainRows: number;
}

/**
 * Fits the softmax, energy, Mahalanobis and kNN detectors on a pipeline's
 * outputs (the last two on pooled features, when the model gives them),
 * tunes each on the validation split, chooses one on validation accuracy,
 * and measures all of them on `testSet` when given. Undefined when the
 * data has no out-of-scope class, or its validation split lacks in-scope or
 * out-of-scope rows (a warning says so).
 *
 * @example
 * const cmp = await compareOosDetectors(pipeline("text-classification", dir, { oosThreshold: null, oosDetector: null }), data, { testSet });
 * console.table(oosComparisonTable(cmp!)); // one row per detector: validation and test accuracy, in-scope accuracy, oos recall, AUROC, FPR95, MB
 */
export async function compareOosDetectors(pipe: TextClassificationPipelineBase, data: DatasetDict, options: CompareOosDetectorsOptions = {}): Promise<OosComparison | undefined> {
  const OOS_LABEL = options.oosLabel ?? "oos";
  const names = data.train.features.intent.names;
  if (!names.includes(OOS_LABEL)) return undefined;
  const oosId = data.train.features.intent.str2int(OOS_LABEL);
  const hasOos = data.validation.rows.some((r) => r.intent === oosId), hasInScope = data.validation.rows.some((r) => r.intent !== oosId);
  if (!hasOos || !hasInScope) {
    logger.warn(`no out-of-scope detector fitted: the validation split has no ${hasOos ? "in-scope" : `"${OOS_LABEL}"`} row to choose a threshold on`);
    return undefined;
  }
  if (pipe.id2label[String(oosId)] !== OOS_LABEL || Object.keys(pipe.id2label).length !== names.length) throw new Error(`compareOosDetectors: the model's labels are not the data's (its label ${oosId} is "${pipe.id2label[String(oosId)]}", the data's is "${OOS_LABEL}"; ${Object.keys(pipe.id2label).length} vs ${names.length} labels)`);
  const outputs = async (split: Dataset<IntentRow>): Promise<ModelOutputs> => ({ ...(await pipe.outputs(split.column("text"), { batchSize: options.batchSize ?? 256 })), labels: split.column("intent") as number[] });
  const trainRows = options.trainRows ?? 4096;
  const trainSplit = trainRows > 0 && trainRows < data.train.length ? data.train.shuffle(options.seed ?? 0).head(trainRows) : data.train;
  const [train, validation] = [await outputs(trainSplit), await outputs(data.validation)];
  const { batchSize: _b, oosLabel: _l, trainRows: _t, testSet, ...fitOptions } = options;
  const fit = fitOosDetectors(train, validation, { ...fitOptions, oosId });
  const result: OosComparison = { chosen: fit.best, detectors: fit.detectors, validation: fit.validation, trainRows: trainSplit.length };
  if (testSet) {
    const test = await outputs(testSet);
    const detectors = Object.values(fit.detectors) as OosDetector[];
    result.test = detectors.map((d) => evaluateOosDetector(d, test, oosId));
    if (test.labels.includes(oosId) && test.labels.some((y) => y !== oosId)) {
      result.roc = Object.fromEntries(detectors.map((d) => {
        const scores = detectorScores(d, test);
        return [d.kind, rocCurve(scores.filter((_, i) => test.labels[i] !== oosId), scores.filter((_, i) => test.labels[i] === oosId))];
      }));
    }
  }
  return result;
}

/**
 * One row per detector for console.table: validation accuracy (where the
 * choice was made; * marks the chosen one), and on the test rows accuracy,
 * in-scope accuracy, oos recall, AUROC, FPR95, and the MB it adds.
 *
 * @example console.table(oosComparisonTable(cmp)); // { softmax: { "val acc": 0.9003, "test acc": 0.8509, … }, "energy *": { … }, … }
 */
export function oosComparisonTable(cmp: OosComparison): Record<string, Record<string, number | string>> {
  const r4 = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : Number(v.toFixed(4)));
  return Object.fromEntries(cmp.validation.map((v) => {
    const t = cmp.test?.find((e) => e.kind === v.kind);
    const row: Record<string, number | string> = { "val acc": r4(v.accuracy) };
    if (t) Object.assign(row, { "test acc": r4(t.accuracy), "in-scope": r4(t.inScopeAccuracy), "oos recall": r4(t.oosRecall), AUROC: r4(t.auroc), FPR95: r4(t.fpr95) });
    row.MB = Number((v.bytes / 2 ** 20).toFixed(2));
    return [v.kind + (v.kind === cmp.chosen.kind ? " *" : ""), row];
  }));
}

/**
 * The detectors' ROC curves on the test rows (in-scope recall against the
 * share of out-of-scope queries let through), one line each.
 *
 * @example showFigure(oosRocFigure(cmp, "Distilled student"));
 */
export function oosRocFigure(cmp: OosComparison, title: string): Figure {
  if (!cmp.roc) throw new Error("oosRocFigure: the comparison has no test rows with both in-scope and out-of-scope queries (pass testSet to compareOosDetectors)");
  const auroc = (kind: string) => cmp.test?.find((e) => e.kind === kind)?.auroc;
  return lineChart(Object.entries(cmp.roc).map(([kind, c]) => ({ name: `${kind} (AUROC ${auroc(kind)?.toFixed(3)})`, x: c!.fpr, y: c!.tpr })), { title: `${title}: ROC of the out-of-scope detectors (test)`, xTitle: "out-of-scope queries let through (FPR)", yTitle: "in-scope queries kept (TPR)" });
}

export interface FitModelOosDetectorOptions extends Omit<CompareOosDetectorsOptions, "testSet"> {
  /** Also measure every detector on the test split for the report (default true; never used to choose). */
  reportTest?: boolean;
}

/**
 * Fits the detectors for the model in `dir` (compareOosDetectors), saves
 * the one chosen on validation in the folder (pipeline() and OnnxPipeline
 * apply it from then on) and records every detector's validation and test
 * figures in its training_report.json (`oosDetectors`). Undefined when no
 * detector could be fitted (no out-of-scope class or rows).
 *
 * @example
 * const report = await fitModelOosDetector("data/models/distilbert-clinc-pruned", loadClinc());
 * report?.chosen; // "energy"
 */
export async function fitModelOosDetector(dir: string, data: DatasetDict, options: FitModelOosDetectorOptions = {}): Promise<OosDetectorReport | undefined> {
  const pipe = pipeline("text-classification", dir, { oosThreshold: null, oosDetector: null });
  try {
    const { reportTest, ...rest } = options;
    const cmp = await compareOosDetectors(pipe, data, { ...rest, ...(reportTest === false ? {} : { testSet: data.test }) });
    if (!cmp) return undefined;
    cmp.chosen.save(dir);
    const report: OosDetectorReport = { chosen: cmp.chosen.kind, threshold: cmp.chosen.threshold, validation: cmp.validation, ...(cmp.test ? { test: cmp.test } : {}), trainRows: cmp.trainRows };
    const reportFile = path.join(dir, "training_report.json");
    // A folder without a (readable) report gets one with just this section.
    writeJsonAtomic(reportFile, { ...readJsonObjectIfPresent(reportFile), oosDetectors: report });
    const t = (report.test ?? report.validation).find((e) => e.kind === report.chosen)!;
    logger.info(`${path.basename(dir)}: out-of-scope detector ${report.chosen} (chosen on validation); ${report.test ? "test" : "validation"} accuracy ${t.accuracy.toFixed(4)}${t.auroc === null ? "" : `, AUROC ${t.auroc.toFixed(3)}, FPR95 ${t.fpr95!.toFixed(3)}`}`);
    return report;
  } finally {
    pipe.dispose();
  }
}
