// npm run readme:figures [-- --check]: regenerates (or checks) the figure blocks of README.md and docs/benchmarks.md (see tools/figures.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { FIGURE_FILES, renderFigures } from "../tools/figures";
import { writeFileAtomic } from "../lib/utils/fs";

const check = process.argv.includes("--check");
let stale = 0;
for (const file of FIGURE_FILES) {
  const rel = path.relative(path.resolve(__dirname, ".."), file);
  const text = fs.readFileSync(file, "utf8");
  const next = renderFigures(text);
  if (check) {
    if (next !== text) {
      console.error(`${rel}: figures are stale: run \`npm run readme:figures\` (they come from data/models/*/training_report.json and bench/results/summary.json)`);
      stale++;
    } else console.log(`${rel}: figures match their sources.`);
  } else {
    writeFileAtomic(file, next);
    console.log(next === text ? `${rel}: figures already up to date.` : `${rel}: figures regenerated.`);
  }
}
if (stale) process.exit(1);
