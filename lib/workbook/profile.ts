import type { Dataset } from "../data/dataset";

// WORKBOOK_PROFILE: how much work a notebook does. smoke (CI: minutes),
// default (the README's main command: shipped checkpoints, full test set),
// full (retrains everything, as the book does).

export type ProfileName = "smoke" | "default" | "full";

export interface WorkbookProfile {
  name: ProfileName;
  /** Rows of the test split used for accuracy (all 5,500 unless smoke). */
  testRows: number;
  /** Warm-up and timed runs of PerformanceBenchmark.timePipeline (the book: 10 and 100). */
  warmupRuns: number;
  timedRuns: number;
  /** Retrain models from scratch instead of loading the shipped checkpoints. */
  retrain: boolean;
  /** Training set rows and epochs for notebooks that train (students, searches). */
  trainRows: number;
  trainEpochs: number;
  /** Trials of notebook 03's search of the distilled student (at most, when searchBudgetMinutes sets fewer; see searchPlan). */
  nTrials: number;
  /** Epochs a trial of that search may draw, or null for the untuned student's recipe epochs E to E + ⌈E/2⌉. */
  searchEpochs: readonly [number, number] | null;
  /** Training rows of the trials and the retrain (a seeded subset: a quick check, not a fair search), or null for all, as the untuned student. */
  searchTrainRows: number | null;
  /** Validation rows that score each trial (a seeded subset), or null for the whole validation split. */
  searchValidationRows: number | null;
  /** Minutes the search should take at the untuned student's training speed: fewer trials (not fewer epochs) when the data is large; null for nTrials as is. */
  searchBudgetMinutes: number | null;
  /** Hide the trainers' progress bars (a log line per epoch instead): smoke, whose short runs are read in CI logs. */
  disableTqdm: boolean;
  /** Notebook 02: training rows of the short distillation run (a seeded random subset) when not retraining. */
  distillationDemoTrainRows: number;
  /** Notebook 02: validation rows it evaluates on (a seeded random subset) when not retraining. */
  distillationDemoEvalRows: number;
  /** Notebook 03: trials of the TPE study on the Rosenbrock function. */
  rosenbrockTrials: number;
  /** Notebook 03: seeds of the TPE vs random-search comparison (the curve is their median). */
  samplerComparisonSeeds: readonly number[];
  /** Notebook 03: trials of each study in that comparison. */
  samplerComparisonTrials: number;
  /** Notebook 03: replay the journal of the chapter's search shipped with the tuned student (CLINC150 only) instead of searching. */
  replayShippedSearch: boolean;
  /** Notebook 04: validation queries that calibrate static quantization. */
  calibrationRows: number;
  /** Notebook 04: epochs of quantization-aware training. */
  qatEpochs: number;
  /** Notebook 04: QAT's training rows (a seeded random subset), or null for the whole training split. */
  qatTrainRows: number | null;
  /** Notebook 04: QAT's evaluation rows (the first ones of the validation split), or null for all of it. */
  qatEvalRows: number | null;
  /** Notebook 06: training rows of pruning while distilling (a seeded random subset), or null for the whole training split. */
  pruningTrainRows: number | null;
  /** Notebook 06: epochs of pruning while distilling. */
  pruningEpochs: number;
  /** Notebook 06: training batches (64 rows each) that score heads and neurons for structured pruning. */
  importanceBatches: number;
  /** Notebook 08: the concurrencies each served model is load-tested at. */
  serveConcurrencies: readonly number[];
  /** Notebook 08: seconds of load per concurrency. */
  serveSeconds: number;
}

/**
 * The rows a notebook benchmarks on: all of them, or (smoke) a fixed random subset of testRows.
 *
 * @example profileTestSet(workbookProfile("smoke"), clinc.test).length; // 550
 */
export function profileTestSet<Row extends object>(profile: WorkbookProfile, split: Dataset<Row>): Dataset<Row> {
  return profile.testRows >= split.length ? split : split.shuffle(0).head(profile.testRows);
}

/**
 * PerformanceBenchmark's warm-up and timed runs for a profile.
 *
 * @example profileBenchmarkOptions(workbookProfile("default")); // { warmupRuns: 10, timedRuns: 100 }
 */
export function profileBenchmarkOptions(profile: WorkbookProfile): { warmupRuns: number; timedRuns: number } {
  return { warmupRuns: profile.warmupRuns, timedRuns: profile.timedRuns };
}

const PROFILES: Record<ProfileName, WorkbookProfile> = {
  smoke: {
    name: "smoke", testRows: 550, warmupRuns: 3, timedRuns: 20, retrain: false, trainRows: 512, trainEpochs: 1, disableTqdm: true,
    nTrials: 2, searchEpochs: [1, 2], searchTrainRows: 512, searchValidationRows: 256, searchBudgetMinutes: null,
    distillationDemoTrainRows: 512, distillationDemoEvalRows: 256, rosenbrockTrials: 200, samplerComparisonSeeds: [1, 2], samplerComparisonTrials: 100, replayShippedSearch: false,
    calibrationRows: 64, qatEpochs: 1, qatTrainRows: 512, qatEvalRows: 256, pruningTrainRows: 640, pruningEpochs: 1, importanceBatches: 2,
    serveConcurrencies: [1, 8], serveSeconds: 1,
  },
  default: {
    name: "default", testRows: 5500, warmupRuns: 10, timedRuns: 100, retrain: false, trainRows: 15250, trainEpochs: 3, disableTqdm: false,
    nTrials: 10, searchEpochs: null, searchTrainRows: null, searchValidationRows: null, searchBudgetMinutes: 30,
    distillationDemoTrainRows: 2048, distillationDemoEvalRows: 1024, rosenbrockTrials: 1000, samplerComparisonSeeds: [1, 2, 3, 4, 5], samplerComparisonTrials: 300, replayShippedSearch: true,
    calibrationRows: 512, qatEpochs: 2, qatTrainRows: null, qatEvalRows: null, pruningTrainRows: null, pruningEpochs: 0.5, importanceBatches: 8,
    serveConcurrencies: [1, 8, 32], serveSeconds: 3,
  },
  full: {
    name: "full", testRows: 5500, warmupRuns: 10, timedRuns: 100, retrain: true, trainRows: 15250, trainEpochs: 14, disableTqdm: false,
    nTrials: 20, searchEpochs: [5, 10], searchTrainRows: null, searchValidationRows: null, searchBudgetMinutes: null,
    distillationDemoTrainRows: 2048, distillationDemoEvalRows: 1024, rosenbrockTrials: 1000, samplerComparisonSeeds: [1, 2, 3, 4, 5], samplerComparisonTrials: 300, replayShippedSearch: false,
    calibrationRows: 512, qatEpochs: 4, qatTrainRows: null, qatEvalRows: null, pruningTrainRows: null, pruningEpochs: 0.5, importanceBatches: 8,
    serveConcurrencies: [1, 8, 32], serveSeconds: 3,
  },
};

/**
 * The profile named by WORKBOOK_PROFILE (default "default"); an unknown name is an error.
 *
 * @example workbookProfile("smoke").qatEpochs; // 1
 */
export function workbookProfile(name = process.env.WORKBOOK_PROFILE ?? "default"): WorkbookProfile {
  const p = PROFILES[name as ProfileName];
  if (!p) throw new Error(`WORKBOOK_PROFILE must be smoke, default or full, got "${name}"`);
  return p;
}
