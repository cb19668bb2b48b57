// What a model folder records about itself in config.json, so that a folder
// is consistent or refused: the SHA-256 of each weight file the project
// writes (`checksums`: a flipped byte is an error, not a changed prediction)
// and the tokenizer the model needs (`tokenizer_fingerprint`, see
// lib/tokenizers/fingerprint.ts). The records describe the files of one
// folder, not the model: loaders drop them from the config they return, and
// every writer computes them afresh. Folders without them (written before
// them, or by Hugging Face) load as before.
import * as fs from "node:fs";
import * as path from "node:path";
import { TOKENIZER_FINGERPRINT_FIELD, folderTokenizerFingerprint } from "../tokenizers/fingerprint";
import { sha256Hex, writeJsonAtomic, readJsonObjectIfPresent } from "../utils/fs";

/**
 * The config.json field holding `{ file: { sha256, bytes } }` for the weight
 * files of the folder (paths relative to it).
 *
 * @example
 * config[CHECKSUMS_FIELD]; // { "model.safetensors": { sha256: "…", bytes: 16752268 } }
 */
export const CHECKSUMS_FIELD = "checksums";

/** A file's SHA-256 (64 lowercase hex digits) and size in bytes. */
export interface FileChecksum {
  sha256: string;
  bytes: number;
}

/**
 * The checksum of a file's bytes.
 *
 * @example
 * fileChecksum(fs.readFileSync("data/models/bow-clinc/model.safetensors")); // { sha256: "…", bytes: 12212040 }
 */
export function fileChecksum(bytes: Uint8Array): FileChecksum {
  return { sha256: sha256Hex(bytes), bytes: bytes.byteLength };
}

/** A folder's config.json as an object, or undefined when absent or unreadable (the config's loader reports that). */
const readConfigObject = readJsonObjectIfPresent;

function isChecksum(v: unknown): v is FileChecksum {
  const c = v as FileChecksum;
  return !!c && typeof c === "object" && typeof c.sha256 === "string" && /^[0-9a-f]{64}$/.test(c.sha256) && Number.isInteger(c.bytes) && c.bytes >= 0;
}

/** A file's key in config.json's checksums: its path from the model folder, with "/" (e.g. "onnx/model.onnx"). */
function recordName(file: string, folder: string): string {
  return path.relative(folder, file).split(path.sep).join("/");
}

/**
 * The checksum config.json records for a file of its folder (beside it, or
 * below it: `folder` is the model folder, default the file's own), or
 * undefined when it records none. A malformed record is an error naming config.json.
 *
 * @example
 * recordedChecksum("data/models/bert-clinc-teacher/model.safetensors"); // { sha256: "…", bytes: 16752268 }
 */
export function recordedChecksum(file: string, folder = path.dirname(file)): FileChecksum | undefined {
  const configFile = path.join(folder, "config.json");
  const records = readConfigObject(configFile)?.[CHECKSUMS_FIELD];
  if (records === undefined) return undefined;
  if (!records || typeof records !== "object" || Array.isArray(records)) throw new Error(`${configFile}: ${CHECKSUMS_FIELD} must be an object { file: { sha256, bytes } }, got ${JSON.stringify(records)}`);
  const name = recordName(file, folder);
  const record = (records as Record<string, unknown>)[name];
  if (record === undefined) return undefined;
  if (!isChecksum(record)) throw new Error(`${configFile}: ${CHECKSUMS_FIELD}["${name}"] must be { sha256: 64 hex digits, bytes: an integer }, got ${JSON.stringify(record)}`);
  return record;
}

/**
 * Checks a file's bytes against the checksum its folder's config.json
 * records (nothing to check when it records none): any other bytes are an
 * error naming the file.
 *
 * @example
 * verifyFileChecksum(file, new Uint8Array(fs.readFileSync(file))); // Error: …/model.safetensors does not match its recorded sha256 …: the file changed after it was written
 */
export function verifyFileChecksum(file: string, bytes: Uint8Array, folder = path.dirname(file)): void {
  const recorded = recordedChecksum(file, folder);
  if (!recorded) return;
  const actual = fileChecksum(bytes);
  if (actual.sha256 === recorded.sha256 && actual.bytes === recorded.bytes) return;
  const configFile = path.join(folder, "config.json");
  throw new Error(
    `${file} does not match its recorded sha256 in ${configFile} (recorded ${recorded.sha256.slice(0, 16)}…, ${recorded.bytes} bytes; the file has ${actual.sha256.slice(0, 16)}…, ${actual.bytes} bytes): ` +
      `the file changed after it was written (a damaged copy or download, or an edit outside the workbook); restore the folder, or save the model again with savePretrained`,
  );
}

/**
 * After the workbook rewrites a file of a model folder (writeSafetensors):
 * records its new checksum in the folder's config.json, so a file the
 * project writes always carries one. A folder without a model config.json
 * (no `model_type`) is left alone.
 *
 * @example
 * recordFileChecksum("runs/x/checkpoint-2/optimizer.safetensors", bytes);
 */
export function recordFileChecksum(file: string, bytes: Uint8Array, folder = path.dirname(file)): void {
  const configFile = path.join(folder, "config.json");
  const config = readConfigObject(configFile);
  if (!config || typeof config.model_type !== "string") return;
  const old = config[CHECKSUMS_FIELD];
  const records = old && typeof old === "object" && !Array.isArray(old) ? (old as Record<string, unknown>) : {};
  writeJsonAtomic(configFile, { ...config, [CHECKSUMS_FIELD]: { ...records, [recordName(file, folder)]: fileChecksum(bytes) } });
}

/**
 * A config without the folder's records (checksums, tokenizer fingerprint):
 * what a loaded model keeps, so a config copied into another folder never
 * carries records of files it does not describe.
 *
 * @example
 * withoutFolderRecords(readJson("data/models/bow-clinc/config.json")); // the config, minus checksums and tokenizer_fingerprint
 */
export function withoutFolderRecords<T extends object>(config: T): T {
  if (!config || typeof config !== "object" || !(CHECKSUMS_FIELD in config || TOKENIZER_FINGERPRINT_FIELD in config)) return config;
  const { [CHECKSUMS_FIELD]: _c, [TOKENIZER_FINGERPRINT_FIELD]: _t, ...rest } = config as Record<string, unknown>;
  return rest as T;
}

/**
 * The config.json a writer saves in a folder: the config without stale
 * records, plus the checksums of the files just written and the fingerprint
 * of the folder's tokenizer.json when it has one (`BertTokenizer.savePretrained`
 * records its own when it is saved after the model).
 *
 * @example
 * writeJsonAtomic(path.join(dir, "config.json"), configWithRecords(dir, config, { "model.safetensors": bytes }));
 */
export function configWithRecords(dir: string, config: object, files: Record<string, Uint8Array>): object {
  const fingerprint = folderTokenizerFingerprint(dir);
  const checksums = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, fileChecksum(bytes)]));
  return {
    ...withoutFolderRecords(config),
    ...(fingerprint ? { [TOKENIZER_FINGERPRINT_FIELD]: fingerprint } : {}),
    ...(Object.keys(checksums).length ? { [CHECKSUMS_FIELD]: checksums } : {}),
  };
}

/** The weight files a model folder may hold, by their path in it: each gets a checksum. */
const RECORDED_FILES = ["model.safetensors", "model.sparse.safetensors", "model.onnx", "onnx/model.onnx", "onnx/model_quantized.onnx"] as const;

/** What `addFolderRecords` recorded for a folder. */
export interface FolderRecords {
  dir: string;
  checksums: Record<string, FileChecksum>;
  tokenizer_fingerprint?: { vocab_size: number; sha256: string };
  /** Whether config.json was rewritten (false: it already held these records). */
  changed: boolean;
}

/**
 * Adds the records to a model folder written before them (a shipped folder,
 * say) without touching any other file: the checksum of model.safetensors
 * (and of its sparse and ONNX files) and the fingerprint of tokenizer.json, in config.json. A record already
 * there must still hold (a file that no longer matches its record is an
 * error, not re-blessed), and the tokenizer must fit the model (no more
 * tokens than config.json's `vocab_size`). An ensemble's members get theirs
 * first.
 *
 * @example
 * addFolderRecords("data/models/bert-clinc-teacher"); // { checksums: { "model.safetensors": { sha256: "…", bytes: 16752268 } }, tokenizer_fingerprint: { vocab_size: 3535, sha256: "…" }, changed: true }
 */
export function addFolderRecords(dir: string): FolderRecords {
  const configFile = path.join(dir, "config.json");
  const config = readConfigObject(configFile);
  if (!config || typeof config.model_type !== "string") throw new Error(`addFolderRecords: ${configFile} is missing or not a model config (no model_type)`);
  if (config.model_type === "ensemble" && Array.isArray(config.members)) for (const m of config.members) addFolderRecords(path.join(dir, String(m)));
  const checksums: Record<string, FileChecksum> = {};
  for (const name of RECORDED_FILES) {
    const file = path.join(dir, ...name.split("/"));
    if (!fs.existsSync(file)) continue;
    const bytes = new Uint8Array(fs.readFileSync(file));
    verifyFileChecksum(file, bytes, dir);
    checksums[name] = fileChecksum(bytes);
  }
  const fingerprint = folderTokenizerFingerprint(dir);
  if (fs.existsSync(path.join(dir, "tokenizer.json")) && !fingerprint) throw new Error(`addFolderRecords: ${path.join(dir, "tokenizer.json")} is not a WordPiece tokenizer; load it with BertTokenizer.fromPretrained to see why`);
  if (fingerprint) {
    const recorded = config[TOKENIZER_FINGERPRINT_FIELD] as FolderRecords["tokenizer_fingerprint"];
    if (recorded && (recorded.sha256 !== fingerprint.sha256 || recorded.vocab_size !== fingerprint.vocab_size)) {
      throw new Error(`addFolderRecords: ${path.join(dir, "tokenizer.json")} (${fingerprint.vocab_size} tokens) is not the tokenizer ${configFile} records (${recorded.vocab_size} tokens); put the model's own tokenizer back first`);
    }
    const vocabSize = config.vocab_size;
    if (typeof vocabSize === "number" && fingerprint.vocab_size > vocabSize) {
      throw new Error(`addFolderRecords: ${path.join(dir, "tokenizer.json")} has ${fingerprint.vocab_size} tokens but ${configFile} has vocab_size ${vocabSize}: it cannot be this model's tokenizer`);
    }
  }
  const next = {
    ...config,
    ...(fingerprint ? { [TOKENIZER_FINGERPRINT_FIELD]: fingerprint } : {}),
    ...(Object.keys(checksums).length ? { [CHECKSUMS_FIELD]: { ...((config[CHECKSUMS_FIELD] as object) ?? {}), ...checksums } } : {}),
  };
  const changed = JSON.stringify(next) !== JSON.stringify(config);
  if (changed) writeJsonAtomic(configFile, next);
  return { dir, checksums, ...(fingerprint ? { tokenizer_fingerprint: fingerprint } : {}), changed };
}

// Which folder a loaded config came from, without a field in the config
// (which would be saved into the next folder): what lets a pipeline built
// from `model.config` find files saved beside it (the out-of-scope detector).
const configFolders = new WeakMap<object, string>();

/**
 * Marks a config object as read from `dir` (loaders call it); returns the config.
 *
 * @example
 * const config = rememberConfigFolder(withoutFolderRecords(readJson(file)), dir);
 */
export function rememberConfigFolder<T extends object>(config: T, dir: string): T {
  if (config && typeof config === "object") configFolders.set(config, dir);
  return config;
}

/**
 * The folder a config object was loaded from, if it was loaded from one.
 *
 * @example
 * configFolder(AutoModelForSequenceClassification.fromPretrained("data/models/bow-clinc").config); // "data/models/bow-clinc"
 * configFolder({ model_type: "bert" }); // undefined
 */
export function configFolder(config: object | undefined): string | undefined {
  return config && typeof config === "object" ? configFolders.get(config) : undefined;
}
