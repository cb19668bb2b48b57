import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { workbookDataName } from "./data";
import { PerfMetrics } from "../benchmark/performanceBenchmark";
import { loadDemoMetrics, loadPerfMetrics } from "../benchmark/store";
import { plotMetrics } from "../benchmark/plotMetrics";
import { saveFigure } from "../plotting/figure";
import { writeFileAtomic, writeJsonAtomic } from "../utils/fs";
import { gitCommit } from "../utils/git";

/**
 * The perf_metrics table as Markdown, one row per optimisation, in the order measured;
 * the ratio columns read as the notebooks word them, against the first row (the
 * baseline): "x smaller" is baseline size ÷ size, "x faster" baseline latency ÷ latency.
 *
 * @example
 * perfMetricsMarkdown(loadPerfMetrics());
 * // "| Optimisation | Size (MB) | Latency (ms) | Accuracy | x smaller | x faster |\n|---|…" then one row per saved optimisation
 */
export function perfMetricsMarkdown(perf: PerfMetrics): string {
  const rows = Object.entries(perf);
  const base = rows[0]?.[1];
  // The out-of-scope columns appear when some row has them (data with an oos class).
  const oos = rows.some(([, m]) => m.oosRecall !== undefined);
  const pct = (v: number | undefined) => (v === undefined ? "" : `${(v * 100).toFixed(1)}%`);
  const lines = [
    "| Optimisation | Size (MB) | Latency (ms) | Accuracy | x smaller | x faster |" + (oos ? " In-scope | OOS recall | AUROC | FPR95 | Detector |" : ""),
    "|---|---:|---:|---:|---:|---:|" + (oos ? "---:|---:|---:|---:|---|" : ""),
    ...rows.map(([name, m]) => `| ${name} | ${m.sizeMb.toFixed(2)} | ${m.timeAvgMs.toFixed(2)} ± ${m.timeStdMs.toFixed(2)} | ${(m.accuracy * 100).toFixed(2)}% | ${(base.sizeMb / m.sizeMb).toFixed(2)}x | ${(base.timeAvgMs / m.timeAvgMs).toFixed(2)}x |` + (oos ? ` ${pct(m.inScopeAccuracy)} | ${pct(m.oosRecall)} | ${m.auroc === undefined ? "" : m.auroc.toFixed(3)} | ${pct(m.fpr95)} | ${m.oosDetector ?? ""} |` : "")),
  ];
  return lines.join("\n") + "\n";
}

/**
 * The chapter's closing sentence from a run's perf table: the final
 * compressed row against the teacher (the baseline row) and the bag of
 * words, with the ratios and accuracies measured, and whether it matches
 * or beats each. Throws when a named row is missing.
 *
 * @example
 * closingStatement(loadPerfMetrics(), "Distillation + pruning + ORT (quantized)");
 * // "Distillation + pruning + ORT (quantized): 12.1x smaller and 21.1x faster than the BERT baseline; accuracy 83.62% against the teacher's 85.69% (−2.07 points) and the bag of words' 87.65% (−4.03 points)."
 */
export function closingStatement(perf: PerfMetrics, final: string, teacher = "BERT baseline", bagOfWords = "Bag-of-words baseline"): string {
  const row = (name: string) => {
    const m = perf[name];
    if (!m) throw new Error(`closingStatement: the perf table has no "${name}" row (rows: ${Object.keys(perf).join(", ")})`);
    return m;
  };
  const f = row(final), t = row(teacher);
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const pts = (a: number, b: number) => `${a >= b ? "+" : "−"}${Math.abs((a - b) * 100).toFixed(2)} points`;
  const against = [`the teacher's ${pct(t.accuracy)} (${pts(f.accuracy, t.accuracy)})`];
  if (perf[bagOfWords]) against.push(`the bag of words' ${pct(perf[bagOfWords].accuracy)} (${pts(f.accuracy, perf[bagOfWords].accuracy)})`);
  return `${final}: ${(t.sizeMb / f.sizeMb).toFixed(1)}x smaller and ${(t.timeAvgMs / f.timeAvgMs).toFixed(1)}x faster than the ${teacher}; accuracy ${pct(f.accuracy)} against ${against.join(" and ")}.`;
}

/**
 * Writes the workbook's results: perf_metrics.json / .md and the
 * accuracy-vs-latency chart as interactive HTML and as PNG (drawn in Node),
 * showing only the
 * optimisation rows; demonstration runs, if given, are listed in a table of
 * their own (and in the JSON under `demos`), never on the chart.
 * `meta.incomplete` (why the run did not finish) marks the report: an
 * `INCOMPLETE: …` line at the top of the Markdown and the field in the JSON;
 * only an incomplete report may have no rows (then no chart is left over).
 *
 * @example
 * writeReport(loadPerfMetrics(), "outputs", { profile: "default" }, loadDemoMetrics());
 * // { files: ["outputs/perf_metrics.json", "outputs/perf_metrics.md", "outputs/perf_metrics.html", "outputs/perf_metrics.png"] }
 */
export function writeReport(perf: PerfMetrics, dir: string, meta: Record<string, unknown> = {}, demos: PerfMetrics = {}): { files: string[] } {
  const names = Object.keys(perf);
  const incomplete = meta.incomplete;
  if (incomplete !== undefined && (typeof incomplete !== "string" || !incomplete.trim())) throw new Error(`writeReport: meta.incomplete must be a non-empty string saying why, got ${JSON.stringify(incomplete)}`);
  if (names.length === 0 && !incomplete) throw new Error("writeReport: no benchmark rows were recorded (did the notebooks run?)");
  writeJsonAtomic(path.join(dir, "perf_metrics.json"), { ...meta, perfMetrics: perf, ...(Object.keys(demos).length ? { demos } : {}) });
  const demoTable = Object.keys(demos).length
    ? `\n## Demonstrations\n\nShort runs that show an API (not optimisations; not on the chart):\n\n${perfMetricsMarkdown(demos)}`
    : "";
  const banner = incomplete ? `INCOMPLETE: ${incomplete}\n\n` : "";
  const metaLines = Object.entries(meta).filter(([k]) => k !== "incomplete").map(([k, v]) => `- ${k}: ${v}`).join("\n");
  if (names.length === 0) {
    // Nothing measured yet: no table, and no chart left over from an earlier run.
    for (const ext of ["html", "png"]) fs.rmSync(path.join(dir, `perf_metrics.${ext}`), { force: true });
    writeFileAtomic(path.join(dir, "perf_metrics.md"), `# Workbook results\n\n${banner}${metaLines}\n\nNo benchmark rows were recorded.\n${demoTable}`);
    return { files: [path.join(dir, "perf_metrics.json"), path.join(dir, "perf_metrics.md")] };
  }
  const md = `# Workbook results\n\n${banner}${metaLines}\n\n${perfMetricsMarkdown(perf)}\n![accuracy vs latency](perf_metrics.png)\n${demoTable}`;
  writeFileAtomic(path.join(dir, "perf_metrics.md"), md);
  const fig = saveFigure(plotMetrics(perf, names[names.length - 1]), path.join(dir, "perf_metrics"));
  return { files: [path.join(dir, "perf_metrics.json"), path.join(dir, "perf_metrics.md"), fig.html, ...(fig.png ? [fig.png] : [])] };
}

/**
 * The report of a workbook run (npm start, bench workbook): the rows the
 * notebooks saved, with the run's profile, notebooks and times, and the
 * machine; `incomplete` (why the run stopped) marks it as incomplete.
 *
 * @example
 * writeWorkbookReport(OUTPUTS_DIR, { profile: "default", notebooks: [{ notebook: "notebooks/01_baseline.ipynb", seconds: 95 }], totalSeconds: 95 });
 * // { files: ["…/outputs/perf_metrics.json", "…/outputs/perf_metrics.md", "…/outputs/perf_metrics.html", "…/outputs/perf_metrics.png"] }
 */
export function writeWorkbookReport(dir: string, run: { profile: string; notebooks: readonly { notebook: string; seconds: number }[]; totalSeconds: number; incomplete?: string }): { files: string[] } {
  const commit = gitCommit({ markChanges: true });
  return writeReport(loadPerfMetrics(), dir, {
    ...(run.incomplete !== undefined ? { incomplete: run.incomplete } : {}),
    data: process.env.WORKBOOK_DATA ? `${workbookDataName()} (WORKBOOK_DATA=${process.env.WORKBOOK_DATA})` : "clinc150 (the shipped CLINC150)",
    profile: run.profile,
    ...(commit ? { commit } : {}),
    notebooks: run.notebooks.map((r) => `${path.basename(r.notebook)} (${r.seconds.toFixed(0)} s)`).join(", "),
    totalSeconds: run.totalSeconds.toFixed(0),
    machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    date: new Date().toISOString(),
  }, loadDemoMetrics());
}
