// npm run check:lab [-- notebook ...]: the notebooks in JupyterLab 3.6 and headless Chromium (see tools/jupyterlab/checkLab.ts).
import * as path from "node:path";
import { writeJsonAtomic } from "../lib/utils/fs";
import { checkLab, labCheckUnavailable } from "../tools/jupyterlab/checkLab";
import { ROOT } from "../tools/notebook/setup";

const unavailable = labCheckUnavailable();
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}
const outDir = path.join(ROOT, "outputs", "lab-check");
checkLab({ notebooks: process.argv.slice(2), outDir, log: (l) => console.log(l) }).then(
  (results) => {
    writeJsonAtomic(path.join(outDir, "summary.json"), results);
    console.log("");
    for (const r of results) {
      const tips = r.charts.filter((c) => c.drawn && c.modebar && c.tooltip).length;
      const progress = r.progress.length ? r.progress.map((p) => `cell ${p.cell}: ${p.updatesWhileRunning} updates, ${p.secondsVisibleBeforeEnd.toFixed(1)} s before its end`).join("; ") : "no training cell";
      console.log(`${r.problems.length ? "✗" : "✓"} ${path.basename(r.notebook)}: ${r.codeCells} code cells, ${r.errorOutputs + r.failedReplies} errors, ${r.charts.length} charts (${tips} drawn with modebar and tooltip), progress ${progress}; re-ran cell ${r.rerun.cell} ([${r.rerun.before}] -> [${r.rerun.after}]); Restart and Run All ${r.restartRunAll.seconds.toFixed(0)} s; reopened: ${r.reopened.images}/${r.reopened.charts} charts shown; Run All ${r.runAllSeconds.toFixed(0)} s, wall ${r.seconds.toFixed(0)} s`);
      for (const p of r.problems) console.log(`    ${p}`);
    }
    const failed = results.filter((r) => r.problems.length).length;
    console.log(`Screenshots and summary.json: ${path.relative(ROOT, outDir)}/`);
    console.log(`JupyterLab check: ${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  },
  (err) => {
    console.error(`✗ ${(err as Error).message}`);
    process.exit(1);
  },
);
