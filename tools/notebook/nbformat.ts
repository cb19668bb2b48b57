// Small helpers for reading, writing and checking .ipynb files (nbformat 4).
import * as fs from "node:fs";
import { writeFileAtomic } from "../../lib/utils/fs";

/** One cell of an nbformat 4 notebook. */
export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
}

/** An nbformat 4 notebook. */
export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: NotebookCell[];
}

const TSLAB_METADATA = {
  kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
  language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript", codemirror_mode: { name: "javascript", typescript: true } },
};

/**
 * A notebook for the tslab kernel from [kind, source] pairs, without outputs.
 *
 * @example writeNotebook(makeNotebook([["markdown", "# Hi"], ["code", "console.log(1)"]]), "hi.ipynb");
 */
export function makeNotebook(cells: ["code" | "markdown", string][]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: TSLAB_METADATA,
    cells: cells.map(([kind, source], i) => {
      const lines = source.split("\n").map((l, j, all) => (j < all.length - 1 ? `${l}\n` : l));
      const id = `cell-${String(i).padStart(3, "0")}`;
      return kind === "code" ? { id, cell_type: "code", source: lines, metadata: {}, outputs: [], execution_count: null } : { id, cell_type: "markdown", source: lines, metadata: {} };
    }),
  };
}

/**
 * Problems that keep a notebook from being committed: bad structure, or
 * anything a run leaves (an output or execution count in any cell, run
 * timestamps, saved widget state).
 *
 * @example assert.deepEqual(notebookProblems(readNotebook(file)), []);
 */
export function notebookProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  if (nb.nbformat !== 4) problems.push(`nbformat is ${nb.nbformat}, expected 4`);
  if (nb.metadata?.kernelspec?.name !== "tslab") problems.push(`kernelspec is ${nb.metadata?.kernelspec?.name}, expected tslab`);
  if (!Array.isArray(nb.cells) || nb.cells.length === 0) problems.push("no cells");
  (nb.cells ?? []).forEach((c, i) => {
    if (!["code", "markdown", "raw"].includes(c.cell_type)) problems.push(`cell ${i}: unknown cell_type ${c.cell_type}`);
    // Any cell kind: a saved output or execution count of any shape (an output that is not an array counts too).
    const outputs = (c as { outputs?: unknown }).outputs;
    if ((outputs !== undefined && !(Array.isArray(outputs) && outputs.length === 0)) || c.execution_count != null) problems.push(`cell ${i}: has stale outputs`);
    // JupyterLab's run timestamps (record_timing) are outputs of a run too.
    if (c.metadata && typeof c.metadata === "object" && "execution" in c.metadata) problems.push(`cell ${i}: has run timestamps (metadata.execution)`);
  });
  // Saved widget state is the outputs' state.
  if (nb.metadata && "widgets" in nb.metadata) problems.push("notebook metadata holds saved widget state (metadata.widgets)");
  return problems;
}

// Python's str.splitlines(keepends=True) boundaries, which nbformat uses when it writes.
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/**
 * Python's `str.splitlines(True)`: lines with their endings kept.
 *
 * @example splitLines("a\nb"); // ["a\n", "b"]
 */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const m of text.matchAll(LINE_BREAK)) {
    lines.push(text.slice(start, m.index! + m[0].length));
    start = m.index! + m[0].length;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const isJsonMime = (mime: string) => mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
const joined = (v: unknown) => (Array.isArray(v) && v.every((l) => typeof l === "string") ? v.join("") : v);

/**
 * Reads an .ipynb file (nbformat 4) with multi-line fields joined into
 * strings (nbformat's `read` + `rejoin_lines`). Names the file on bad input.
 *
 * @example const nb = readNotebook("notebooks/01_baseline.ipynb");
 */
export function readNotebook(file: string): Notebook {
  if (!fs.existsSync(file)) throw new Error(`Notebook not found: ${file}`);
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`Notebook is not valid JSON: ${file} (${(err as Error).message})`);
  }
  if (nb?.nbformat !== 4 || !Array.isArray(nb.cells)) throw new Error(`Not an nbformat 4 notebook: ${file} (nbformat ${nb?.nbformat}, expected 4 with a cells list)`);
  for (const cell of nb.cells) {
    cell.source = joined(cell.source) as string;
    for (const out of (cell.outputs ?? []) as Record<string, any>[]) {
      if (out.data) for (const k of Object.keys(out.data)) if (!isJsonMime(k)) out.data[k] = joined(out.data[k]);
      if ("text" in out) out.text = joined(out.text);
    }
  }
  return nb;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * The notebook as nbformat writes it: keys sorted, one-space indent, source,
 * stream text and text mime data split into lines, a final newline.
 *
 * @example fs.writeFileSync("out.ipynb", notebookToJson(nb));
 */
export function notebookToJson(nb: Notebook): string {
  const copy = structuredClone(nb) as Notebook;
  for (const cell of copy.cells) {
    if (typeof cell.source === "string") cell.source = splitLines(cell.source);
    for (const out of (cell.outputs ?? []) as Record<string, any>[]) {
      if (out.output_type === "stream" && typeof out.text === "string") out.text = splitLines(out.text);
      if (out.data) for (const [k, v] of Object.entries(out.data)) if (typeof v === "string" && (k.startsWith("text/") || k === "application/javascript" || k === "image/svg+xml")) out.data[k] = splitLines(v);
    }
  }
  return JSON.stringify(sortKeys(copy), null, 1) + "\n";
}

/**
 * Writes a notebook atomically (temp file + rename) as nbformat does, with
 * mode 0644 so the executed copy is readable like any other file.
 *
 * @example writeNotebook(executed, "outputs/notebooks/01_baseline.ipynb");
 */
export function writeNotebook(nb: Notebook, file: string): void {
  writeFileAtomic(file, notebookToJson(nb));
  fs.chmodSync(file, 0o644);
}
