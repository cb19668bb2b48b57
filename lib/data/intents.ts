import * as fs from "node:fs";
import * as path from "node:path";
import { ClassLabel } from "./classLabel";
import { Dataset } from "./dataset";

/** One labelled query: `intent` is the ClassLabel id. */
export interface IntentRow {
  text: string;
  intent: number;
}

export type IntentDataset = Dataset<IntentRow>;

/** Checks one (text, label) pair and turns the label into its id. */
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

/** Minimal RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (quoted) throw new Error("CSV: unterminated quoted field");
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

export interface LoadIntentOptions {
  /** Label names in id order. Default: the labels in order of first appearance. */
  labels?: readonly string[];
}

/**
 * Loads a user's own intent data so nothing downstream is CLINC-specific:
 * a `.csv` with a `text,label` header, or a `.json` array of `{text, label}`
 * objects or `[text, label]` pairs.
 *
 * @example
 * const ds = loadIntentDataset("my_intents.csv");
 * ds.features.intent.names; // ["greet", "bye", …]
 */
export function loadIntentDataset(file: string, options: LoadIntentOptions = {}): IntentDataset {
  if (!fs.existsSync(file)) throw new Error(`loadIntentDataset: file not found: ${file}`);
  const ext = path.extname(file).toLowerCase();
  let pairs: [unknown, unknown][];
  if (ext === ".csv") {
    const rows = parseCsv(fs.readFileSync(file, "utf8"));
    if (rows.length === 0) throw new Error(`loadIntentDataset: ${file} is empty`);
    const header = rows[0].map((h) => h.trim().toLowerCase());
    const ti = header.indexOf("text");
    const li = header.indexOf("label");
    if (ti < 0 || li < 0) throw new Error(`loadIntentDataset: ${file} needs a header with "text" and "label" columns, got "${rows[0].join(",")}"`);
    pairs = rows.slice(1).map((r) => [r[ti], r[li]]);
  } else if (ext === ".json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new Error(`loadIntentDataset: ${file} is not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw new Error(`loadIntentDataset: ${file} must hold a JSON array of {text, label} rows`);
    pairs = parsed.map((r, i) => {
      if (Array.isArray(r)) return [r[0], r[1]];
      if (r && typeof r === "object") return [(r as any).text, (r as any).label];
      throw new Error(`loadIntentDataset: ${file} row ${i} is neither {text, label} nor [text, label]`);
    });
  } else {
    throw new Error(`loadIntentDataset: unsupported file type "${ext}" for ${file} (use .csv or .json)`);
  }
  if (pairs.length === 0) throw new Error(`loadIntentDataset: ${file} has no rows`);
  const names = options.labels ?? [...new Set(pairs.map(([, l]) => String(l ?? "")))].filter((l) => l.length > 0);
  const classLabel = new ClassLabel(names);
  const rows = pairs.map(([t, l], i) => toIntentRow(t, l, classLabel, `${file} row ${i + 1}`));
  return new Dataset(rows, { intent: classLabel });
}
