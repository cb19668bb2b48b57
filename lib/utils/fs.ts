import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Error codes of a full disk (ENOSPC) or an exhausted quota (EDQUOT). */
const DISK_FULL = new Set(["ENOSPC", "EDQUOT"]);

/**
 * An fs error as the caller should see it: a full disk or quota becomes
 * "disk full" naming the file (Node's own message names only the syscall);
 * anything else is returned unchanged. The original error is the `cause`,
 * and `code` is kept.
 *
 * @example
 * try { fs.writeFileSync(file, bytes); } catch (err) { throw explainWriteError(err, file, bytes.length); } // "disk full: could not write runs/x/model.safetensors (16.0 MB): ENOSPC: no space left on device, write"
 */
export function explainWriteError(err: unknown, file: string, bytes?: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !DISK_FULL.has(code)) return err;
  const size = bytes === undefined ? "" : bytes >= 2 ** 20 ? ` (${(bytes / 2 ** 20).toFixed(1)} MB)` : ` (${bytes} bytes)`;
  const what = code === "EDQUOT" ? "disk quota exceeded" : "disk full";
  return Object.assign(new Error(`${what}: could not write ${file}${size}: ${(err as Error).message}`, { cause: err }), { code, path: file });
}

/**
 * Writes a file atomically: the bytes go to a temp file beside the target,
 * then a rename replaces it, so a crash never leaves a half-written file.
 * On any error the temp file is removed; a full disk is an error that says
 * "disk full" and names the file.
 *
 * @example writeFileAtomic("out/config.json", JSON.stringify(cfg));
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw explainWriteError(err, file, typeof data === "string" ? Buffer.byteLength(data) : data.byteLength);
  }
}

/**
 * Writes pretty JSON atomically.
 *
 * @example
 * writeJsonAtomic("outputs/report/summary.json", { accuracy: 0.87 }); // pretty-printed, newline-terminated
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Reads a JSON file, naming the file in the error when it is missing or corrupt.
 *
 * @example
 * const config = readJson<{ id2label: Record<string, string> }>("outputs/model/config.json", "model config");
 * // a missing file throws "model config not found: outputs/model/config.json"
 */
export function readJson<T = unknown>(file: string, what = "JSON file"): T {
  if (!fs.existsSync(file)) throw new Error(`${what} not found: ${file}`);
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${file} (${(err as Error).message})`);
  }
}

/**
 * The SHA-256 of bytes or a string (UTF-8), as 64 lowercase hex digits.
 *
 * @example
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * A JSON file's object, or undefined when the file is absent, unreadable or
 * not an object: for optional records whose owner reports a broken file itself.
 *
 * @example readJsonObjectIfPresent("data/models/bert-clinc-teacher/config.json")?.model_type; // "bert"
 */
export function readJsonObjectIfPresent(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const value = JSON.parse(fs.readFileSync(file, "utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
