// npm run train:teacher: trains the "BERT baseline" teacher from scratch (lib/recipes.ts)
// and writes data/models/bert-clinc-teacher. Environment overrides for experiments:
//   TEACHER_EPOCHS, TEACHER_LR, TEACHER_BATCH, TEACHER_WORKERS, TEACHER_SEED, TEACHER_SUBSET,
//   TEACHER_LABEL_SMOOTHING, TEACHER_TOKEN_MASK, TEACHER_DROPOUT, TEACHER_RESUME=1, --out DIR
import { TEACHER_RECIPE, trainTeacher } from "../lib/workbook/recipes";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const outArg = process.argv.indexOf("--out");

trainTeacher({
  numTrainEpochs: env("TEACHER_EPOCHS", TEACHER_RECIPE.numTrainEpochs),
  learningRate: env("TEACHER_LR", TEACHER_RECIPE.learningRate),
  perDeviceTrainBatchSize: env("TEACHER_BATCH", TEACHER_RECIPE.perDeviceTrainBatchSize),
  dataParallelWorkers: env("TEACHER_WORKERS", TEACHER_RECIPE.dataParallelWorkers),
  labelSmoothingFactor: env("TEACHER_LABEL_SMOOTHING", TEACHER_RECIPE.labelSmoothingFactor),
  tokenMaskProb: env("TEACHER_TOKEN_MASK", TEACHER_RECIPE.tokenMaskProb),
  hiddenDropout: env("TEACHER_DROPOUT", TEACHER_RECIPE.hiddenDropout),
  seed: env("TEACHER_SEED", TEACHER_RECIPE.seed),
  subset: env("TEACHER_SUBSET", 0),
  resume: process.env.TEACHER_RESUME === "1",
  runDir: process.env.TEACHER_RUN_DIR,
  out: outArg > 0 ? process.argv[outArg + 1] : undefined,
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
