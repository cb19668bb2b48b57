// Scores of a StrykerJS JSON report, per lib folder (npm run bench -- mutation).
import * as path from "node:path";
import { Random } from "../lib/utils/random";

/** Stryker's own definition: detected (killed, timed out) over valid mutants (those plus survived and uncovered). */
const DETECTED = new Set(["Killed", "Timeout"]);
const VALID = new Set(["Killed", "Timeout", "Survived", "NoCoverage"]);

interface MutantRecord {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number }; end?: { line: number } };
}

/**
 * Mutation score per lib folder (and in all), from Stryker's JSON report,
 * with the surviving and uncovered mutants listed.
 *
 * @example mutationScores(JSON.parse(fs.readFileSync("outputs/mutation/mutation.json", "utf8"))); // [{ folder: "all", detected: 11, valid: 15, survivors: [...] }, …]
 */
export function mutationScores(report: { files: Record<string, { mutants: MutantRecord[] }> }, root = process.cwd()): { folder: string; detected: number; valid: number; survivors: string[] }[] {
  const byFolder = new Map<string, { detected: number; valid: number; survivors: string[] }>();
  const add = (folder: string, m: MutantRecord, file: string) => {
    const row = byFolder.get(folder) ?? { detected: 0, valid: 0, survivors: [] };
    if (VALID.has(m.status)) row.valid++;
    if (DETECTED.has(m.status)) row.detected++;
    if (m.status === "Survived" || m.status === "NoCoverage") row.survivors.push(`${file}:${m.location.start.line} ${m.mutatorName} ${m.status}`);
    byFolder.set(folder, row);
  };
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const rel = path.relative(root, path.resolve(root, file));
    const folder = rel.split(path.sep).slice(0, 2).join("/");
    for (const m of mutants) {
      add(folder, m, rel);
      add("all", m, rel);
    }
  }
  return [...byFolder].map(([folder, r]) => ({ folder, ...r })).sort((a, b) => a.folder.localeCompare(b.folder));
}

/** Lines of a source file that can hold a mutant: not blank, not a comment, not an import. */
export function codeLines(source: string): number[] {
  const out: number[] = [];
  source.split("\n").forEach((text, i) => {
    const t = text.trim();
    if (t === "" || t.startsWith("//") || t.startsWith("/*") || t.startsWith("*") || t.startsWith("import ")) return;
    out.push(i + 1);
  });
  return out;
}

/** A line sample: per file, the 1-based lines whose mutants Stryker runs. */
export interface LineSample {
  fraction: number;
  seed: number;
  /** Code lines per folder (the population) and how many were drawn. */
  population: Record<string, number>;
  lines: Record<string, number[]>;
}

/**
 * A simple random sample of code lines without replacement, drawn
 * separately in every lib folder (round(fraction · lines), at least one), with
 * a seeded generator: the same files, fraction and seed give the same lines.
 * Every mutant that lies on a drawn line is run; the lines are the sampling
 * units (clusters of mutants), see sampleEstimate.
 *
 * @example sampleLines({ "lib/hpo/tpe.ts": source }, 0.05, 1).lines; // { "lib/hpo/tpe.ts": [12, 40, …] }
 */
export function sampleLines(sources: Record<string, string>, fraction: number, seed: number): LineSample {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`sampleLines: fraction must be in (0, 1], got ${fraction}`);
  if (!Number.isInteger(seed)) throw new Error(`sampleLines: seed must be an integer, got ${seed}`);
  const byFolder = new Map<string, { file: string; line: number }[]>();
  for (const file of Object.keys(sources).sort()) {
    const folder = file.split("/").slice(0, 2).join("/");
    const units = byFolder.get(folder) ?? [];
    for (const line of codeLines(sources[file])) units.push({ file, line });
    byFolder.set(folder, units);
  }
  const rng = new Random(seed);
  const lines: Record<string, number[]> = {};
  const population: Record<string, number> = {};
  for (const folder of [...byFolder.keys()].sort()) {
    const units = byFolder.get(folder)!;
    population[folder] = units.length;
    const n = Math.min(units.length, Math.max(1, Math.round(fraction * units.length)));
    for (const i of rng.permutation(units.length).slice(0, n)) (lines[units[i].file] ??= []).push(units[i].line);
  }
  for (const file of Object.keys(lines)) lines[file].sort((a, b) => a - b);
  return { fraction, seed, population, lines };
}

/** Stryker `--mutate` patterns for a line sample (one `file:L-L` range per line). */
export function sampleMutatePatterns(sample: LineSample): string[] {
  return Object.entries(sample.lines).flatMap(([file, lines]) => lines.map((l) => `${file}:${l}-${l}`));
}

/**
 * The mutation score a line sample estimates, per folder: the ratio
 * estimator Σdetected / Σvalid over the drawn lines (clusters), with a 95 %
 * interval from its linearised variance, finite-population corrected:
 * Var ≈ (1 − n/N) · Σ(dᵢ − R·vᵢ)² / ((n − 1) · n · v̄²). Only mutants that
 * start and end on a drawn line count (those are the ones the ranges select).
 *
 * @example sampleEstimate(report, sample); // [{ folder: "lib/hpo", estimate: 0.71, low: 0.62, high: 0.80, lines: 90, mutants: 140, … }]
 */
export function sampleEstimate(report: { files: Record<string, { mutants: MutantRecord[] }> }, sample: LineSample, root = process.cwd()): { folder: string; estimate: number; low: number; high: number; lines: number; population: number; mutants: number; detected: number }[] {
  const counts = new Map<string, { detected: number; valid: number }>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const rel = path.relative(root, path.resolve(root, file)).split(path.sep).join("/");
    const drawn = new Set(sample.lines[rel] ?? []);
    for (const m of mutants) {
      const line = m.location.start.line;
      if (!drawn.has(line) || (m.location.end && m.location.end.line !== line) || !VALID.has(m.status)) continue;
      const c = counts.get(`${rel}:${line}`) ?? { detected: 0, valid: 0 };
      c.valid++;
      if (DETECTED.has(m.status)) c.detected++;
      counts.set(`${rel}:${line}`, c);
    }
  }
  const out = [];
  for (const folder of Object.keys(sample.population).sort()) {
    const units = Object.entries(sample.lines)
      .filter(([file]) => file.split("/").slice(0, 2).join("/") === folder)
      .flatMap(([file, lines]) => lines.map((l) => counts.get(`${file}:${l}`) ?? { detected: 0, valid: 0 }));
    const n = units.length;
    const N = sample.population[folder];
    const detected = units.reduce((a, u) => a + u.detected, 0);
    const valid = units.reduce((a, u) => a + u.valid, 0);
    const r = valid ? detected / valid : NaN;
    const vbar = valid / n;
    const ss = units.reduce((a, u) => a + (u.detected - r * u.valid) ** 2, 0);
    const se = n > 1 && valid ? Math.sqrt(((1 - n / N) * ss) / ((n - 1) * n * vbar * vbar)) : NaN;
    out.push({ folder, estimate: r, low: Math.max(0, r - 1.96 * se), high: Math.min(1, r + 1.96 * se), lines: n, population: N, mutants: valid, detected });
  }
  return out;
}
