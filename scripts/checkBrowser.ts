// npm run check:browser [-- notebook [--no-charts]]: one notebook in the classic Notebook and headless Chromium (see tools/notebook/checkBrowser.ts).
import * as path from "node:path";
import { browserCheckUnavailable, checkBrowser } from "../tools/notebook/checkBrowser";
import { ROOT } from "../tools/notebook/setup";

const unavailable = browserCheckUnavailable();
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}
const args = process.argv.slice(2);
checkBrowser({ notebook: args.find((a) => !a.startsWith("--")), expectCharts: !args.includes("--no-charts") }).then(
  (r) => {
    console.log(`✓ ${path.basename(r.notebook)} in the classic Notebook + headless Chromium: ${r.codeCells} code cells ran (counts ${r.executionCounts.join(",")}), no error output, ${r.plotlyCharts} plotly chart(s) drawn (ranges ${JSON.stringify(r.ranges)}), ${r.seconds.toFixed(0)} s. Screenshot: ${path.relative(ROOT, r.screenshot)}`);
    process.exit(0);
  },
  (err) => {
    console.error(`✗ ${(err as Error).message}`);
    process.exit(1);
  },
);
