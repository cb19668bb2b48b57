// npm run tune:student: the chapter's hyperparameter search for the distilled
// student (lib/workbook/recipes.ts tuneStudent: TPE with a median pruner over
// epochs 5–10, alpha 0–1, temperature 2–20, validation accuracy), then the
// student retrained with the best trial's hyperparameters into
// data/models/distilbert-clinc-tuned with the study's journal (study.jsonl).
// Trials are journaled under runs/, so an interrupted search resumes.
// Overrides: TUNE_TRIALS, TUNE_SEED, TUNE_SUBSET, TUNE_WORKERS, TUNE_OUT, TUNE_JOURNAL.
import { STUDENT_SEARCH, tuneStudent } from "../lib/workbook/recipes";
import { loadWorkbookData, workbookModelDir } from "../lib/workbook/data";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const own = Boolean(process.env.WORKBOOK_DATA);
tuneStudent({
  dataset: loadWorkbookData(),
  teacherDir: own ? workbookModelDir("bert-clinc-teacher") : undefined,
  bowDir: own ? workbookModelDir("bow-clinc") : undefined,
  nTrials: env("TUNE_TRIALS", STUDENT_SEARCH.nTrials),
  seed: env("TUNE_SEED", STUDENT_SEARCH.seed),
  subset: env("TUNE_SUBSET", STUDENT_SEARCH.subset),
  dataParallelWorkers: env("TUNE_WORKERS", STUDENT_SEARCH.dataParallelWorkers),
  out: process.env.TUNE_OUT ?? workbookModelDir("distilbert-clinc-tuned"),
  journal: process.env.TUNE_JOURNAL,
}).then(
  (r) => console.log(`Search: ${r.study.trials.length} trials in ${(r.searchSeconds / 60).toFixed(1)} min; best ${JSON.stringify(r.bestRun.hyperparameters)} (validation ${r.bestRun.objective.toFixed(4)})`),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
