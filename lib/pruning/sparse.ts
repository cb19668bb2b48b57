// Sparse storage of pruned models: each weight matrix stored dense, as CSR
// (row pointers, column indices, values) or as a bitmap (one bit per entry,
// then the non-zero values), in float32 or int8 (symmetric, one scale per
// row, so zeros stay exactly zero). The container is a safetensors file
// (model.sparse.safetensors, with config.json beside it) whose metadata
// says how each tensor is encoded; loading it gives back the weights.
import { registerModelKind } from "../models/registry";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PreTrainedModel } from "../models/modeling";
import { readConfig } from "../models/modeling";
import { createModelFromConfig } from "../models/auto";
import { recordFileChecksum, verifyFileChecksum } from "../models/folder";
import { SafeTensor, parseSafetensors, serializeSafetensors } from "../models/safetensors";
import { writeFileAtomic, writeJsonAtomic } from "../utils/fs";
import { roundHalfEven } from "../int8/int8";

/** How one tensor is stored. */
export type SparseEncoding = "dense" | "csr" | "bitmap";
/** The encoding asked for: one for every matrix, or "auto" (the smallest of dense, CSR and bitmap per tensor). */
export type SparseFormat = SparseEncoding | "auto";
/** Value type of the stored weight matrices (vectors stay float32). */
export type SparseDType = "float32" | "int8";

/**
 * The file saveSparse writes beside config.json.
 *
 * @example fs.statSync(path.join(dir, SPARSE_FILE)).size;
 */
export const SPARSE_FILE = "model.sparse.safetensors";
const FORMAT_TAG = "workbook-sparse-v1";

/** How saveSparse stores the weight matrices. */
export interface SparseOptions {
  /** Default "auto". */
  format?: SparseFormat;
  /** Default "float32". */
  dtype?: SparseDType;
}

/** How one tensor was stored, and its size in bytes. */
export interface SparseTensorReport {
  name: string;
  encoding: SparseEncoding;
  dtype: SparseDType;
  shape: number[];
  sparsity: number;
  bytes: number;
}

interface Entry {
  encoding: SparseEncoding;
  dtype: SparseDType;
  shape: number[];
}

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

function checkOptions(options: SparseOptions, where: string): Required<SparseOptions> {
  for (const k of Object.keys(options)) if (!["format", "dtype"].includes(k)) throw new Error(`${where}: unknown option "${k}" (format, dtype)`);
  const format = options.format ?? "auto";
  const dtype = options.dtype ?? "float32";
  if (!["dense", "csr", "bitmap", "auto"].includes(format)) throw new Error(`${where}: format must be "dense", "csr", "bitmap" or "auto", got ${JSON.stringify(format)}`);
  if (!["float32", "int8"].includes(dtype)) throw new Error(`${where}: dtype must be "float32" or "int8", got ${JSON.stringify(dtype)}`);
  return { format, dtype };
}

/**
 * Symmetric int8 with one scale per row (max |w| / 127): zeros map to 0 exactly.
 * NaN or ±Infinity in a row is an error naming its position (a row's scale
 * would be NaN or Infinity and every value in it garbage).
 *
 * @example quantizeRows(Float32Array.of(0, 0.5, -1, 0.25), 2, 2).values; // Int8Array [0, 127, -127, 32]
 * quantizeRows(Float32Array.of(0, NaN), 1, 2); // throws: quantizeRows: row 0 holds NaN at column 1 (index 1); int8 rows need finite values
 */
export function quantizeRows(data: Float32Array, rows: number, cols: number): { values: Int8Array; scale: Float32Array } {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0) || rows * cols !== data.length) throw new Error(`quantizeRows: ${data.length} values do not fill ${rows} rows of ${cols}`);
  const scale = new Float32Array(rows);
  const values = new Int8Array(data.length);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      if (!Number.isFinite(v)) throw new Error(`quantizeRows: row ${r} holds ${v} at column ${c} (index ${r * cols + c}); int8 rows need finite values`);
      m = Math.max(m, Math.abs(v));
    }
    const s = Math.fround(m / 127) || 1;
    scale[r] = s;
    for (let c = 0; c < cols; c++) values[r * cols + c] = Math.max(-127, Math.min(127, roundHalfEven(data[r * cols + c] / s)));
  }
  return { values, scale };
}

/**
 * The float values int8 storage gives back: q · scale of its row (what loading an int8 file yields).
 *
 * @example const q = quantizeRows(w, rows, cols); dequantizeRows(q.values, q.scale, cols); // ≈ w, zeros exact
 */
export function dequantizeRows(values: Int8Array, scale: Float32Array, cols: number): Float32Array {
  return Float32Array.from(values, (q, i) => q * scale[Math.floor(i / cols)]);
}

/**
 * The rows a tensor is stored in: a matrix's own; a tensor of 3 or more
 * dimensions flattened to rows of its last dimension ([a, b, c] → a·b rows
 * of c); a vector (or scalar) one row.
 */
function rowsOf(shape: readonly number[], size: number): [number, number] {
  if (shape.length < 2) return [1, size];
  const cols = shape[shape.length - 1];
  return [cols === 0 ? 0 : size / cols, cols];
}

/** The tensors that store one weight under an encoding. */
function encode(name: string, w: { shape: number[]; data: Float32Array }, encoding: SparseEncoding, dtype: SparseDType): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  const matrix = w.shape.length >= 2;
  const [rows, cols] = rowsOf(w.shape, w.data.length);
  const quantize = () => {
    try {
      return quantizeRows(w.data, rows, cols);
    } catch (err) {
      throw new Error(`encodeSparse: weight "${name}" [${w.shape}]: ${(err as Error).message}`);
    }
  };
  const quant = dtype === "int8" && matrix ? quantize() : undefined;
  if (quant) out.set(`${name}.scale`, { dtype: "F32", shape: [rows], data: quant.scale });
  if (encoding === "dense") {
    out.set(quant ? `${name}.values` : name, quant ? { dtype: "I8", shape: [...w.shape], data: quant.values } : { dtype: "F32", shape: [...w.shape], data: w.data });
    return out;
  }
  // Stored positions: the non-zero values (after quantization: a weight that rounds to 0 is not stored).
  const nz: number[] = [];
  for (let i = 0; i < w.data.length; i++) if ((quant ? quant.values[i] : w.data[i]) !== 0) nz.push(i);
  const values = quant ? Int8Array.from(nz, (i) => quant.values[i]) : Float32Array.from(nz, (i) => w.data[i]);
  out.set(`${name}.values`, { dtype: quant ? "I8" : "F32", shape: [nz.length], data: values });
  if (encoding === "bitmap") {
    const bits = new Uint8Array(Math.ceil(w.data.length / 8));
    for (const i of nz) bits[i >> 3] |= 1 << (i & 7);
    out.set(`${name}.bitmap`, { dtype: "U8", shape: [bits.length], data: bits });
  } else {
    const indptr = new Int32Array(rows + 1);
    const indices = cols <= 32768 ? new Int16Array(nz.length) : new Int32Array(nz.length);
    nz.forEach((i, k) => {
      indptr[Math.floor(i / cols) + 1]++;
      indices[k] = i % cols;
    });
    for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
    out.set(`${name}.indptr`, { dtype: "I32", shape: [rows + 1], data: indptr });
    out.set(`${name}.indices`, { dtype: indices instanceof Int16Array ? "I16" : "I32", shape: [nz.length], data: indices });
  }
  return out;
}

const bytesOf = (ts: Map<string, SafeTensor>) => [...ts.values()].reduce((a, t) => a + t.data.byteLength, 0);

/**
 * Encodes weights (HF layout) into safetensors tensors plus the metadata that says how to read them back.
 *
 * @example encodeSparse(model.stateDict(), { format: "auto", dtype: "int8" }).report[0].encoding; // "dense" (the embeddings are not sparse)
 */
export function encodeSparse(weights: Weights, options: SparseOptions = {}): { tensors: Map<string, SafeTensor>; metadata: Record<string, string>; report: SparseTensorReport[] } {
  const { format, dtype } = checkOptions(options, "encodeSparse");
  const tensors = new Map<string, SafeTensor>();
  const entries: Record<string, Entry> = {};
  const report: SparseTensorReport[] = [];
  for (const [name, w] of weights) {
    if (/\.(values|scale|bitmap|indptr|indices)$/.test(name)) throw new Error(`encodeSparse: parameter name "${name}" ends like a storage suffix; rename it`);
    const vector = w.shape.length < 2;
    const candidates: SparseEncoding[] = vector || format === "dense" ? ["dense"] : format === "auto" ? ["dense", "csr", "bitmap"] : [format];
    const dt: SparseDType = vector ? "float32" : dtype;
    let best: { encoding: SparseEncoding; ts: Map<string, SafeTensor> } | undefined;
    for (const enc of candidates) {
      const ts = encode(name, w, enc, dt);
      if (!best || bytesOf(ts) < bytesOf(best.ts)) best = { encoding: enc, ts };
    }
    for (const [k, t] of best!.ts) tensors.set(k, t);
    entries[name] = { encoding: best!.encoding, dtype: dt, shape: [...w.shape] };
    let zeros = 0;
    for (const v of w.data) if (v === 0) zeros++;
    report.push({ name, encoding: best!.encoding, dtype: dt, shape: [...w.shape], sparsity: w.data.length ? zeros / w.data.length : 0, bytes: bytesOf(best!.ts) });
  }
  return { tensors, metadata: { format: FORMAT_TAG, tensors: JSON.stringify(entries) }, report };
}

/**
 * Decodes the tensors of a sparse safetensors file back to dense float32 weights (HF layout).
 *
 * @example const { tensors, metadata } = readSafetensors(file); decodeSparse(tensors, metadata, file);
 */
export function decodeSparse(tensors: Map<string, SafeTensor>, metadata: Record<string, string>, source = "sparse weights"): Weights {
  const bad = (why: string) => new Error(`Corrupt sparse weights in ${source}: ${why}`);
  if (metadata.format !== FORMAT_TAG) throw bad(`metadata format is ${JSON.stringify(metadata.format)}, expected "${FORMAT_TAG}" (write it with saveSparse)`);
  let entries: Record<string, Entry>;
  try {
    entries = JSON.parse(metadata.tensors);
  } catch {
    throw bad("the tensors metadata is not valid JSON");
  }
  const get = (k: string) => tensors.get(k) ?? (() => { throw bad(`tensor "${k}" is missing`); })();
  const out: Weights = new Map();
  for (const [name, e] of Object.entries(entries)) {
    if (!Array.isArray(e?.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`"${name}" has no valid shape in the metadata`);
    const size = e.shape.reduce((a, b) => a * b, 1);
    let [rows, cols] = rowsOf(e.shape, size);
    const int8 = e.dtype === "int8";
    const scale = int8 ? (get(`${name}.scale`).data as Float32Array) : undefined;
    if (scale && scale.length !== rows) throw bad(`"${name}" has ${scale.length} row scales for ${rows} rows of shape [${e.shape}]`);
    const value = (v: number, i: number) => (scale ? v * scale[Math.floor(i / cols)] : v);
    const data = new Float32Array(size);
    if (e.encoding === "dense") {
      const src = get(int8 ? `${name}.values` : name).data as Float32Array | Int8Array;
      if (src.length !== size) throw bad(`"${name}" has ${src.length} values for shape [${e.shape}]`);
      for (let i = 0; i < size; i++) data[i] = value(src[i], i);
    } else {
      const vals = get(`${name}.values`).data as Float32Array | Int8Array;
      const positions: number[] = [];
      if (e.encoding === "bitmap") {
        const bits = get(`${name}.bitmap`).data as Uint8Array;
        for (let i = 0; i < size; i++) if (bits[i >> 3] & (1 << (i & 7))) positions.push(i);
      } else {
        const indptr = get(`${name}.indptr`).data as Int32Array;
        const indices = get(`${name}.indices`).data as Int16Array | Int32Array;
        // Files written before tensors of 3+ dimensions were stored by rows kept them as one float32 row.
        if (e.shape.length > 2 && !int8 && rows !== 1 && indptr.length === 2) [rows, cols] = [1, size];
        if (indptr.length !== rows + 1 || indptr[rows] !== indices.length) throw bad(`"${name}" has row pointers that do not match its ${indices.length} indices`);
        for (let r = 0; r < rows; r++) for (let k = indptr[r]; k < indptr[r + 1]; k++) positions.push(r * cols + indices[k]);
      }
      if (positions.length !== vals.length) throw bad(`"${name}" has ${vals.length} values for ${positions.length} stored positions`);
      positions.forEach((p, k) => {
        if (p < 0 || p >= size) throw bad(`"${name}" stores position ${p} outside shape [${e.shape}]`);
        data[p] = value(vals[k], p);
      });
    }
    out.set(name, { shape: [...e.shape], data });
  }
  return out;
}

/**
 * Writes a model's weights sparsely: config.json and model.sparse.safetensors
 * (each matrix dense, CSR or bitmap; float32 or int8). Returns the file's
 * size and how each tensor was stored.
 *
 * @example saveSparse(prunedStudent, "outputs/pruned-90-sparse", { format: "bitmap", dtype: "int8" }).bytes; // ≈ 2.3 MB
 */
export function saveSparse(model: PreTrainedModel, dir: string, options: SparseOptions = {}): { file: string; bytes: number; tensors: SparseTensorReport[] } {
  if (model.weightTransforms.size > 0) throw new Error("saveSparse: the model has weight transforms (masks); make them permanent first (remove(), or let the PruningConfig finish training)");
  const { tensors, metadata, report } = encodeSparse(model.stateDict(), options);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, SPARSE_FILE);
  const bytes = serializeSafetensors(tensors, metadata);
  writeJsonAtomic(path.join(dir, "config.json"), model.config);
  writeFileAtomic(file, bytes);
  recordFileChecksum(file, bytes);
  return { file, bytes: bytes.byteLength, tensors: report };
}

/**
 * The size in bytes a model (or some of its weights, HF layout) would take
 * in a sparse file, without writing it.
 *
 * @example sparseSize(prunedStudent, { dtype: "int8" }) / 2 ** 20; // MB
 */
export function sparseSize(model: PreTrainedModel | Weights, options: SparseOptions = {}): number {
  const { tensors, metadata } = encodeSparse(model instanceof Map ? model : model.stateDict(), options);
  return serializeSafetensors(tensors, metadata).byteLength;
}

/**
 * Reads a sparse file's weights as dense float32 arrays (HF layout), by name.
 *
 * @example readSparseWeights("outputs/pruned/model.sparse.safetensors").get("classifier.weight")!.shape; // [151, 256]
 */
export function readSparseWeights(file: string): Weights {
  if (!fs.existsSync(file)) throw new Error(`Sparse weights not found: ${file}`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  verifyFileChecksum(file, bytes);
  const { tensors, metadata } = parseSafetensors(bytes, file);
  return decodeSparse(tensors, metadata, file);
}

/**
 * Loads a folder written by `saveSparse` into a model of the class its
 * config names (all weights required).
 *
 * @example const model = loadSparse("outputs/pruned-90-sparse");
 */
export function loadSparse(dir: string): PreTrainedModel {
  const config = readConfig(dir);
  const model = createModelFromConfig(config);
  const file = path.join(dir, SPARSE_FILE);
  model.loadStateDict(readSparseWeights(file), { strict: true, source: file });
  return model;
}

registerModelKind({
  name: "sparse",
  matches: (dir) => fs.existsSync(path.join(dir, SPARSE_FILE)) && !fs.existsSync(path.join(dir, "model.safetensors")),
  load: (dir) => loadSparse(dir),
});
