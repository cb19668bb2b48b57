// Fits the out-of-scope detectors of model folders (data/models/* by
// default, or the folders given) on CLINC150 or WORKBOOK_DATA: every
// detector fitted on training outputs and tuned on validation, the best on
// validation saved in the folder (lib/workbook/oosRecipe.ts). A folder with
// ONNX files is re-exported, so they output the pooled features too.
// Run: npm run fit:oos [-- DIR…]
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { AutoModelForSequenceClassification } from "../lib/models";
import { BertTokenizer } from "../lib/tokenizers";
import { exportOnnxFolder } from "../lib/onnx";
import { fitModelOosDetector } from "../lib/workbook/oosRecipe";
import { loadWorkbookData } from "../lib/workbook/data";

async function main(): Promise<void> {
  await initBackend();
  const root = path.resolve(__dirname, "..", "data", "models");
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : fs.readdirSync(root).map((d) => path.join(root, d)).filter((d) => fs.existsSync(path.join(d, "config.json"))).sort();
  const data = loadWorkbookData();
  const rows: Record<string, unknown>[] = [];
  for (const dir of dirs) {
    const start = Date.now();
    if (fs.existsSync(path.join(dir, "onnx", "model.onnx"))) {
      const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
      exportOnnxFolder(model, BertTokenizer.fromPretrained(dir), dir);
      model.dispose();
      console.log(`${path.relative(process.cwd(), dir)}: ONNX files re-exported (logits and pooled_output)`);
    }
    const report = await fitModelOosDetector(dir, data);
    if (!report) {
      console.log(`${dir}: the data has no out-of-scope class; nothing to fit`);
      continue;
    }
    for (const v of report.validation) {
      const t = report.test?.find((e) => e.kind === v.kind);
      rows.push({ model: path.basename(dir), detector: v.kind + (v.kind === report.chosen ? " *" : ""), "val acc": +v.accuracy.toFixed(4), "val AUROC": v.auroc === null ? "" : +v.auroc.toFixed(3), "test acc": t ? +t.accuracy.toFixed(4) : "", "in-scope": t ? +t.inScopeAccuracy!.toFixed(4) : "", "oos recall": t ? +t.oosRecall!.toFixed(3) : "", AUROC: t?.auroc != null ? +t.auroc.toFixed(3) : "", FPR95: t?.fpr95 != null ? +t.fpr95.toFixed(3) : "", MB: +(v.bytes / 2 ** 20).toFixed(2) });
    }
    console.log(`${path.relative(process.cwd(), dir)}: ${report.chosen} saved (${((Date.now() - start) / 1000).toFixed(0)} s)`);
  }
  console.table(rows);
  console.log("* the detector chosen on validation accuracy and saved with the model");
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
