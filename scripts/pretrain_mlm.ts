// npm run pretrain:mlm: masked-LM pretraining of the teacher's encoder on the
// training split's texts (lib/workbook/recipes.ts), written to
// data/models/bert-clinc-mlm (with WORKBOOK_DATA=<folder>: outputs/<folder name>/models/bert-clinc-mlm). Overrides: MLM_EPOCHS, MLM_LR, MLM_BATCH,
// MLM_PROBABILITY, MLM_WORKERS, MLM_SEED, MLM_SUBSET; --out DIR.
import { MASKED_LM_RECIPE, pretrainMaskedLm } from "../lib/workbook/recipes";
import { loadWorkbookData, workbookModelDir } from "../lib/workbook/data";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const outArg = process.argv.indexOf("--out");

pretrainMaskedLm({
  dataset: loadWorkbookData(),
  numTrainEpochs: env("MLM_EPOCHS", MASKED_LM_RECIPE.numTrainEpochs),
  learningRate: env("MLM_LR", MASKED_LM_RECIPE.learningRate),
  perDeviceTrainBatchSize: env("MLM_BATCH", MASKED_LM_RECIPE.perDeviceTrainBatchSize),
  mlmProbability: env("MLM_PROBABILITY", MASKED_LM_RECIPE.mlmProbability),
  dataParallelWorkers: env("MLM_WORKERS", MASKED_LM_RECIPE.dataParallelWorkers),
  seed: env("MLM_SEED", MASKED_LM_RECIPE.seed),
  subset: env("MLM_SUBSET", 0),
  out: outArg > 0 ? process.argv[outArg + 1] : workbookModelDir("bert-clinc-mlm"),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
