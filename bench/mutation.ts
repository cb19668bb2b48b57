// npm run bench -- mutation: StrykerJS (stryker.config.json) over the
// compression, HPO, pruning and quantization code and the training losses,
// scored per folder. Slow (every mutant re-runs the test files that cover
// it), so it runs only when named and never in CI. Stryker's incremental
// file (bench/results/stryker-incremental.json) lets a later run re-test only
// what changed; WORKBOOK_MUTATE narrows the files (comma-separated globs, e.g.
// "lib/compression/**/*.ts") to spread a first full run over several sessions.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { BenchRow } from "../tools/benchSummary";
import { mutationScores } from "../tools/mutationScores";

const ROOT = path.resolve(__dirname, "..");
const REPORT = path.join(ROOT, "outputs", "mutation", "mutation.json");
const INCREMENTAL = path.join(ROOT, "bench", "results", "stryker-incremental.json");
export async function benchMutation(): Promise<BenchRow[]> {
  const args = ["stryker", "run", "stryker.config.json", "--incremental", "--incrementalFile", path.relative(ROOT, INCREMENTAL)];
  if (process.env.WORKBOOK_MUTATE) args.push("--mutate", process.env.WORKBOOK_MUTATE);
  const start = performance.now();
  execFileSync("npx", args, { cwd: ROOT, stdio: "inherit" });
  const seconds = (performance.now() - start) / 1000;
  const scores = mutationScores(JSON.parse(fs.readFileSync(REPORT, "utf8")), ROOT);
  const survivors = path.join(ROOT, "outputs", "mutation", "survivors.txt");
  fs.writeFileSync(survivors, scores.find((s) => s.folder === "all")!.survivors.join("\n") + "\n");
  const scope = process.env.WORKBOOK_MUTATE ? ` (${process.env.WORKBOOK_MUTATE})` : "";
  return [
    ...scores.map((s) => ({
      bench: "mutation",
      metric: `${s.folder}${s.folder === "all" ? scope : ""}: mutation score (${s.detected} of ${s.valid} mutants detected)`,
      value: s.valid ? s.detected / s.valid : NaN,
      ...(s.folder === "all" ? { target: ">= 0.80", met: s.valid > 0 && s.detected / s.valid >= 0.8 } : {}),
    })),
    { bench: "mutation", metric: "run seconds", value: seconds },
  ];
}
