// Keeps the figures of README.md and docs/benchmarks.md in step with their
// sources: every table between `<!-- figures:NAME -->` and `<!-- /figures -->`
// is generated, from the shipped models' training_report.json files
// (figures:models, the README's models table) or from the committed bench
// summary, bench/results/summary.json (figures:bench:NAME, in docs/benchmarks.md).
//   npm run readme:figures          # rewrite both files' figure blocks
//   npm run readme:figures -- --check   # exit 1 when a block is stale (CI)
import * as fs from "node:fs";
import * as path from "node:path";
import { MODELS_DIR } from "../lib/workbook/hub";
import { benchTable, loadSummary } from "./benchSummary";
import { writeFileAtomic } from "../lib/utils/fs";

export const README = path.resolve(__dirname, "..", "README.md");
export const BENCHMARKS_DOC = path.resolve(__dirname, "..", "docs", "benchmarks.md");
/** Every file with generated figure blocks. */
export const FIGURE_FILES = [README, BENCHMARKS_DOC];
const BLOCK = /<!-- figures:([\w:-]+) -->\n[\s\S]*?<!-- \/figures -->/g;

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : v.toFixed(4));

/** A model's recipe in a few words, from its training report. */
function recipeSummary(name: string, r: Record<string, any>): string {
  const recipe = r.recipe ?? {};
  if (name === "bert-clinc-mlm") return `masked-LM pretraining, ${recipe.numTrainEpochs} epochs`;
  if (r.recipe?.kind === "bag-of-words" || name === "bow-clinc") return `bag of words (TF-IDF, MLP), best epoch ${r.bestEpoch}`;
  if (r.pruning) {
    const p = r.pruning;
    const heads = Object.values(p.prunedHeads as Record<string, number[]>).reduce((a, hs) => a + hs.length, 0);
    const rounds = (recipe.structuredRounds ?? 1) > 1 ? ` in ${recipe.structuredRounds} rounds` : "";
    return [`from ${r.student}${rounds}: ${heads} heads removed`, `FFN ${p.intermediateSize.from} → ${p.intermediateSize.to}`, p.vocabulary ? `vocabulary ${p.vocabulary.from} → ${p.vocabulary.to}` : "", `${recipe.numTrainEpochs} epochs of distillation each`].filter(Boolean).join(", ");
  }
  const search = r.hyperparameterSearch ? `tuned by ${r.hyperparameterSearch.trials} trials of TPE` : "";
  return [
    search,
    r.init ? `init ${r.init}` : recipe.init ? `init ${recipe.init}` : "",
    recipe.vocabMinCount > 1 ? `tokens used ≥ ${recipe.vocabMinCount} times` : "",
    recipe.alpha !== undefined ? `α ${Number(recipe.alpha).toFixed(2)}, T ${recipe.temperature}` : "",
    r.ensemble ? `teacher + bag of words (weight ${r.ensemble.bagOfWordsWeight})` : "",
    recipe.numTrainEpochs ? `${recipe.numTrainEpochs} epochs` : "",
    recipe.oosOversample > 1 ? `oos ×${recipe.oosOversample}` : "",
    recipe.oosAugment ? `+${recipe.oosAugment} synthetic oos` : "",
    recipe.oosTargetMass ? `oos targets ${recipe.oosTargetMass}` : "",
  ].filter(Boolean).join(", ");
}

/** The shipped models and what their recipes recorded. */
export function modelsTable(dir = MODELS_DIR): string {
  const rows = ["| model | recipe | test accuracy | in-scope | oos recall | oos detector (AUROC) | validation | size (MB) | s/epoch (threads) |", "|---|---|---:|---:|---:|---|---:|---:|---:|"];
  for (const name of fs.readdirSync(dir).sort()) {
    const reportFile = path.join(dir, name, "training_report.json");
    if (!fs.existsSync(reportFile)) continue;
    const r = JSON.parse(fs.readFileSync(reportFile, "utf8"));
    const size = fs.statSync(path.join(dir, name, "model.safetensors")).size / 2 ** 20;
    const recipe = r.recipe ?? {};
    const what = recipeSummary(name, r);
    // With the out-of-scope detector saved with the model (oosDetectors, chosen on validation), as pipeline() applies it.
    const detector = r.oosDetectors?.test?.find((e: { kind: string }) => e.kind === r.oosDetectors.chosen);
    const test = detector ?? r.test ?? {};
    const perEpoch = r.secondsPerEpoch === undefined ? "" : `${r.secondsPerEpoch.toFixed(0)}${r.dataParallelWorkers ? ` (${r.dataParallelWorkers})` : ""}`;
    const val = r.bestValidationAccuracy ?? r.maskedTokenAccuracy;
    rows.push(`| ${name} | ${what} | ${test.accuracy === undefined ? "" : pct(test.accuracy)} | ${test.accuracy === undefined ? "" : pct(test.inScopeAccuracy)} | ${test.accuracy === undefined ? "" : pct(test.oosRecall)} | ${detector ? `${detector.kind} (${detector.auroc.toFixed(3)})` : ""} | ${val === undefined ? "" : pct(val)} | ${size.toFixed(2)} | ${perEpoch} |`);
  }
  return rows.join("\n");
}

/** A Markdown file (README.md, docs/benchmarks.md) with every figure block regenerated. */
export function renderFigures(text: string, summaryFile?: string): string {
  const summary = loadSummary(summaryFile);
  return text.replace(BLOCK, (_m, name: string) => {
    let body: string;
    if (name === "models") body = modelsTable();
    else if (name.startsWith("bench:")) {
      const run = summary[name.slice("bench:".length)];
      body = run ? `${benchTable(run)}\n\n_${run.date.slice(0, 10)}, ${run.machine}, ${run.backend}._` : `_No run of bench "${name.slice(6)}" recorded yet: \`npm run bench -- ${name.slice(6)}\`._`;
    } else throw new Error(`unknown figures block "${name}" (figures:models or figures:bench:NAME)`);
    return `<!-- figures:${name} -->\n${body}\n<!-- /figures -->`;
  });
}
