// npm run train:bow: trains the "Bag-of-words baseline" (lib/workbook/baselineRecipe.ts) on the
// workbook's data (CLINC150, or WORKBOOK_DATA) with the teacher's tokenizer and writes
// data/models/bow-clinc (or outputs/<data>/models/bow-clinc). Overrides: BOW_SEED, --out DIR.
import { trainBagOfWords } from "../lib/workbook/baselineRecipe";
import { loadWorkbookData, workbookModelDir } from "../lib/workbook/data";
import { BertTokenizer } from "../lib/tokenizers";

const outArg = process.argv.indexOf("--out");
trainBagOfWords({
  seed: Number(process.env.BOW_SEED ?? 42),
  dataset: loadWorkbookData(),
  tokenizer: BertTokenizer.fromPretrained(workbookModelDir("bert-clinc-teacher")),
  out: outArg > 0 ? process.argv[outArg + 1] : workbookModelDir("bow-clinc"),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
