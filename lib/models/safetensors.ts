// The safetensors format: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}}, then the raw little-endian
// tensor bytes. Written here so checkpoints use Hugging Face's format.
import * as fs from "node:fs";
import * as path from "node:path";
import { configWithRecords, recordFileChecksum, verifyFileChecksum } from "./folder";
import { writeFileAtomic, writeJsonAtomic } from "../utils/fs";

export type SafeDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export type SafeData = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** F16 and BF16 are raw Uint16Array bits; use `toFloat32` for numbers. */
  data: SafeData;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

function viewOf(dtype: SafeDType, buf: ArrayBuffer, offset: number, count: number): SafeData {
  switch (dtype) {
    case "F64": return new Float64Array(buf, offset, count);
    case "F32": return new Float32Array(buf, offset, count);
    case "F16":
    case "BF16": return new Uint16Array(buf, offset, count);
    case "I64": return new BigInt64Array(buf, offset, count);
    case "I32": return new Int32Array(buf, offset, count);
    case "I16": return new Int16Array(buf, offset, count);
    case "I8": return new Int8Array(buf, offset, count);
    case "U8":
    case "BOOL": return new Uint8Array(buf, offset, count);
  }
}

/**
 * Parses safetensors bytes, validating the header against the data.
 *
 * @example
 * const { tensors } = parseSafetensors(serializeSafetensors({ w: { dtype: "F32", shape: [2], data: Float32Array.of(1, 2) } }));
 * tensors.get("w"); // { dtype: "F32", shape: [2], data: Float32Array [1, 2] }
 */
export function parseSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsFile {
  const bad = (why: string) => new Error(`Corrupt safetensors file ${source}: ${why}`);
  if (bytes.byteLength < 8) throw bad(`only ${bytes.byteLength} bytes, no header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) throw bad(`header length ${headerLen} exceeds the file size ${bytes.byteLength}`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    throw bad(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) throw bad("header is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  // Copy the data section so typed views are aligned and the file buffer can go.
  const data = new Uint8Array(dataLen);
  data.set(bytes.subarray(dataStart));
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = info ?? {};
      continue;
    }
    const dtype = info?.dtype as SafeDType;
    if (!(dtype in BYTES)) throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(info?.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.some((d: unknown) => !Number.isInteger(d) || (d as number) < 0)) throw bad(`tensor "${name}" has an invalid shape`);
    const [begin, end] = info.data_offsets ?? [];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > dataLen) {
      throw bad(`tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data section`);
    }
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      throw bad(`tensor "${name}" needs ${count * BYTES[dtype]} bytes for ${dtype}[${shape}] but has ${end - begin}`);
    }
    const aligned = new Uint8Array(end - begin);
    aligned.set(data.subarray(begin, end));
    tensors.set(name, { dtype, shape: [...shape], data: viewOf(dtype, aligned.buffer, 0, count) });
  }
  return { tensors, metadata };
}

/**
 * Reads a `.safetensors` file, naming it in any error. When the config.json
 * beside it records the file's checksum (every folder the workbook writes),
 * the bytes must match it: a file changed after it was written is an error,
 * not different weights. (A structurally broken file gets the more specific
 * "Corrupt safetensors file" error first.)
 *
 * @example
 * const { tensors, metadata } = readSafetensors("data/models/bert-clinc-teacher/model.safetensors");
 * metadata; // { format: "pt" }
 */
export function readSafetensors(file: string): SafetensorsFile {
  if (!fs.existsSync(file)) throw new Error(`safetensors file not found: ${file}`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  const parsed = parseSafetensors(bytes, file);
  verifyFileChecksum(file, bytes);
  return parsed;
}

/**
 * Serialises tensors (sorted by name) with optional string metadata.
 *
 * @example
 * const bytes = serializeSafetensors({ "classifier.bias": { dtype: "F32", shape: [2], data: Float32Array.of(0.5, -1) } }, { format: "pt" });
 * parseSafetensors(bytes).metadata; // { format: "pt" }
 */
export function serializeSafetensors(tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) throw new Error(`serializeSafetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    const n = count * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (headerBytes.length % 8)) % 8; // keep the data 8-byte aligned
  if (pad) headerBytes = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/**
 * Writes a `.safetensors` file atomically. In a model folder (a config.json
 * with a `model_type` beside it) the file's new checksum is recorded in
 * config.json, so `readSafetensors` can tell it from a damaged copy.
 *
 * @example
 * writeSafetensors("outputs/weights.safetensors", { "classifier.bias": { dtype: "F32", shape: [2], data: Float32Array.of(0.5, -1) } }, { format: "pt" });
 */
export function writeSafetensors(file: string, tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata?: Record<string, string>): void {
  const bytes = serializeSafetensors(tensors, metadata);
  writeFileAtomic(file, bytes);
  recordFileChecksum(file, bytes);
}

/**
 * Writes a model folder's weights and config: `model.safetensors` (the
 * tensors as given), then `config.json` with the folder's records (the
 * checksum of model.safetensors; the fingerprint of a tokenizer.json already
 * in the folder), each atomically. The float models' `savePretrained` use it
 * through `writePretrainedFolder`; other float or integer layouts (a
 * quantized model) may call it directly.
 *
 * @example
 * writeModelFolder("outputs/models/int8", tensors, { format: "pt", quantization: "dynamic_qint8" }, { ...config, quantization_config });
 */
export function writeModelFolder(dir: string, tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata: Record<string, string> | undefined, config: object): void {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = serializeSafetensors(tensors, metadata);
  writeFileAtomic(path.join(dir, "model.safetensors"), bytes);
  writeJsonAtomic(path.join(dir, "config.json"), configWithRecords(dir, config, { "model.safetensors": bytes }));
}

/**
 * A model folder as `savePretrained` writes it: `model.safetensors` (float32,
 * PyTorch's metadata) and `config.json` carrying its checksum (and the
 * tokenizer fingerprint when the folder already holds a tokenizer.json), each
 * atomically. See `writeModelFolder`.
 *
 * @example
 * writePretrainedFolder("outputs/models/my-student", student.stateDict(), student.config); // what student.savePretrained(…) does
 */
export function writePretrainedFolder(dir: string, stateDict: Iterable<[string, { shape: number[]; data: Float32Array }]>, config: object): void {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of stateDict) tensors.set(name, { dtype: "F32", shape: t.shape, data: t.data });
  writeModelFolder(dir, tensors, { format: "pt" }, config);
}

/** The float dtypes a float model's weights may be stored in. */
const FLOAT_DTYPES: readonly SafeDType[] = ["F32", "F16", "BF16", "F64"];

/**
 * A tensor a float model reads as weights, as Float32Array. A float dtype
 * (F32, F16, BF16, F64) is decoded; an integer or boolean dtype is an error
 * naming the tensor, its dtype and the file: its integer values read as
 * weights would be silently wrong numbers (a header edited from F32 to I32
 * keeps the size and loads the float bits as integers).
 *
 * @example
 * floatWeights(tensors.get("classifier.weight")!, "classifier.weight", "model.safetensors"); // Float32Array
 * // dtype I32: Error: model.safetensors: tensor "classifier.weight" is stored as I32, not a float type; …
 */
export function floatWeights(t: SafeTensor, name: string, source: string): Float32Array {
  if (!FLOAT_DTYPES.includes(t.dtype)) {
    throw new Error(
      `${source}: tensor "${name}" is stored as ${t.dtype}, not a float type; the model reads its weights as floats (${FLOAT_DTYPES.join(", ")}), and ${t.dtype} values read as weights would be wrong numbers. ` +
        `The file's header was changed, or it holds quantized weights (a dynamically quantized folder loads with DynamicQuantizedModel or pipeline(…, { dtype: "q8" }))`,
    );
  }
  return toFloat32(t);
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Any numeric safetensors tensor as Float32Array (F16/BF16 decoded).
 *
 * @example
 * toFloat32({ dtype: "F16", shape: [1], data: Uint16Array.of(0x3c00) }); // Float32Array [1]
 */
export function toFloat32(t: SafeTensor): Float32Array {
  switch (t.dtype) {
    case "F32": return t.data as Float32Array;
    case "BF16": {
      const u = new Uint32Array(t.data.length);
      (t.data as Uint16Array).forEach((v, i) => (u[i] = v << 16));
      return new Float32Array(u.buffer);
    }
    case "F16": return Float32Array.from(t.data as Uint16Array, f16ToF32);
    case "I64": return Float32Array.from(t.data as BigInt64Array, (v) => Number(v));
    default: return Float32Array.from(t.data as ArrayLike<number>);
  }
}
