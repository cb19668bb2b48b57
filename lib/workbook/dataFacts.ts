// Facts about the loaded data, computed from it, for the notebooks to print
// instead of CLINC150's numbers: rows per split, classes, the out-of-scope
// share per split, example queries, and whether oos oversampling applies.
import type { DatasetDict } from "../data/clinc";
import type { IntentDataset } from "../data/intents";
import { workbookDataName } from "./data";

/** The out-of-scope label (the same as recipes.ts's OOS_LABEL; this file sits below recipes.ts). */
const OOS = "oos";

/**
 * The book's example queries (chapter 8), classified by the notebooks on CLINC150.
 *
 * @example BOOK_QUERIES[0]; // "Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van"
 */
export const BOOK_QUERIES: readonly string[] = [
  "Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van",
  "What is the pin number for my account?",
];

const SPLITS = ["train", "validation", "test"] as const;

/** Rows of `split` labelled `oos`, or undefined when the split's labels have no oos class. */
function oosCount(split: IntentDataset): number | undefined {
  const names = split.features.intent.names;
  if (!names.includes(OOS)) return undefined;
  const id = split.features.intent.str2int(OOS);
  let n = 0;
  for (const row of split) if (row.intent === id) n++;
  return n;
}

/**
 * Per split: its rows and its out-of-scope rows (null without an oos class).
 *
 * @example dataFacts(loadClinc()).test; // { rows: 5500, oos: 1000 }
 */
export function dataFacts(data: DatasetDict): { classes: number; hasOos: boolean } & Record<(typeof SPLITS)[number], { rows: number; oos: number | null }> {
  const out = { classes: data.train.features.intent.names.length, hasOos: data.train.features.intent.names.includes(OOS) } as ReturnType<typeof dataFacts>;
  for (const s of SPLITS) out[s] = { rows: data[s].length, oos: oosCount(data[s]) ?? null };
  return out;
}

const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : "0%");

/**
 * The loaded data in two lines, every number computed from it: its name, rows
 * per split, classes, and the out-of-scope class with its share of each split
 * (or that it has none).
 *
 * @example
 * describeData(loadClinc(), "clinc150");
 * // "clinc150: 15,250 train, 3,100 validation, 5,500 test rows; 151 classes
 * //  out-of-scope class `oos`: 1.6% of train, 3.2% of validation, 18.2% of test"
 */
export function describeData(data: DatasetDict, name = workbookDataName()): string {
  const f = dataFacts(data);
  const n = (x: number) => x.toLocaleString("en-US");
  const rows = SPLITS.map((s) => `${n(f[s].rows)} ${s}`).join(", ");
  const oos = f.hasOos
    ? `out-of-scope class \`${OOS}\`: ${SPLITS.map((s) => `${pct(f[s].oos ?? 0, f[s].rows)} of ${s}`).join(", ")}`
    : `no out-of-scope class (no label named \`${OOS}\`)`;
  return `${name}: ${rows} rows; ${f.classes} classes\n${oos}`;
}

/**
 * Queries for the notebooks to classify: the book's for CLINC150 (no
 * WORKBOOK_DATA), else the first `count` distinct texts of a seeded shuffle
 * of the data's own test split.
 *
 * @example exampleQueries(loadWorkbookData())[0]; // the book's "rent a vehicle … Paris" query on CLINC150
 */
export function exampleQueries(data: DatasetDict, count = 2, folder = process.env.WORKBOOK_DATA): string[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`exampleQueries: count must be an integer >= 1, got ${count}`);
  if (!folder) return BOOK_QUERIES.slice(0, count);
  const seen = new Set<string>();
  for (const row of data.test.shuffle(0)) {
    if (seen.size >= count) break;
    seen.add(row.text);
  }
  if (!seen.size) throw new Error("exampleQueries: the test split has no rows");
  return [...seen];
}

/**
 * The oos oversampling factor that actually applies to `data`: `factor` with
 * an `oos` class, 1 without (oversampleOos is then a no-op).
 *
 * @example appliedOosOversample(shopData, 4); // 1: no oos class, nothing to oversample
 */
export function appliedOosOversample(data: DatasetDict, factor: number): number {
  return data.train.features.intent.names.includes(OOS) ? factor : 1;
}

/**
 * How a recipe's oos oversampling reads for `data`: "oos oversampling 4x",
 * or "oos oversampling: not applied (no oos class)".
 *
 * @example oosOversampleNote(loadClinc(), 4); // "oos oversampling 4x"
 */
export function oosOversampleNote(data: DatasetDict, factor: number | undefined): string {
  if (!data.train.features.intent.names.includes(OOS)) return "oos oversampling: not applied (no oos class)";
  return `oos oversampling ${factor ?? 1}x`;
}
