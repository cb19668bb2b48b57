// npm run check:rerun [-- notebooks...]: Run All, re-run every cell, save, reopen trusted and untrusted, in the classic Notebook (see tools/notebook/checkRerun.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { writeJsonAtomic } from "../lib/utils/fs";
import { browserCheckUnavailable } from "../tools/notebook/checkBrowser";
import { checkRerun, RerunCheckResult } from "../tools/notebook/checkRerun";
import { projectNotebooks } from "../tools/notebook/runWorkbook";
import { ROOT } from "../tools/notebook/setup";

const unavailable = browserCheckUnavailable();
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}

async function main(): Promise<number> {
  const notebooks = process.argv.slice(2).length ? process.argv.slice(2) : projectNotebooks();
  const results: (RerunCheckResult | { notebook: string; error: string })[] = [];
  let failed = 0;
  for (const nb of notebooks) {
    console.log(`▶ ${path.relative(ROOT, path.resolve(nb))}: Run All, re-run every cell in order and out of order, save, reopen trusted and untrusted`);
    try {
      const r = await checkRerun({ notebook: nb });
      results.push(r);
      console.log(`✓ ${path.basename(nb)}: ${r.codeCells} code cells, 0 errors after Run All and after re-running each (then ${r.outOfOrder.join(", ")} out of order); ${r.charts} chart(s): ${r.trusted.interactive} interactive reopened trusted, ${r.untrusted.images} image(s) untrusted; ${(r.bytes / 1e6).toFixed(2)} MB saved; ${r.seconds.toFixed(0)} s`);
    } catch (e) {
      failed++;
      const result = (e as { result?: RerunCheckResult }).result;
      results.push(result ?? { notebook: nb, error: (e as Error).message });
      console.error(`✗ ${(e as Error).message}`);
    }
  }
  const report = path.join(ROOT, "outputs", "browser-rerun", "results.json");
  fs.mkdirSync(path.dirname(report), { recursive: true });
  writeJsonAtomic(report, results);
  console.log(`${notebooks.length - failed} of ${notebooks.length} notebook(s) passed; results: ${path.relative(ROOT, report)}, screenshots beside it`);
  return failed ? 1 : 0;
}
main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
