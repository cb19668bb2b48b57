// The out-of-scope detector of a trained model folder: every detector fitted
// on the training split's outputs, each tuned on validation, the best on
// validation saved in the folder. The test split is only reported.
import * as path from "node:path";
import type { DatasetDict } from "../data/clinc";
import { pipeline } from "../pipelines";
import { FitOosDetectorsOptions, ModelOutputs, OosEvaluation, evaluateOosDetector, fitOosDetectors } from "../oos";
import { readJson, writeJsonAtomic } from "../utils/fs";
import { logger } from "../utils/log";

/** What `fitModelOosDetector` chose and measured. */
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

export interface FitModelOosDetectorOptions extends Partial<FitOosDetectorsOptions> {
  /** Training rows whose outputs fit Mahalanobis and kNN (a seeded sample; default 4096, 0 for all): enough for a 256-wide covariance, a quarter of the time. */
  trainRows?: number;
  /** Also measure every detector on the test split for the report (default true; never used to choose). */
  reportTest?: boolean;
  batchSize?: number;
  oosLabel?: string;
}

/**
 * Fits the softmax, energy, Mahalanobis and kNN detectors for the model in
 * `dir` (the last two on its pooled features, when it gives them), saves the
 * one with the best validation accuracy in the folder (pipeline() and
 * OnnxPipeline apply it from then on) and records every detector's
 * validation and test figures in its training_report.json
 * (`oosDetectors`). Undefined when the data has no out-of-scope class, or
 * its validation split no out-of-scope row (a warning says so).
 *
 * @example
 * const report = await fitModelOosDetector("data/models/distilbert-clinc-pruned", loadClinc());
 * report?.chosen; // "energy"
 */
export async function fitModelOosDetector(dir: string, data: DatasetDict, options: FitModelOosDetectorOptions = {}): Promise<OosDetectorReport | undefined> {
  const OOS_LABEL = options.oosLabel ?? "oos";
  const names = data.train.features.intent.names;
  if (!names.includes(OOS_LABEL)) return undefined;
  const oosId = data.train.features.intent.str2int(OOS_LABEL);
  const hasOos = data.validation.rows.some((r) => r.intent === oosId), hasInScope = data.validation.rows.some((r) => r.intent !== oosId);
  if (!hasOos || !hasInScope) {
    logger.warn(`${path.basename(dir)}: no out-of-scope detector fitted: the validation split has no ${hasOos ? "in-scope" : `"${OOS_LABEL}"`} row to choose a threshold on`);
    return undefined;
  }
  const pipe = pipeline("text-classification", dir, { oosThreshold: null, oosDetector: null });
  try {
    const modelLabels = Object.values(pipe.id2label);
    if (pipe.id2label[String(oosId)] !== OOS_LABEL || modelLabels.length !== names.length) throw new Error(`fitModelOosDetector: ${dir}'s labels are not the data's (its label ${oosId} is "${pipe.id2label[String(oosId)]}", the data's is "${OOS_LABEL}"; ${modelLabels.length} vs ${names.length} labels)`);
    const outputs = async (split: DatasetDict["train"]): Promise<ModelOutputs> => ({ ...(await pipe.outputs(split.column("text"), { batchSize: options.batchSize ?? 256 })), labels: split.column("intent") as number[] });
    const trainRows = options.trainRows ?? 4096;
    const trainSplit = trainRows > 0 && trainRows < data.train.length ? data.train.shuffle(options.seed ?? 0).head(trainRows) : data.train;
    const [train, validation] = [await outputs(trainSplit), await outputs(data.validation)];
    const test = options.reportTest === false ? undefined : await outputs(data.test);
    const { batchSize: _b, oosLabel: _l, trainRows: _t, reportTest: _r, ...fitOptions } = options;
    const fit = fitOosDetectors(train, validation, { ...fitOptions, oosId });
    fit.best.save(dir);
    const report: OosDetectorReport = {
      chosen: fit.best.kind,
      threshold: fit.best.threshold,
      validation: fit.validation,
      ...(test ? { test: Object.values(fit.detectors).map((d) => evaluateOosDetector(d, test, oosId)) } : {}),
      trainRows: trainSplit.length,
    };
    const reportFile = path.join(dir, "training_report.json");
    const training = (() => {
      try {
        return readJson<Record<string, unknown>>(reportFile, "training report");
      } catch {
        return {};
      }
    })();
    // JSON has no −Infinity; a threshold is finite or null anyway.
    writeJsonAtomic(reportFile, { ...training, oosDetectors: report });
    const t = (report.test ?? report.validation).find((e) => e.kind === report.chosen)!;
    logger.info(`${path.basename(dir)}: out-of-scope detector ${report.chosen} (chosen on validation); ${report.test ? "test" : "validation"} accuracy ${t.accuracy.toFixed(4)}${t.auroc === null ? "" : `, AUROC ${t.auroc.toFixed(3)}, FPR95 ${t.fpr95!.toFixed(3)}`}`);
    return report;
  } finally {
    pipe.dispose();
  }
}
