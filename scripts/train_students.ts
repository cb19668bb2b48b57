// npm run train:students -- alone|distill: trains the chapter's students from the
// shipped teacher (lib/workbook/recipes.ts) into data/models/distilbert-clinc and
// data/models/distilbert-clinc-distilled; with WORKBOOK_DATA=<folder>, from the
// teacher trained on that data, into outputs/<folder name>/models/. Overrides:
// STUDENT_EPOCHS, STUDENT_LR, STUDENT_ALPHA, STUDENT_TEMPERATURE, STUDENT_SEED,
// STUDENT_SUBSET, STUDENT_OOS_OVERSAMPLE, STUDENT_WORKERS, STUDENT_OUT, STUDENT_TEACHER (a teacher folder),
// STUDENT_DISTILL_FROM=bert|ensemble (the BERT teacher, or it and the bag-of-words baseline),
// STUDENT_OOS_AUGMENT (synthetic out-of-scope rows), STUDENT_OOS_TARGET_MASS
// (soft-target mass moved to oos on oos rows), STUDENT_WIDE_BUCKETS and
// STUDENT_WIDE_DIM (a wide part of hashed token n-grams), STUDENT_NAME (the run folder's
// name, so experiments never share one).
import { STUDENT_RECIPE, trainStudent } from "../lib/workbook/recipes";
import { loadWorkbookData, workbookModelDir } from "../lib/workbook/data";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const mode = process.argv[2];
if (mode !== "alone" && mode !== "distill") {
  console.error("usage: npm run train:students -- alone|distill");
  process.exit(2);
}
trainStudent(mode, {
  dataset: loadWorkbookData(),
  teacherDir: process.env.STUDENT_TEACHER ?? (process.env.WORKBOOK_DATA ? workbookModelDir("bert-clinc-teacher") : undefined),
  numTrainEpochs: env("STUDENT_EPOCHS", STUDENT_RECIPE.numTrainEpochs),
  learningRate: env("STUDENT_LR", STUDENT_RECIPE.learningRate),
  alpha: env("STUDENT_ALPHA", STUDENT_RECIPE.alpha),
  temperature: env("STUDENT_TEMPERATURE", STUDENT_RECIPE.temperature),
  seed: env("STUDENT_SEED", STUDENT_RECIPE.seed),
  subset: env("STUDENT_SUBSET", 0),
  oosOversample: env("STUDENT_OOS_OVERSAMPLE", STUDENT_RECIPE.oosOversample),
  dataParallelWorkers: env("STUDENT_WORKERS", STUDENT_RECIPE.dataParallelWorkers),
  oosAugment: env("STUDENT_OOS_AUGMENT", STUDENT_RECIPE.oosAugment ?? 0),
  oosTargetMass: env("STUDENT_OOS_TARGET_MASS", STUDENT_RECIPE.oosTargetMass ?? 0),
  wideNgramBuckets: env("STUDENT_WIDE_BUCKETS", STUDENT_RECIPE.wideNgramBuckets ?? 0),
  wideDim: env("STUDENT_WIDE_DIM", STUDENT_RECIPE.wideDim ?? 32),
  modelName: process.env.STUDENT_NAME,
  teacher: (process.env.STUDENT_DISTILL_FROM as "bert" | "ensemble" | undefined) ?? STUDENT_RECIPE.teacher,
  bowDir: process.env.WORKBOOK_DATA ? workbookModelDir("bow-clinc") : undefined,
  out: process.env.STUDENT_OUT ?? workbookModelDir(mode === "alone" ? "distilbert-clinc" : "distilbert-clinc-distilled"),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
