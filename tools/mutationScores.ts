// Scores of a StrykerJS JSON report, per lib folder (npm run bench -- mutation).
import * as path from "node:path";

/** Stryker's own definition: detected (killed, timed out) over valid mutants (those plus survived and uncovered). */
const DETECTED = new Set(["Killed", "Timeout"]);
const VALID = new Set(["Killed", "Timeout", "Survived", "NoCoverage"]);

interface MutantRecord {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number } };
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
