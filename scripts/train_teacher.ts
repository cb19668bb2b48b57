// npm run train:teacher: trains the "BERT baseline" teacher (lib/workbook/recipes.ts)
// and writes data/models/bert-clinc-teacher, or, with WORKBOOK_DATA=<folder> (your
// own intent data, see README "Your own data"), outputs/<folder name>/models/bert-clinc-teacher.
// Environment overrides for experiments:
//   TEACHER_EPOCHS, TEACHER_LR, TEACHER_BATCH, TEACHER_WORKERS, TEACHER_SEED, TEACHER_SUBSET,
//   TEACHER_LABEL_SMOOTHING, TEACHER_TOKEN_MASK, TEACHER_DROPOUT, TEACHER_OOS_OVERSAMPLE, TEACHER_VOCAB_MIN_COUNT,
//   TEACHER_INIT=scratch|mlm (with --mlm-dir DIR), TEACHER_RESUME=1, --out DIR
import { TEACHER_RECIPE, trainTeacher } from "../lib/workbook/recipes";
import { loadWorkbookData, workbookModelDir, workbookRunDir } from "../lib/workbook/data";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const arg = (name: string) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const init = process.env.TEACHER_INIT ?? TEACHER_RECIPE.init;
if (init !== "scratch" && init !== "mlm") {
  console.error(`TEACHER_INIT must be "scratch" or "mlm", got "${init}"`);
  process.exit(2);
}

trainTeacher({
  dataset: loadWorkbookData(),
  numTrainEpochs: env("TEACHER_EPOCHS", TEACHER_RECIPE.numTrainEpochs),
  learningRate: env("TEACHER_LR", TEACHER_RECIPE.learningRate),
  perDeviceTrainBatchSize: env("TEACHER_BATCH", TEACHER_RECIPE.perDeviceTrainBatchSize),
  dataParallelWorkers: env("TEACHER_WORKERS", TEACHER_RECIPE.dataParallelWorkers),
  labelSmoothingFactor: env("TEACHER_LABEL_SMOOTHING", TEACHER_RECIPE.labelSmoothingFactor),
  tokenMaskProb: env("TEACHER_TOKEN_MASK", TEACHER_RECIPE.tokenMaskProb),
  hiddenDropout: env("TEACHER_DROPOUT", TEACHER_RECIPE.hiddenDropout),
  oosOversample: env("TEACHER_OOS_OVERSAMPLE", TEACHER_RECIPE.oosOversample),
  vocabMinCount: env("TEACHER_VOCAB_MIN_COUNT", TEACHER_RECIPE.vocabMinCount),
  seed: env("TEACHER_SEED", TEACHER_RECIPE.seed),
  subset: env("TEACHER_SUBSET", 0),
  init,
  mlmDir: arg("--mlm-dir") ?? (init === "mlm" && process.env.WORKBOOK_DATA ? workbookModelDir("bert-clinc-mlm") : undefined),
  resume: process.env.TEACHER_RESUME === "1",
  runDir: process.env.TEACHER_RUN_DIR ?? workbookRunDir("teacher"),
  out: arg("--out") ?? workbookModelDir("bert-clinc-teacher"),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
