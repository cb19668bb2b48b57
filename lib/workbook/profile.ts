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
  /** Trials of a hyperparameter search. */
  nTrials: number;
}

/** The rows a notebook benchmarks on: all of them, or (smoke) a fixed random subset of testRows. */
export function profileTestSet<Row extends object>(profile: WorkbookProfile, split: Dataset<Row>): Dataset<Row> {
  return profile.testRows >= split.length ? split : split.shuffle(0).head(profile.testRows);
}

/** PerformanceBenchmark's warm-up and timed runs for a profile. */
export function profileBenchmarkOptions(profile: WorkbookProfile): { warmupRuns: number; timedRuns: number } {
  return { warmupRuns: profile.warmupRuns, timedRuns: profile.timedRuns };
}

const PROFILES: Record<ProfileName, WorkbookProfile> = {
  smoke: { name: "smoke", testRows: 550, warmupRuns: 3, timedRuns: 20, retrain: false, trainRows: 512, trainEpochs: 1, nTrials: 2 },
  default: { name: "default", testRows: 5500, warmupRuns: 10, timedRuns: 100, retrain: false, trainRows: 15250, trainEpochs: 3, nTrials: 4 },
  full: { name: "full", testRows: 5500, warmupRuns: 10, timedRuns: 100, retrain: true, trainRows: 15250, trainEpochs: 14, nTrials: 20 },
};

/** The profile named by WORKBOOK_PROFILE (default "default"); an unknown name is an error. */
export function workbookProfile(name = process.env.WORKBOOK_PROFILE ?? "default"): WorkbookProfile {
  const p = PROFILES[name as ProfileName];
  if (!p) throw new Error(`WORKBOOK_PROFILE must be smoke, default or full, got "${name}"`);
  return p;
}
