// npm run practice:cells [-- --check]: writes (or checks) the "## Practice" section at the end of
// each notebooks/NN_*.ipynb from lib/practice (see tools/practice.ts); notebook 07 is the test itself.
import * as fs from "node:fs";
import * as path from "node:path";
import { makeNotebook, notebookToJson, readNotebook, writeNotebook } from "../tools/notebook/nbformat";
import { notebookKey, withPracticeSection } from "../tools/practice";
import { PRACTICE_NOTEBOOKS } from "../lib/practice";

const ROOT = path.resolve(__dirname, "..");
const NOTEBOOKS = path.join(ROOT, "notebooks");
const TEST_YOURSELF = path.join(NOTEBOOKS, "07_test_yourself.ipynb");
const TITLE = `# Making Transformers Efficient in Production — 7. Test yourself

The chapter in fifteen exercises: the ten questions and five fill-in-the-blank tasks of a practice page on model optimization (distillation, quantization), translated to this library and TypeScript — \`torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)\` is \`quantizeDynamicModel(model, ["Linear"], "qint8")\` here — with questions on pruning, ONNX Runtime, the hyperparameter search, the benchmark and the temperature. No model is loaded: the checks build tiny ones. Nothing here needs the earlier notebooks, but they are where the answers come from.`;

const check = process.argv.includes("--check");
let stale = 0;
if (!fs.existsSync(TEST_YOURSELF) && !check) writeNotebook(makeNotebook([["markdown", TITLE]]), TEST_YOURSELF);
for (const file of fs.readdirSync(NOTEBOOKS).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort()) {
  const key = notebookKey(file);
  if (!PRACTICE_NOTEBOOKS[key]) continue;
  const full = path.join(NOTEBOOKS, file);
  const before = readNotebook(full);
  const after = withPracticeSection(before, key);
  const same = notebookToJson(after) === notebookToJson(before);
  if (check) {
    if (!same) {
      console.error(`notebooks/${file}: the practice section differs from lib/practice: run \`npm run practice:cells\``);
      stale++;
    }
  } else {
    if (!same) writeNotebook(after, full);
    console.log(`notebooks/${file}: ${PRACTICE_NOTEBOOKS[key].length} exercises${same ? " (unchanged)" : ""}`);
  }
}
if (stale) process.exit(1);
