// npm run train:pruned: structured pruning of the best student (validation) while
// distilling from its teachers
// (lib/workbook/pruningRecipe.ts), into data/models/distilbert-clinc-pruned;
// with WORKBOOK_DATA=<folder>, from the models trained on that data, into
// outputs/<folder name>/models/. Overrides: PRUNED_HEADS, PRUNED_FFN_KEEP,
// PRUNED_VOCAB_MIN_COUNT (0 keeps the vocabulary), PRUNED_EPOCHS, PRUNED_LR,
// PRUNED_SUBSET, PRUNED_WORKERS, PRUNED_ROUNDS (step 1 in rounds, importance re-estimated), PRUNED_STUDENT (a student folder), PRUNED_OUT, PRUNED_NAME (run folders' prefix),
// PRUNED_TEACHER=bert|ensemble (the BERT teacher, or it and the bag-of-words baseline).
import { PRUNING_RECIPE, pruneStudent } from "../lib/workbook/pruningRecipe";
import { loadWorkbookData, workbookModelDir } from "../lib/workbook/data";
import { bestShippedModel } from "../lib/workbook/hub";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const own = Boolean(process.env.WORKBOOK_DATA);
pruneStudent({
  dataset: loadWorkbookData(),
  // Default: the student with the higher validation accuracy (the tuned one when its search won).
  studentDir: process.env.PRUNED_STUDENT ?? bestShippedModel().dir,
  teacherDir: own ? workbookModelDir("bert-clinc-teacher") : undefined,
  bowDir: own ? workbookModelDir("bow-clinc") : undefined,
  teacher: (process.env.PRUNED_TEACHER as "bert" | "ensemble" | undefined) ?? PRUNING_RECIPE.teacher,
  heads: env("PRUNED_HEADS", PRUNING_RECIPE.heads),
  ffnKeep: env("PRUNED_FFN_KEEP", PRUNING_RECIPE.ffnKeep),
  vocabMinCount: env("PRUNED_VOCAB_MIN_COUNT", PRUNING_RECIPE.vocabMinCount),
  numTrainEpochs: env("PRUNED_EPOCHS", PRUNING_RECIPE.numTrainEpochs),
  learningRate: env("PRUNED_LR", PRUNING_RECIPE.learningRate),
  structuredRounds: env("PRUNED_ROUNDS", PRUNING_RECIPE.structuredRounds ?? 1),
  subset: env("PRUNED_SUBSET", 0),
  dataParallelWorkers: env("PRUNED_WORKERS", PRUNING_RECIPE.dataParallelWorkers),
  out: process.env.PRUNED_OUT ?? workbookModelDir("distilbert-clinc-pruned"),
  runName: process.env.PRUNED_NAME,
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
