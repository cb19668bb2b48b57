// Fitting every detector on training outputs and choosing one on
// validation: each detector's own settings by validation AUROC, its
// threshold by validation accuracy, and the detector by validation accuracy
// (ties: the simpler one). The test split never reaches any of it.
import { argmax, intentReport } from "../evaluation";
import { OOS_DETECTOR_KINDS, OosDetector, OosDetectorKind } from "./detector";
import { fitKnn } from "./knn";
import { fitMahalanobis } from "./mahalanobis";
import { oosRanking } from "./metrics";
import { tuneThreshold } from "./threshold";

/** A model's outputs on labelled rows: logits, and the pooled features when the model gives them. */
export interface ModelOutputs {
  logits: readonly ArrayLike<number>[];
  features?: readonly ArrayLike<number>[];
  labels: readonly number[];
}

/** How one detector did on a labelled split. */
export interface OosEvaluation {
  kind: OosDetectorKind;
  threshold: number | null;
  accuracy: number;
  inScopeAccuracy: number | null;
  oosRecall: number | null;
  /** Null when the rows are all in scope or all out of scope (nothing to rank). */
  auroc: number | null;
  fpr95: number | null;
  /** Bytes its tensors add to the model. */
  bytes: number;
}

/** Options of `fitOosDetectors`. */
export interface FitOosDetectorsOptions {
  /** The out-of-scope label id. */
  oosId: number;
  /** Which detectors to try (default: all that the outputs allow: Mahalanobis and kNN need features). */
  kinds?: readonly OosDetectorKind[];
  /** Energy temperatures to try. Default [1]. */
  temperatures?: readonly number[];
  /** kNN neighbours to try. Default [1, 5, 10, 20]. */
  knnK?: readonly number[];
  /** kNN bank rows. Default 2048. */
  knnBankSize?: number;
  /** Mahalanobis covariance shrinkage. Default 1e-3. */
  shrinkage?: number;
  seed?: number;
}

/** What `fitOosDetectors` returns: the chosen detector and every candidate's validation figures. */
export interface FitOosDetectorsResult {
  best: OosDetector;
  detectors: Record<string, OosDetector>;
  validation: OosEvaluation[];
}

/**
 * Scores of every row under a detector (higher = in scope).
 *
 * @example detectorScores(new OosDetector("energy", null), { logits: [[2, 0, 0]] }); // Float64Array [2.2395…]
 */
export function detectorScores(detector: OosDetector, outputs: Pick<ModelOutputs, "logits" | "features">): Float64Array {
  const { logits, features } = outputs;
  if (detector.needsFeatures && (!features || features.length !== logits.length)) throw new Error(`detectorScores: the ${detector.kind} detector needs a feature row per logits row (got ${features?.length ?? 0} for ${logits.length})`);
  return Float64Array.from(logits, (row, i) => detector.score(row, features?.[i]));
}

/**
 * A detector's figures on labelled outputs: the chapter's accuracy with its
 * threshold applied, in-scope accuracy, oos recall, and the threshold-free
 * AUROC and FPR95 of its scores.
 *
 * @example
 * evaluateOosDetector(detector, testOutputs, oosId); // { kind: "energy", accuracy: 0.854, auroc: 0.93, fpr95: 0.35, … }
 */
export function evaluateOosDetector(detector: OosDetector, outputs: ModelOutputs, oosId: number): OosEvaluation {
  const scores = detectorScores(detector, outputs);
  const preds = outputs.logits.map((row, i) => (detector.threshold !== null && scores[i] < detector.threshold ? oosId : argmax(row)));
  const report = intentReport(preds, [...outputs.labels], oosId);
  const both = outputs.labels.includes(oosId) && outputs.labels.some((y) => y !== oosId);
  const ranking = both ? oosRanking(scores, outputs.labels, oosId) : { auroc: null, fpr95: null };
  return { kind: detector.kind, threshold: detector.threshold, accuracy: report.accuracy, inScopeAccuracy: report.inScopeAccuracy, oosRecall: report.oosRecall, ...ranking, bytes: detector.byteSize };
}

/**
 * Fits the softmax, energy, Mahalanobis and kNN detectors on training
 * outputs, tunes each on validation outputs and picks the best on
 * validation accuracy.
 *
 * @example
 * const { best, validation } = fitOosDetectors(trainOutputs, validationOutputs, { oosId });
 * best.save(modelDir); // pipeline(modelDir) applies it from now on
 */
export function fitOosDetectors(train: ModelOutputs, validation: ModelOutputs, options: FitOosDetectorsOptions): FitOosDetectorsResult {
  const { oosId } = options;
  if (!validation.labels.includes(oosId)) throw new Error(`fitOosDetectors: the validation rows have no out-of-scope row (label ${oosId}); a threshold cannot be chosen without them`);
  if (validation.labels.every((y) => y === oosId)) throw new Error("fitOosDetectors: every validation row is out of scope; a threshold cannot be chosen without in-scope rows");
  const haveFeatures = !!train.features && !!validation.features;
  const kinds = options.kinds ?? OOS_DETECTOR_KINDS.filter((k) => haveFeatures || (k !== "mahalanobis" && k !== "knn"));
  const valPreds = validation.logits.map((row) => argmax(row));
  const tuned = (d: OosDetector) => d.withThreshold(tuneThreshold(detectorScores(d, validation), valPreds, validation.labels, oosId).threshold, "validation");
  const byAuroc = (cands: OosDetector[]) => cands.map((d) => ({ d, a: oosRanking(detectorScores(d, validation), validation.labels, oosId).auroc })).reduce((a, b) => (b.a > a.a ? b : a)).d;
  const detectors: Record<string, OosDetector> = {};
  for (const kind of kinds) {
    let candidate: OosDetector;
    if (kind === "softmax") candidate = new OosDetector("softmax", null, { oosId });
    else if (kind === "energy") candidate = byAuroc((options.temperatures ?? [1]).map((t) => new OosDetector("energy", null, { oosId, temperature: t })));
    else {
      if (!train.features || !validation.features) throw new Error(`fitOosDetectors: the ${kind} detector needs pooled features of the training and validation rows`);
      if (kind === "mahalanobis") candidate = new OosDetector("mahalanobis", null, { oosId, mahalanobis: fitMahalanobis(train.features, train.labels, { oosId, shrinkage: options.shrinkage }) });
      else {
        const ks = options.knnK ?? [1, 5, 10, 20];
        const base = fitKnn(train.features, train.labels, { oosId, k: Math.max(...ks), bankSize: options.knnBankSize, seed: options.seed });
        candidate = byAuroc(ks.map((k) => new OosDetector("knn", null, { oosId, knn: { ...base, k } })));
      }
    }
    detectors[kind] = tuned(candidate);
  }
  const validationFigures = Object.values(detectors).map((d) => evaluateOosDetector(d, validation, oosId));
  let best = validationFigures[0];
  for (const f of validationFigures) if (f.accuracy > best.accuracy) best = f;
  return { best: detectors[best.kind], detectors, validation: validationFigures };
}
