// npm run bench -- mutation: StrykerJS (stryker.config.json) over the
// compression, HPO, pruning and quantization code and the training losses,
// scored per folder. Slow (every mutant re-runs the test files that cover
// it), so it runs only when named and never in CI. Stryker's incremental
// file (bench/results/stryker-incremental.json) lets a later run re-test only
// what changed and keeps the results of files outside this run's scope;
// WORKBOOK_MUTATE narrows the files (comma-separated globs, e.g.
// "lib/compression/**/*.ts") to spread a first full run over several sessions.
// WORKBOOK_MUTATE_SAMPLE=0.05 (with WORKBOOK_MUTATE_SEED, default 1) runs
// only the mutants on a random 5 % of the code lines of each folder in scope
// and records the folder's estimated score with a 95 % interval
// (tools/mutationScores.ts sampleLines / sampleEstimate); the drawn lines are
// kept in bench/results/mutation-sample.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { BenchRow } from "../tools/benchSummary";
import { mutationScores, sampleEstimate, sampleLines, sampleMutatePatterns, type LineSample } from "../tools/mutationScores";
import { writeFileAtomic, writeJsonAtomic } from "../lib/utils/fs";

const ROOT = path.resolve(__dirname, "..");
const REPORT = path.join(ROOT, "outputs", "mutation", "mutation.json");
const INCREMENTAL = path.join(ROOT, "bench", "results", "stryker-incremental.json");
const SAMPLE = path.join(ROOT, "bench", "results", "mutation-sample.json");

/** Files under lib/ that the comma-separated globs (`**`, `*`; "!" excludes) name, index.ts excluded as in stryker.config.json. */
function globLib(patterns: string[]): string[] {
  const toRegex = (g: string) => new RegExp("^" + g.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\//g, "\u0000").replace(/\*/g, "[^/]*").replace(/\u0000/g, "(?:.*/)?") + "$");
  const include = patterns.filter((p) => !p.startsWith("!")).map(toRegex);
  const exclude = ["**/index.ts", ...patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1))].map(toRegex);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (include.some((r) => r.test(rel)) && !exclude.some((r) => r.test(rel))) files.push(rel);
    }
  };
  walk("lib");
  return files.sort();
}

export async function benchMutation(): Promise<BenchRow[]> {
  const args = ["stryker", "run", "stryker.config.json", "--incremental", "--incrementalFile", path.relative(ROOT, INCREMENTAL)];
  const fraction = process.env.WORKBOOK_MUTATE_SAMPLE ? Number(process.env.WORKBOOK_MUTATE_SAMPLE) : undefined;
  let sample: LineSample | undefined;
  if (fraction !== undefined) {
    const globs = (process.env.WORKBOOK_MUTATE ?? JSON.parse(fs.readFileSync(path.join(ROOT, "stryker.config.json"), "utf8")).mutate.join(",")).split(",");
    const files = globLib(globs);
    if (files.length === 0) throw new Error(`bench mutation: WORKBOOK_MUTATE ${JSON.stringify(globs.join(","))} names no file under lib/`);
    sample = sampleLines(Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8")])), fraction, Number(process.env.WORKBOOK_MUTATE_SEED ?? 1));
    writeJsonAtomic(SAMPLE, sample);
    args.push("--mutate", sampleMutatePatterns(sample).join(","));
  } else if (process.env.WORKBOOK_MUTATE) args.push("--mutate", process.env.WORKBOOK_MUTATE);
  const start = performance.now();
  execFileSync("npx", args, { cwd: ROOT, stdio: "inherit" });
  const seconds = (performance.now() - start) / 1000;
  const report = JSON.parse(fs.readFileSync(REPORT, "utf8"));
  const scores = mutationScores(report, ROOT);
  const survivors = path.join(ROOT, "outputs", "mutation", "survivors.txt");
  writeFileAtomic(survivors, scores.find((s) => s.folder === "all")!.survivors.join("\n") + "\n");
  const estimates = sample ? sampleEstimate(report, sample, ROOT) : [];
  const sampled = new Set(estimates.map((e) => e.folder));
  const scope = sample ? ` (line sample ${sample.fraction} of ${Object.keys(sample.population).join(", ")}, seed ${sample.seed})` : process.env.WORKBOOK_MUTATE ? ` (${process.env.WORKBOOK_MUTATE})` : "";
  const run = scores.find((s) => s.folder === "all")!;
  const allFiles = globLib(JSON.parse(fs.readFileSync(path.join(ROOT, "stryker.config.json"), "utf8")).mutate);
  // Files run only in part: those of the latest line sample that no full run has covered since.
  let partial: string[] = [];
  if (sample) partial = Object.keys(sample.lines);
  else if (fs.existsSync(SAMPLE)) {
    const old = JSON.parse(fs.readFileSync(SAMPLE, "utf8")) as LineSample;
    const fullNow = new Set(globLib((process.env.WORKBOOK_MUTATE ?? allFiles.join(",")).split(",")));
    for (const f of Object.keys(old.lines)) if (fullNow.has(f)) delete old.lines[f];
    writeJsonAtomic(SAMPLE, old);
    partial = Object.keys(old.lines);
  }
  const missing = allFiles.filter((f) => partial.includes(f) || (!(f in report.files) && !(path.join(ROOT, f) in report.files)));
  return [
    ...scores.map((s) => ({
      bench: "mutation",
      metric: s.folder === "all" ? `all mutants run so far${scope}: mutation score (${s.detected} of ${s.valid} mutants detected)` : `${s.folder}: mutation score (${s.detected} of ${s.valid} mutants detected${sampled.has(s.folder) ? ", sampled lines only" : ""})`,
      value: s.valid ? s.detected / s.valid : NaN,
    })),
    ...estimates.map((e) => ({
      bench: "mutation",
      metric: `${e.folder}: estimated mutation score (${e.lines} of ${e.population} code lines drawn, seed ${sample!.seed}; ${e.detected} of ${e.mutants} mutants on them detected)`,
      value: e.estimate,
      note: `95% interval [${e.low.toFixed(2)}, ${e.high.toFixed(2)}]`,
    })),
    {
      bench: "mutation",
      metric: `target over the five areas: ${missing.length ? `${allFiles.length - missing.length} of ${allFiles.length} files run in full` : "every mutant run"}`,
      value: run.valid ? run.detected / run.valid : NaN,
      target: ">= 0.80",
      met: !sample && missing.length === 0 && run.valid > 0 && run.detected / run.valid >= 0.8,
    },
    { bench: "mutation", metric: "run seconds", value: seconds },
  ];
}
