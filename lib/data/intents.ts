import * as fs from "node:fs";
import * as path from "node:path";
import { ClassLabel } from "./classLabel";
import { Dataset } from "./dataset";
import type { DatasetDict } from "./clinc";
import { decodeUtf8 } from "./text";
import { CsvRecord, parseCsvRecords } from "./csv";
import { jsonArrayElementLines, parseJson, parseJsonLines } from "./json";
import { stratifiedSplit } from "./split";
import { DataFileFingerprint, attachDataFingerprint } from "./fingerprint";
import { sha256Hex } from "../utils/fs";
import { dataReport } from "./report";
import { checkOptionKeys, didYouMean } from "../utils/options";
import { logger } from "../utils/log";

export { parseCsv } from "./csv";

/** One labelled query: `intent` is the ClassLabel id. */
export interface IntentRow {
  text: string;
  intent: number;
}

export type IntentDataset = Dataset<IntentRow>;

/**
 * Checks one (text, label) pair and turns the label into its id.
 *
 * @example
 * toIntentRow("where is my parcel", "delivery", new ClassLabel(["refund", "delivery"]), "train.csv line 3"); // { text: "where is my parcel", intent: 1 }
 */
export function toIntentRow(text: unknown, label: unknown, classLabel: ClassLabel, where: string): IntentRow {
  if (typeof text !== "string" || text.trim().length === 0) {
    throw new Error(`${where}: empty or non-string text`);
  }
  if (typeof label === "number") {
    classLabel.int2str(label); // validates the range
    return { text, intent: label };
  }
  if (typeof label !== "string" || label.length === 0) throw new Error(`${where}: missing label`);
  try {
    return { text, intent: classLabel.str2int(label) };
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

export interface LoadIntentOptions {
  /** Column (CSV header, JSON key) holding the text. Default "text". */
  textColumn?: string;
  /** Column holding the label, e.g. "category". Default "label". */
  labelColumn?: string;
  /**
   * Label names in id order. Default: the (training) file's labels in order
   * of first appearance; numeric JSON labels are ids (0..n-1, named "0",
   * "1", …, or by this list when given).
   */
  labels?: readonly string[];
}

export interface IntentDataFiles {
  train: string;
  test: string;
  /** Omit to hold out `validationFraction` of the training file instead. */
  validation?: string;
}

export interface LoadIntentSplitsOptions extends LoadIntentOptions {
  /** Without a validation file: the share of the training rows held out as validation, stratified by label. */
  validationFraction?: number;
  /** Seed of the validation split. Default 42. */
  seed?: number;
}

const FILE_TYPES = [".csv", ".json", ".jsonl"];
const SINGLE_OPTIONS = ["textColumn", "labelColumn", "labels"];
const SPLIT_OPTIONS = [...SINGLE_OPTIONS, "validationFraction", "seed"];

/** A row as found in a file, with its line (1-based; blank lines counted). */
interface RawRow {
  text: unknown;
  label: unknown;
  line: number;
}

/** Index of a column by name: exact, else case-insensitive; an error lists the columns. */
function findColumn(columns: readonly string[], wanted: string, option: string, where: string): number {
  const exact = columns.indexOf(wanted);
  if (exact >= 0) return exact;
  const loose = columns.flatMap((c, i) => (c.toLowerCase() === wanted.toLowerCase() ? [i] : []));
  if (loose.length === 1) return loose[0];
  const hint = didYouMean(wanted, columns);
  throw new Error(`${where}: no "${wanted}" column (columns: ${columns.map((c) => `"${c}"`).join(", ")})${hint ? `; did you mean "${hint}"?` : ""}; pass ${option} to name the ${option === "textColumn" ? "text" : "label"} column`);
}

/**
 * The file's columns (CSV header, keys of the first JSON object), e.g. to pick the label column.
 *
 * @example intentFileColumns("shop/train.csv"); // ["text", "category"]
 */
export function intentFileColumns(file: string): string[] {
  const ext = path.extname(file).toLowerCase();
  if ((ext === ".csv" || ext === ".jsonl") && fs.existsSync(file) && fs.statSync(file).isFile()) return ext === ".csv" ? csvHeader(file) : jsonLinesColumns(file);
  const { records, kind, values } = readStructured(file, { keepForLoad: true });
  if (kind === "csv") return records[0]?.fields.map((h) => h.trim()) ?? [];
  const first = values.find((v) => v.value && typeof v.value === "object" && !Array.isArray(v.value));
  return first ? Object.keys(first.value as object) : [];
}

/**
 * Reads a file's first bytes (64 KiB, four times more while `parse` asks for
 * more) up to the last newline byte (never inside a UTF-8 sequence), so a
 * large file's header is found without reading the whole file.
 */
function readHead<T>(file: string, parse: (text: string, whole: boolean) => T | undefined): T {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    for (let length = 1 << 16; ; length *= 4) {
      const buf = Buffer.alloc(Math.min(length, size));
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const whole = n >= size;
      const end = whole ? n : buf.lastIndexOf(0x0a, n - 1) + 1;
      const found = end > 0 || whole ? parse(decodeUtf8(buf.subarray(0, end), file), whole) : undefined;
      if (found !== undefined) return found;
      if (whole) throw new Error(`${file}: could not read its first row`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A CSV file's header, from its first bytes only: a large file is not parsed twice. */
function csvHeader(file: string): string[] {
  return readHead(file, (text, whole) => {
    try {
      const [head] = parseCsvRecords(text, file, 1);
      return head ? head.fields.map((h) => h.trim()) : whole ? [] : undefined;
    } catch (err) {
      if (whole || !/unterminated quoted field/.test((err as Error).message)) throw err; // a quoted header field may go on past the chunk
      return undefined;
    }
  });
}

/** The keys of a JSON Lines file's first object, from its first lines only. */
function jsonLinesColumns(file: string): string[] {
  return readHead(file, (text, whole) => {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === "" || (!whole && i === lines.length - 1)) continue;
      let value: unknown;
      try {
        value = JSON.parse(lines[i]);
      } catch (err) {
        throw new Error(`${file} line ${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      if (value && typeof value === "object" && !Array.isArray(value)) return Object.keys(value); // [text, label] pairs have no columns: look further

    }
    return whole ? [] : undefined;
  });
}

/** A data file's records: CSV records, or JSON values, each with its line. */
type Structured = ({ kind: "csv"; records: CsvRecord[]; values: [] } | { kind: "json"; records: []; values: { value: unknown; line: number }[] }) & { fingerprint: DataFileFingerprint };

// A .json array has no header to read on its own: intentFileColumns parses the whole file, and
// keeps the result here for the load that follows (taken once, and only if the file is unchanged).
let parsedForLoad: { key: string; value: Structured } | undefined;

function structuredKey(file: string, stat: fs.Stats): string {
  return `${path.resolve(file)}:${stat.size}:${stat.mtimeMs}`;
}

function readStructured(file: string, options: { keepForLoad?: boolean } = {}): Structured {
  if (!fs.existsSync(file)) throw new Error(`loadIntentDataset: file not found: ${file}`);
  const stat = fs.statSync(file);
  if (stat.isDirectory()) throw new Error(`loadIntentDataset: ${file} is a folder, not a file`);
  const key = structuredKey(file, stat);
  if (parsedForLoad?.key === key) {
    const { value } = parsedForLoad;
    parsedForLoad = undefined;
    return value;
  }
  const value = parseStructured(file);
  if (options.keepForLoad) parsedForLoad = { key, value };
  return value;
}

function parseStructured(file: string): Structured {
  const ext = path.extname(file).toLowerCase();
  if (!FILE_TYPES.includes(ext)) throw new Error(`loadIntentDataset: unsupported file type "${ext}" for ${file} (use ${FILE_TYPES.join(", ")})`);
  const bytes = fs.readFileSync(file);
  const fingerprint: DataFileFingerprint = { path: path.resolve(file), sha256: sha256Hex(bytes), bytes: bytes.length };
  const text = decodeUtf8(bytes, file);
  if (ext === ".csv") return { kind: "csv", records: parseCsvRecords(text, file), values: [], fingerprint };
  if (ext === ".jsonl") return { kind: "json", records: [], values: parseJsonLines(text, file), fingerprint };
  const parsed = parseJson(text, file);
  if (!Array.isArray(parsed)) throw new Error(`${file}: must hold a JSON array of {text, label} rows (or [text, label] pairs), got ${parsed === null ? "null" : typeof parsed}`);
  const lines = jsonArrayElementLines(text);
  return { kind: "json", records: [], values: parsed.map((value, i) => ({ value, line: lines[i] ?? 1 })), fingerprint };
}

/** Every row of a file with its text, label and line, and the file's fingerprint. */
function readRows(file: string, textColumn: string, labelColumn: string): RawRow[] & { fingerprint: DataFileFingerprint } {
  const data = readStructured(file);
  let rows: RawRow[];
  if (data.kind === "csv") {
    const [head, ...body] = data.records;
    if (!head) throw new Error(`${file}: the file is empty (it needs a header line with "${textColumn}" and "${labelColumn}" columns)`);
    const header = head.fields.map((h) => h.trim());
    const seen = new Map<string, number>();
    header.forEach((h, i) => {
      if (!h) return;
      const key = h.toLowerCase();
      if (seen.has(key)) throw new Error(`${file} line ${head.line}: the header names column "${h}" twice (columns ${seen.get(key)! + 1} and ${i + 1})`);
      seen.set(key, i);
    });
    const where = `${file} line ${head.line}`;
    const ti = findColumn(header, textColumn, "textColumn", where);
    const li = findColumn(header, labelColumn, "labelColumn", where);
    if (ti === li) throw new Error(`${where}: textColumn and labelColumn are the same column "${header[ti]}"`);
    rows = body.map((r) => {
      if (r.fields.length !== header.length) {
        throw new Error(`${file} line ${r.line}: ${r.fields.length} field${r.fields.length === 1 ? "" : "s"} but the header has ${header.length}${r.fields.length > header.length ? " (a text with commas must be quoted)" : ""}`);
      }
      return { text: r.fields[ti], label: r.fields[li], line: r.line };
    });
  } else {
    rows = data.values.map(({ value, line }) => {
      if (Array.isArray(value)) {
        if (value.length !== 2) throw new Error(`${file} line ${line}: a [text, label] pair has ${value.length} items`);
        return { text: value[0], label: value[1], line };
      }
      if (!value || typeof value !== "object") throw new Error(`${file} line ${line}: a row must be an object with "${textColumn}" and "${labelColumn}" keys (or a [text, label] pair), got ${value === null ? "null" : typeof value}`);
      const keys = Object.keys(value);
      const get = (name: string, option: string) => {
        if (name in value) return (value as Record<string, unknown>)[name];
        return (value as Record<string, unknown>)[keys[findColumn(keys, name, option, `${file} line ${line}`)]];
      };
      return { text: get(textColumn, "textColumn"), label: get(labelColumn, "labelColumn"), line };
    });
  }
  if (rows.length === 0) throw new Error(`${file}: no rows${data.kind === "csv" ? " (only a header)" : ""}`);
  return Object.assign(rows, { fingerprint: data.fingerprint });
}

/** A row's label as a name: strings trimmed; integers are ids (named by `labels`, else "0", "1", …). */
function labelName(row: RawRow, file: string, labels: readonly string[] | undefined): string {
  const raw = row.label;
  if (typeof raw === "number") {
    if (!(Number.isInteger(raw) && raw >= 0)) throw new Error(`${file} line ${row.line}: label ${raw} is neither a name nor a class id (a non-negative integer)`);
    if (!labels) return String(raw);
    if (raw >= labels.length) throw new Error(`${file} line ${row.line}: label id ${raw} is outside options.labels (${labels.length} names, ids 0-${labels.length - 1})`);
    return labels[raw];
  }
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) throw new Error(`${file} line ${row.line}: missing label`);
  if (typeof raw !== "string") throw new Error(`${file} line ${row.line}: label ${JSON.stringify(raw)} is ${Array.isArray(raw) ? "an array" : `a ${typeof raw}`}, expected a name or a class id`);
  return raw.trim();
}

/** Labels as names, with the checks for ambiguous files: names and ids mixed, case variants, stray spaces. */
function labelNames(rows: readonly RawRow[], file: string, labels: readonly string[] | undefined): string[] {
  const numeric = rows.find((r) => typeof r.label === "number");
  const named = rows.find((r) => typeof r.label === "string");
  if (numeric && named) throw new Error(`${file}: line ${numeric.line} has the class id ${numeric.label} but line ${named.line} the name ${JSON.stringify(named.label)}; use names or ids, not both`);
  const names = rows.map((r) => labelName(r, file, labels));
  const padded = rows.filter((r) => typeof r.label === "string" && r.label !== r.label.trim());
  if (padded.length) {
    const first = padded[0];
    logger.warn(`${file}: ${padded.length} labels had surrounding spaces and were trimmed (first: ${JSON.stringify(first.label)} on line ${first.line} → "${(first.label as string).trim()}")`);
  }
  if (!labels) {
    const byLower = new Map<string, { name: string; line: number }>();
    names.forEach((n, i) => {
      const prev = byLower.get(n.toLowerCase());
      if (!prev) byLower.set(n.toLowerCase(), { name: n, line: rows[i].line });
      else if (prev.name !== n) throw new Error(`${file}: the labels "${prev.name}" (line ${prev.line}) and "${n}" (line ${rows[i].line}) differ only by case; fix the file, or pass labels listing both if they are different classes`);
    });
  }
  return names;
}

/** The label list a training file defines: `labels`, else its names in order of first appearance, or ids 0..n-1. */
function trainingLabels(rows: readonly RawRow[], names: readonly string[], file: string, labels: readonly string[] | undefined): ClassLabel {
  if (labels) {
    const classLabel = new ClassLabel(labels);
    const known = new Set(labels);
    names.forEach((n, i) => {
      if (!known.has(n)) throw new Error(`${file} line ${rows[i].line}: label "${n}" is not one of options.labels (${labels.slice(0, 5).join(", ")}${labels.length > 5 ? ", …" : ""})`);
    });
    const present = new Set(names);
    const unused = labels.filter((l) => !present.has(l));
    if (unused.length) logger.warn(`${file}: ${unused.length} of options.labels have no rows here (${unused.slice(0, 5).join(", ")}${unused.length > 5 ? ", …" : ""})`);
    return classLabel;
  }
  if (typeof rows[0].label === "number") {
    const ids = new Set(rows.map((r) => r.label as number));
    const max = Math.max(...ids);
    const gaps = Array.from({ length: max + 1 }, (_, i) => i).filter((i) => !ids.has(i));
    if (gaps.length) throw new Error(`${file}: numeric labels must be the ids 0-${max} with each one present, but ${gaps.slice(0, 5).join(", ")}${gaps.length > 5 ? ", …" : ""} never occur; pass labels to name the classes`);
    return new ClassLabel(Array.from({ length: max + 1 }, (_, i) => String(i)));
  }
  return new ClassLabel([...new Set(names)]);
}

/** The data report's findings as warnings (counts and the first examples), through the logger. */
function warnDataFindings(data: IntentDataset | DatasetDict, where: string): void {
  if (!logger.isEnabled("warn")) return;
  for (const f of dataReport(data).findings) {
    const examples = f.examples.map((e) => JSON.stringify(e)).join("; ");
    logger.warn(`${where}: ${f.message}${examples ? `; e.g. ${examples}` : ""} (dataReport(data) lists them)`);
  }
}

/** Rows of one file as a dataset over `classLabel`; a label it does not know is an error naming the line. */
function toDataset(rows: readonly RawRow[], names: readonly string[], classLabel: ClassLabel, file: string, trainFile?: string): IntentDataset {
  const known = new Set(classLabel.names);
  return new Dataset(
    rows.map((r, i) => {
      if (typeof r.text !== "string") throw new Error(`${file} line ${r.line}: the text is ${r.text === null || r.text === undefined ? "missing" : `a ${typeof r.text}`}, expected a string`);
      if (r.text.trim() === "") throw new Error(`${file} line ${r.line}: empty text`);
      const name = names[i];
      if (!known.has(name)) {
        const same = classLabel.names.find((n) => n.toLowerCase() === name.toLowerCase());
        throw new Error(`${file} line ${r.line}: label "${name}" never appears in the training file${trainFile ? ` ${trainFile}` : ""}${same ? ` (it has "${same}")` : ""}; every label must be one of the training labels`);
      }
      return { text: r.text, intent: classLabel.str2int(name) };
    }),
    { intent: classLabel },
  );
}

/**
 * Loads your own intent data, so nothing downstream is CLINC-specific:
 * `.csv` (a header row), `.json` (an array of objects or `[text, label]`
 * pairs) or `.jsonl` (one object per line), UTF-8. Given one file, returns
 * its dataset; given `{ train, test, validation? }`, returns the three splits
 * with one label list, the training file's (or `labels`): a validation or
 * test label never seen in training is an error naming the file and line,
 * never a new id. Without a validation file, `validationFraction` of the
 * training rows are held out, stratified by label and seeded. Ambiguous data
 * is an error naming the file line: rows with more or fewer fields than the
 * header, duplicate header names, invalid UTF-8 (with its byte offset),
 * labels that differ only by case, names and ids mixed in one file.
 *
 * @example
 * const data = loadIntentDataset({ train: "shop/train.csv", test: "shop/test.csv" }, { labelColumn: "category", validationFraction: 0.1 });
 * data.train.features.intent.names; // ["refund", "delivery", …]
 * const ds = loadIntentDataset("my_intents.csv"); // one file: a Dataset
 */
export function loadIntentDataset(file: string, options?: LoadIntentOptions): IntentDataset;
/**
 * The `{ train, test, validation? }` form: three splits over the training file's label list (see the single-file form above).
 *
 * @example
 * const { train, validation, test } = loadIntentDataset({ train: "shop/train.csv", validation: "shop/val.csv", test: "shop/test.csv" }, { labelColumn: "category" });
 */
export function loadIntentDataset(files: IntentDataFiles, options?: LoadIntentSplitsOptions): DatasetDict;
/**
 * Implementation of both forms above.
 *
 * @example
 * loadIntentDataset("my_intents.csv").length; // the file's row count
 */
export function loadIntentDataset(source: string | IntentDataFiles, options: LoadIntentSplitsOptions = {}): IntentDataset | DatasetDict {
  const textColumn = options.textColumn ?? "text";
  const labelColumn = options.labelColumn ?? "label";
  if (typeof source === "string") {
    checkOptionKeys(options, SINGLE_OPTIONS, "loadIntentDataset");
    const rows = readRows(source, textColumn, labelColumn);
    const names = labelNames(rows, source, options.labels);
    const ds = toDataset(rows, names, trainingLabels(rows, names, source, options.labels), source);
    warnDataFindings(ds, source);
    return attachDataFingerprint(ds, { files: { data: rows.fingerprint }, options: { textColumn, labelColumn, labels: options.labels ?? null } });
  }
  checkOptionKeys(options, SPLIT_OPTIONS, "loadIntentDataset");
  if (!source || typeof source !== "object" || typeof source.train !== "string" || typeof source.test !== "string") {
    throw new Error(`loadIntentDataset: pass a file, or { train, test, validation? } file paths`);
  }
  checkOptionKeys(source, ["train", "test", "validation"], "loadIntentDataset", "split");
  const { validationFraction } = options;
  if (source.validation !== undefined && validationFraction !== undefined) throw new Error(`loadIntentDataset: pass either a validation file (${source.validation}) or validationFraction, not both`);
  if (source.validation === undefined && validationFraction === undefined) throw new Error(`loadIntentDataset: no validation split: pass a validation file or validationFraction (e.g. 0.1) to hold out part of ${source.train}`);
  const trainRows = readRows(source.train, textColumn, labelColumn);
  const trainNames = labelNames(trainRows, source.train, options.labels);
  const classLabel = trainingLabels(trainRows, trainNames, source.train, options.labels);
  const files: Record<string, DataFileFingerprint> = { train: trainRows.fingerprint };
  const split = (file: string, name: string) => {
    const rows = readRows(file, textColumn, labelColumn);
    files[name] = rows.fingerprint;
    return toDataset(rows, labelNames(rows, file, options.labels), classLabel, file, source.train);
  };
  const train = toDataset(trainRows, trainNames, classLabel, source.train);
  const test = split(source.test, "test");
  const loaded = { textColumn, labelColumn, labels: options.labels ?? null };
  let data: DatasetDict;
  if (source.validation !== undefined) data = { train, validation: split(source.validation, "validation"), test };
  else {
    if (!(typeof validationFraction === "number" && validationFraction > 0 && validationFraction < 1)) throw new Error(`loadIntentDataset: validationFraction must be a number in (0, 1), got ${validationFraction}`);
    const seed = options.seed ?? 42;
    const { kept, heldOut } = stratifiedSplit(train.column("intent"), validationFraction, seed);
    if (heldOut.length === 0) throw new Error(`loadIntentDataset: validationFraction ${validationFraction} of ${train.length} training rows holds out no row; add a validation file or raise the fraction`);
    data = { train: train.select(kept), validation: train.select(heldOut), test };
    Object.assign(loaded, { validationFraction, seed });
  }
  warnDataFindings(data, path.dirname(path.resolve(source.train)) === path.dirname(path.resolve(source.test)) ? path.dirname(source.train) : source.train);
  return attachDataFingerprint(data, { files, options: loaded });
}
