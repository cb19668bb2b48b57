// Notebook 03's search of the distilled student, sized to the data and the
// profile so that "tuned" is a fair comparison with the untuned student: trials
// as long as its recipe, scored on enough validation rows (with the standard
// error said), the best retrained for no fewer epochs; and the comparison of
// the two on validation worded as it came out, not as hoped.
import * as fs from "node:fs";
import * as path from "node:path";
import type { DatasetDict } from "../data/clinc";
import { dataFingerprintOf } from "../data/fingerprint";
import { sha256Hex } from "../utils/fs";
import type { WorkbookProfile } from "./profile";
import { CHAPTER_STUDY_NAME, STUDENT_RECIPE, STUDENT_SEARCH, StudentSearch, oversampleOos, subset } from "./recipes";
import { bestShippedModel } from "./hub";

/** What the plan needs of the untuned distilled student (its training_report.json). */
export interface UntunedStudent {
  /** Epochs its recipe trained. */
  numTrainEpochs: number;
  /** Its best validation accuracy (argmax) and the validation rows it was scored on. */
  validationAccuracy: number;
  validationRows: number;
  /** Training rows per second it ran at here, if recorded: the plan's time estimate. */
  samplesPerSecond?: number;
}

/**
 * The untuned distilled student's recipe epochs, validation accuracy and training speed, from its training report.
 *
 * @example
 * untunedStudent(modelPath("distilbert-clinc-distilled")); // { numTrainEpochs: 6, validationAccuracy: 0.899, validationRows: 3100, samplesPerSecond: 414 }
 */
export function untunedStudent(dir: string): UntunedStudent {
  const file = path.join(dir, "training_report.json");
  if (!fs.existsSync(file)) throw new Error(`untunedStudent: ${dir} has no training_report.json (train the distilled student first: notebook 02)`);
  const r = JSON.parse(fs.readFileSync(file, "utf8")) as { recipe?: { numTrainEpochs?: unknown }; bestValidationAccuracy?: unknown; dataset?: { validation?: unknown }; trainOutput?: { metrics?: { trainSamplesPerSecond?: unknown } } };
  const epochs = r.recipe?.numTrainEpochs;
  const accuracy = r.bestValidationAccuracy;
  const rows = r.dataset?.validation;
  if (typeof epochs !== "number" || typeof accuracy !== "number" || typeof rows !== "number") throw new Error(`untunedStudent: ${file} records no recipe.numTrainEpochs, bestValidationAccuracy or dataset.validation`);
  const speed = r.trainOutput?.metrics?.trainSamplesPerSecond;
  return { numTrainEpochs: epochs, validationAccuracy: accuracy, validationRows: rows, ...(typeof speed === "number" && speed > 0 ? { samplesPerSecond: speed } : {}) };
}

/** The rows a search sees. */
export interface SearchDataSizes {
  /** Training rows per epoch of a trial: the profile's subset, oos rows oversampled as the students' recipe does. */
  train: number;
  /** Rows of the validation split (the profile may score trials on fewer). */
  validation: number;
}

/** The fewest trials that make a search (the untuned recipe is no trial: a search of 1 or 2 says little). */
const MIN_TRIALS = 4;

export interface SearchPlan {
  nTrials: number;
  /** Epochs a trial may draw. */
  epochs: readonly [number, number];
  /** Training rows per epoch of a trial and of the retrain. */
  trainRows: number;
  /** Whether trials train on a subset (a quick check, not a fair search). */
  subsetOnly: boolean;
  /** Validation rows that score each trial. */
  validationRows: number;
  /** The best trial is retrained for at least this many epochs. */
  finalMinEpochs: number;
  /** Standard error of one validation accuracy on validationRows at the untuned student's accuracy, and the smallest difference of two that 2 standard errors separate (both fractions). */
  standardError: number;
  separable: number;
  /** Seconds per training epoch and for the whole search (trials at their mean epochs, the retrain at most), at the untuned student's speed; undefined when it recorded none. */
  epochSeconds?: number;
  estimatedSeconds?: number;
  budgetSeconds: number | null;
  /** TPE's random trials before it models the good ones: half the trials, at most Optuna's 10. */
  samplerStartupTrials: number;
  /** The study's name: the chapter's for the chapter's search, else one per space and rows (a journal resumes only the same search). */
  studyName: string;
  /** tuneStudent's options for this plan. */
  search: Pick<StudentSearch, "nTrials" | "epochs" | "subset" | "validationRows" | "minFinalEpochs" | "samplerStartupTrials">;
  /** One line for the notebook to print. */
  description: string;
}

/**
 * The training and validation rows a search of `data` sees under `profile` (the profile's subset, oos rows oversampled as the students' recipe).
 *
 * @example
 * searchDataSizes(loadClinc(), workbookProfile("default")); // { train: 16000, validation: 3100 }
 * searchDataSizes(loadClinc(), workbookProfile("smoke"));   // { train: 542, validation: 3100 }: 512 rows, their oos ones 4 times
 */
export function searchDataSizes(data: DatasetDict, profile: WorkbookProfile): SearchDataSizes {
  return { train: oversampleOos(subset(data.train, profile.searchTrainRows ?? 0), STUDENT_RECIPE.oosOversample).length, validation: data.validation.length };
}

const n = (x: number) => x.toLocaleString("en-US");
const points = (x: number) => (100 * x).toFixed(1);
const minutes = (s: number) => (s < 60 ? "under a minute" : `about ${Math.round(s / 60)} min`);

/**
 * Notebook 03's search for the data and profile: trials of the untuned
 * student's recipe epochs E to E + ⌈E/2⌉ (or the profile's searchEpochs),
 * scored on the whole validation split (or the profile's subset) with the
 * standard error stated, as many trials as fit searchBudgetMinutes at the
 * untuned student's training speed (at least 4, at most profile.nTrials), and
 * the best retrained for at least E epochs when the trials train on every row.
 *
 * @example
 * const plan = searchPlan(profile, loadWorkbookData(), untunedStudent(await workbookStudent("distill")));
 * plan.description; // "8 trials (4 random, then 4 by TPE) of 6–9 epochs on all 10,000 training rows, each scored on all 1,000 validation rows (standard error ±1.0 points …); the best retrained for at least 6 epochs like the untuned student; about 28 min here at most (…)"
 * await tuneStudent({ ...plan.search, studyName: plan.studyName, dataset: data, out: tunedStudentDir() });
 */
export function searchPlan(profile: WorkbookProfile, data: DatasetDict | SearchDataSizes, untuned: UntunedStudent): SearchPlan {
  const sizes = typeof data.train === "number" ? (data as SearchDataSizes) : searchDataSizes(data as DatasetDict, profile);
  const E = untuned.numTrainEpochs;
  if (!(Number.isInteger(E) && E >= 1)) throw new Error(`searchPlan: the untuned student's epochs must be an integer >= 1, got ${E}`);
  if (!(sizes.train > 0 && sizes.validation > 0)) throw new Error(`searchPlan: the search needs training and validation rows, got ${sizes.train} and ${sizes.validation}`);
  const epochs: readonly [number, number] = profile.searchEpochs ?? [E, E + Math.ceil(E / 2)];
  const subsetOnly = profile.searchTrainRows !== null;
  const finalMinEpochs = subsetOnly ? 0 : E;
  const validationRows = profile.searchValidationRows === null ? sizes.validation : Math.min(profile.searchValidationRows, sizes.validation);
  const allValidation = validationRows === sizes.validation;
  const p = untuned.validationAccuracy;
  const standardError = Math.sqrt((p * (1 - p)) / validationRows);
  const separable = 2 * Math.SQRT2 * standardError;
  const epochSeconds = untuned.samplesPerSecond ? sizes.train / untuned.samplesPerSecond : undefined;
  const meanEpochs = (epochs[0] + epochs[1]) / 2;
  const finalEpochs = Math.max(epochs[1], finalMinEpochs);
  const budgetSeconds = profile.searchBudgetMinutes === null ? null : profile.searchBudgetMinutes * 60;
  let nTrials = profile.nTrials;
  if (budgetSeconds !== null && epochSeconds !== undefined) {
    const fit = Math.floor((budgetSeconds - finalEpochs * epochSeconds) / (meanEpochs * epochSeconds));
    nTrials = Math.max(Math.min(MIN_TRIALS, profile.nTrials), Math.min(profile.nTrials, fit));
  }
  // TPE models the good trials only after its random start: half the trials here, at most Optuna's 10.
  const samplerStartupTrials = Math.min(STUDENT_SEARCH.samplerStartupTrials, Math.ceil(nTrials / 2));
  const estimatedSeconds = epochSeconds === undefined ? undefined : (nTrials * meanEpochs + finalEpochs) * epochSeconds;
  const chapter = !subsetOnly && allValidation && epochs[0] === STUDENT_SEARCH.epochs[0] && epochs[1] === STUDENT_SEARCH.epochs[1];
  // The data's files in the name too: a re-run resumes the journal only for the same rows, never an edited CSV's old trials.
  const fingerprint = typeof data.train === "number" ? undefined : dataFingerprintOf(data);
  const contents = fingerprint && [Object.entries(fingerprint.files).sort().map(([split, f]) => [split, f.sha256]), fingerprint.options];
  const dataKey = contents ? `-d${sha256Hex(JSON.stringify(contents)).slice(0, 8)}` : "";
  const studyName = chapter ? CHAPTER_STUDY_NAME : `${CHAPTER_STUDY_NAME}-e${epochs[0]}-${epochs[1]}-t${subsetOnly ? sizes.train : "all"}-v${validationRows}${dataKey}`;

  const scored = `each scored on ${allValidation ? "all " : ""}${n(validationRows)} validation rows (standard error ±${points(standardError)} points at ${p.toFixed(3)} accuracy: differences under ${points(separable)} points are not separable)`;
  const time =
    estimatedSeconds === undefined
      ? "no time estimate (the untuned student's report records no training speed)"
      : `${minutes(estimatedSeconds)} here at most (${n(Math.round(epochSeconds!))} s an epoch at the untuned student's ${Math.round(untuned.samplesPerSecond!)} rows/s${budgetSeconds === null ? "" : estimatedSeconds > budgetSeconds ? `; over the ${budgetSeconds / 60} min budget even at ${nTrials} trials` : `; the budget: ${budgetSeconds / 60} min`})`;
  const trials = `${nTrials} trials (${samplerStartupTrials >= nTrials ? "all random" : `${samplerStartupTrials} random, then ${nTrials - samplerStartupTrials} by TPE`})`;
  const description = subsetOnly
    ? `A quick check, not a fair search: ${trials} of ${epochs[0]}–${epochs[1]} epochs on ${n(sizes.train)} training rows, ${scored}; the best retrained for its own epochs on those rows, where the untuned student trained ${E} epochs on every row; ${time}`
    : `${trials} of ${epochs[0]}–${epochs[1]} epochs on all ${n(sizes.train)} training rows, ${scored}; the best retrained for at least ${E} epochs like the untuned student; ${time}`;
  return {
    nTrials,
    epochs,
    trainRows: sizes.train,
    subsetOnly,
    validationRows,
    finalMinEpochs,
    standardError,
    separable,
    ...(epochSeconds === undefined ? {} : { epochSeconds, estimatedSeconds }),
    budgetSeconds,
    samplerStartupTrials,
    studyName,
    search: { nTrials, epochs, subset: profile.searchTrainRows ?? 0, validationRows: allValidation ? 0 : validationRows, minFinalEpochs: finalMinEpochs, samplerStartupTrials },
    description,
  };
}

/** A student's validation accuracy and the rows it was scored on. */
export interface StudentValidation {
  accuracy: number;
  rows: number;
}

/**
 * The tuned student against the untuned one on validation, worded as it
 * came out: not comparable (other rows), worse, tied, better within the noise
 * (2 standard errors of a difference), or better beyond it; `next` says
 * which student notebooks 04–06 start from.
 *
 * @example
 * tunedComparison({ accuracy: 0.8964, rows: 3100 }, { accuracy: 0.9032, rows: 3100 }, "notebooks 04–06 keep using the distilled student").text;
 * // "The search did not beat the untuned student: 0.8964 vs 0.9032 validation accuracy on 3,100 rows (-0.7 points); notebooks 04–06 keep using the distilled student."
 */
export function tunedComparison(tuned: StudentValidation, untuned: StudentValidation, next: string): { verdict: "not comparable" | "worse" | "tie" | "better within noise" | "better"; text: string } {
  const [t, u] = [tuned.accuracy.toFixed(4), untuned.accuracy.toFixed(4)];
  if (tuned.rows !== untuned.rows) return { verdict: "not comparable", text: `Not comparable on validation: the tuned student was scored on ${n(tuned.rows)} rows (${t}), the untuned one on ${n(untuned.rows)} (${u}); ${next}.` };
  const rows = `on ${n(tuned.rows)} rows`;
  const diff = tuned.accuracy - untuned.accuracy;
  const d = `${diff >= 0 ? "+" : ""}${points(diff)} points`;
  if (diff < 0) return { verdict: "worse", text: `The search did not beat the untuned student: ${t} vs ${u} validation accuracy ${rows} (${d}); ${next}.` };
  if (diff === 0) return { verdict: "tie", text: `The search only tied the untuned student: ${t} validation accuracy ${rows} for both; ${next}.` };
  const p = untuned.accuracy;
  const separable = 2 * Math.SQRT2 * Math.sqrt((p * (1 - p)) / tuned.rows);
  if (diff < separable) return { verdict: "better within noise", text: `The tuned student beat the untuned one on validation by ${d} (${t} vs ${u} ${rows}), within the noise: differences under ${points(separable)} points are not separable ${rows}, and the search chose it on these rows; ${next}.` };
  return { verdict: "better", text: `The tuned student beat the untuned one on validation by ${d} (${t} vs ${u} ${rows}), more than the ${points(separable)} points noise explains (the search chose it on these rows: the test split is the unbiased check); ${next}.` };
}

/** A model folder's best validation accuracy and validation rows from its training report. */
function studentValidation(dir: string): StudentValidation {
  const r = JSON.parse(fs.readFileSync(path.join(dir, "training_report.json"), "utf8")) as { bestValidationAccuracy?: unknown; dataset?: { validation?: unknown } };
  if (typeof r.bestValidationAccuracy !== "number" || typeof r.dataset?.validation !== "number") throw new Error(`${dir}/training_report.json records no bestValidationAccuracy or dataset.validation`);
  return { accuracy: r.bestValidationAccuracy, rows: r.dataset.validation };
}

/**
 * tunedComparison for two model folders (their training reports), saying
 * which student notebooks 04–06 start from: bestShippedModel(), which takes
 * the tuned student only when it is not worse on validation.
 *
 * @example
 * compareTunedStudent(tunedDir, await workbookStudent("distill")).text; // "The search did not beat the untuned student: … ; notebooks 04–06 keep using student-distilled (Distillation)."
 */
export function compareTunedStudent(tunedDir: string, untunedDir: string, best: { name: string; dir: string; optimType: string } = bestShippedModel()): { verdict: ReturnType<typeof tunedComparison>["verdict"]; text: string } {
  const next = path.resolve(best.dir) === path.resolve(tunedDir) ? "notebooks 04–06 start from this tuned student" : `notebooks 04–06 keep using ${best.name} (the "${best.optimType}" row)`;
  return tunedComparison(studentValidation(tunedDir), studentValidation(untunedDir), next);
}
