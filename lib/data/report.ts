// A data report before training: what in a labelled text dataset makes a
// model or its scores misleading, each finding with its count and a few
// examples. The loader logs it as warnings; notebook 01 prints it.
import type { Dataset } from "./dataset";
import type { IntentRow } from "./intents";
import type { DatasetDict } from "./clinc";

/** The kinds of problem a data report looks for. */
export type DataFindingKind = "duplicate-rows" | "conflicting-labels" | "leakage" | "small-classes" | "single-class" | "oos-alias";

/** One kind of problem: how many, what it means, and a few examples. */
export interface DataFinding {
  kind: DataFindingKind;
  /** Rows, texts or classes concerned (the message says which). */
  count: number;
  message: string;
  /** At most `examples` (option) of them, as plain objects. */
  examples: Record<string, unknown>[];
}

export interface DataReportOptions {
  /** A class with fewer training rows than this is reported. Default 10. */
  minExamples?: number;
  /** Examples kept per finding. Default 3. */
  examples?: number;
}

/** The label names that mean "out of scope" (compared lowercased, without spaces, dashes or underscores). */
const OOS_ALIASES = new Set(["oos", "outofscope", "outofdomain", "ood", "outscope"]);

/** The form texts are compared in: trimmed, whitespace collapsed, lowercased (the uncased tokenizer sees the same). */
function normalise(text: string): string {
  // Fast path: no whitespace to collapse or trim (most texts).
  let plain = text.length > 0 && text.charCodeAt(0) !== 32 && text.charCodeAt(text.length - 1) !== 32;
  for (let i = 0; plain && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 32 && text.charCodeAt(i + 1) === 32) || (c < 32 && c !== 0) || c === 0xa0 || c > 0x167f) plain = false;
  }
  return (plain ? text : text.trim().replace(/\s+/g, " ")).toLowerCase();
}

/**
 * What `dataReport` found: the split sizes, the label count and the findings
 * (empty for clean data). `toString()` is the printed report.
 *
 * @example
 * const report = dataReport(data);
 * report.findings.map((f) => f.kind); // e.g. ["duplicate-rows", "leakage"]
 * report.find("leakage")?.count; // test rows whose text is also in train
 */
export class DataReport {
  constructor(
    readonly splits: Record<string, number>,
    readonly labels: readonly string[],
    readonly findings: readonly DataFinding[],
  ) {}

  /** True when nothing was found. */
  get clean(): boolean {
    return this.findings.length === 0;
  }

  /** The finding of one kind, if any. */
  find(kind: DataFindingKind): DataFinding | undefined {
    return this.findings.find((f) => f.kind === kind);
  }

  /** The report as printed: a summary line, then each finding with its examples. */
  toString(): string {
    const sizes = Object.entries(this.splits).map(([s, n]) => `${s} ${n}`).join(", ");
    const head = `Data report: ${sizes} rows; ${this.labels.length} label${this.labels.length === 1 ? "" : "s"}`;
    if (this.clean) return `${head}; no problems found`;
    const lines = [head];
    for (const f of this.findings) {
      lines.push(`  ${f.kind}: ${f.message}`);
      for (const e of f.examples) lines.push(`      ${formatExample(e)}`);
    }
    return lines.join("\n");
  }
}

function formatExample(e: Record<string, unknown>): string {
  return Object.entries(e).map(([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join(" / ") : String(v)}`).join(", ");
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Checks a dataset (one split, or `{ train, validation, test }`) before
 * training and returns its findings, each with a count and a few examples:
 * duplicate rows (the same text and label twice in a split), the same text
 * with two labels, validation or test texts that also appear in training
 * (leakage: the score then measures memory), classes with fewer than
 * `minExamples` training rows, a single class, and labels that look like an
 * out-of-scope class under another name than `oos` (`OOS`, `out_of_scope`, …).
 * Texts are compared trimmed, lowercased, with whitespace collapsed. One pass
 * over each split.
 *
 * @example
 * console.log(dataReport(loadWorkbookData()).toString());
 * // Data report: train 58, validation 6, test 20 rows; 4 labels
 * //   leakage: 12 test rows have a text that is also in train …
 */
export function dataReport(data: Dataset<IntentRow> | DatasetDict | Record<string, Dataset<IntentRow>>, options: DataReportOptions = {}): DataReport {
  const minExamples = options.minExamples ?? 10;
  const keep = options.examples ?? 3;
  if (!(Number.isInteger(minExamples) && minExamples >= 1)) throw new Error(`dataReport: minExamples must be an integer >= 1, got ${minExamples}`);
  if (!(Number.isInteger(keep) && keep >= 0)) throw new Error(`dataReport: examples must be an integer >= 0, got ${keep}`);
  if (!data || typeof data !== "object") throw new Error(`dataReport: pass a Dataset or { train, validation, test }, got ${data === null ? "null" : typeof data}`);
  const splits: Record<string, Dataset<IntentRow>> = isDataset(data) ? { data } : { ...data };
  const names = Object.keys(splits);
  if (!names.length) throw new Error("dataReport: no splits given");
  for (const n of names) if (!isDataset(splits[n])) throw new Error(`dataReport: split "${n}" is not a Dataset`);
  const trainName = "train" in splits ? "train" : names[0];
  const labels = splits[trainName].features.intent.names;
  const label = (id: number) => labels[id] ?? String(id);
  const findings: DataFinding[] = [];

  // One pass over every row (train first): per normalised text its labels and (split, label) pairs with their counts; small arrays, not a Set per text.
  const order = [trainName, ...names.filter((n) => n !== trainName)];
  const PAIR = 1 << 20;
  // The first (split, label) pair of a text inline; a second one moves them to arrays (few texts have one).
  type Entry = { text: string; pair: number; count: number; more?: { pairs: number[]; counts: number[] } };
  const byText = new Map<string, Entry>();
  const leaked: Record<string, unknown>[] = [];
  const leakedBySplit: Record<string, number> = {};
  let leakedRows = 0;
  order.forEach((name, s) => {
    for (const row of splits[name].rows) {
      const key = normalise(row.text);
      const pair = s * PAIR + row.intent;
      const e = byText.get(key);
      if (!e) {
        byText.set(key, { text: row.text, pair, count: 1 });
        continue;
      }
      if (!e.more && e.pair === pair) e.count++;
      else {
        e.more ??= { pairs: [e.pair], counts: [e.count] };
        const k = e.more.pairs.indexOf(pair);
        if (k >= 0) e.more.counts[k]++;
        else {
          e.more.pairs.push(pair);
          e.more.counts.push(1);
        }
      }
      if (s > 0 && e.pair < PAIR) {
        // The text's first row is a training row: leakage.
        leakedRows++;
        leakedBySplit[name] = (leakedBySplit[name] ?? 0) + 1;
        if (leaked.length < keep) leaked.push({ split: name, text: row.text, label: label(row.intent), trainLabel: label(e.pair) });
      }
    }
  });
  const dupExamples: Record<string, unknown>[] = [];
  const dupBySplit: Record<string, number> = {};
  let duplicates = 0;
  const conflicts: { text: string; pairs: number[] }[] = [];
  for (const e of byText.values()) {
    const pairs = e.more ? e.more.pairs : [e.pair];
    const counts = e.more ? e.more.counts : [e.count];
    if (e.more && new Set(pairs.map((p) => p % PAIR)).size > 1) conflicts.push({ text: e.text, pairs });
    counts.forEach((c, k) => {
      if (c < 2) return;
      const split = order[Math.floor(pairs[k] / PAIR)];
      duplicates += c - 1;
      dupBySplit[split] = (dupBySplit[split] ?? 0) + c - 1;
      if (dupExamples.length < keep) dupExamples.push({ split, text: e.text, label: label(pairs[k] % PAIR), copies: c });
    });
  }
  if (duplicates) {
    const where = Object.entries(dupBySplit).map(([s, n]) => `${s}: ${n}`).join(", ");
    findings.push({ kind: "duplicate-rows", count: duplicates, message: `${plural(duplicates, "duplicate row")} (the same text and label again in a split; ${where})`, examples: dupExamples });
  }
  if (conflicts.length) {
    findings.push({
      kind: "conflicting-labels",
      count: conflicts.length,
      message: `${plural(conflicts.length, "text has", "texts have")} two or more labels (no model can get them all right)`,
      examples: conflicts.slice(0, keep).map((c) => ({ text: c.text, labels: [...new Set(c.pairs.map((p) => p % PAIR))].map(label), splits: [...new Set(c.pairs.map((p) => order[Math.floor(p / PAIR)]))] })),
    });
  }
  if (leakedRows) {
    const where = Object.entries(leakedBySplit).map(([s, n]) => `${s}: ${n} of ${splits[s].length}`).join(", ");
    findings.push({ kind: "leakage", count: leakedRows, message: `${plural(leakedRows, "row")} outside ${trainName} ${leakedRows === 1 ? "has" : "have"} a text that is also in ${trainName} (${where}): their score measures memory, not generalisation`, examples: leaked });
  }

  const perClass = new Array<number>(labels.length).fill(0);
  for (const row of splits[trainName].rows) perClass[row.intent] = (perClass[row.intent] ?? 0) + 1;
  const present = perClass.flatMap((n, id) => (n > 0 ? [id] : []));
  if (present.length === 1) {
    findings.push({ kind: "single-class", count: 1, message: `${trainName} has a single class ("${label(present[0])}"): a classifier needs at least two`, examples: [{ label: label(present[0]), rows: perClass[present[0]] }] });
  }
  const small = perClass.flatMap((n, id) => (n < minExamples ? [{ label: label(id), rows: n }] : [])).sort((a, b) => a.rows - b.rows);
  if (small.length) {
    findings.push({ kind: "small-classes", count: small.length, message: `${plural(small.length, "class has", "classes have")} fewer than ${minExamples} ${trainName} rows (too few to learn or to score)`, examples: small.slice(0, keep) });
  }

  const aliases = labels.flatMap((name, id) => (name !== "oos" && OOS_ALIASES.has(name.toLowerCase().replace(/[\s_-]+/g, "")) ? [{ label: name, rows: perClass[id] }] : []));
  if (aliases.length) {
    findings.push({
      kind: "oos-alias",
      count: aliases.length,
      message: `${aliases.map((a) => `"${a.label}"`).join(", ")} ${aliases.length === 1 ? "looks" : "look"} like an out-of-scope class: name it "oos" to get the out-of-scope metrics and fallback (else it is scored as one more intent)`,
      examples: aliases.slice(0, keep),
    });
  }
  return new DataReport(Object.fromEntries(names.map((n) => [n, splits[n].length])), labels, findings);
}

function isDataset(d: unknown): d is Dataset<IntentRow> {
  return !!d && typeof d === "object" && Array.isArray((d as Dataset<IntentRow>).rows) && !!(d as Dataset<IntentRow>).features;
}
