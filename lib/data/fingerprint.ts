// What a dataset was read from: the sha256 of each file's bytes and the
// options that turned them into splits. Training reports record it, so a
// model trained on other data (an edited CSV, another folder with the same
// name) is never reused as if it were trained on these files.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** One data file as it was read. */
export interface DataFileFingerprint {
  /** The file's path when it was read (for messages; not compared). */
  path: string;
  sha256: string;
  bytes: number;
}

/** The files (by split) and loading options a dataset came from. */
export interface DataFingerprint {
  /** Split name ("train", "validation", "test"; "data" for CLINC150's one file) to its file. */
  files: Record<string, DataFileFingerprint>;
  /** Options that change the rows: columns, label order, validation fraction and seed. */
  options: Record<string, unknown>;
}

/**
 * A file's fingerprint, read in chunks (a large file is never held whole).
 *
 * @example fileFingerprint("data/my-shop/train.csv"); // { path: "data/my-shop/train.csv", sha256: "…", bytes: 1834 }
 */
export function fileFingerprint(file: string): DataFileFingerprint {
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; bytes += n) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return { path: path.resolve(file), sha256: hash.digest("hex"), bytes };
}

const sources = new WeakMap<object, DataFingerprint>();

/**
 * Records what a loaded dataset came from (the loaders call it), on the
 * object and on its `train` split, so a recipe given `{ ...data, test: subset }`
 * still finds it through `data.train` (while `{ ...data, train: other }` has none).
 *
 * @example attachDataFingerprint(data, { files: { train: fileFingerprint("train.csv"), test: fileFingerprint("test.csv") }, options: {} });
 */
export function attachDataFingerprint<T extends object>(data: T, fingerprint: DataFingerprint): T {
  sources.set(data, fingerprint);
  const train = (data as { train?: unknown }).train;
  if (train && typeof train === "object") sources.set(train, fingerprint);
  return data;
}

/**
 * The fingerprint of a dataset (or of its `train` split) from loadIntentDataset or loadClinc; undefined for data built in memory.
 *
 * @example
 * dataFingerprintOf(loadWorkbookData())?.files.train.sha256; // the sha256 of WORKBOOK_DATA's train.csv
 */
export function dataFingerprintOf(data: object | undefined): DataFingerprint | undefined {
  if (!data) return undefined;
  return sources.get(data) ?? sources.get((data as { train?: object }).train ?? {});
}

/**
 * Why data recorded in a training report differs from the data now: each
 * changed, added or removed file by name, and each changed option. Empty when they match.
 *
 * @example
 * dataFingerprintChanges(report.dataFingerprint, dataFingerprintOf(data)!); // ["train.csv changed (sha256 3f2a9c1b… → 77d0e4aa…, 1834 → 1840 bytes)"]
 */
export function dataFingerprintChanges(recorded: DataFingerprint, now: DataFingerprint): string[] {
  const changes: string[] = [];
  const name = (f: DataFileFingerprint) => path.basename(f.path);
  for (const split of new Set([...Object.keys(recorded.files ?? {}), ...Object.keys(now.files)])) {
    const a = recorded.files?.[split];
    const b = now.files[split];
    if (!a) changes.push(`${name(b)} is new (the model was trained without a ${split} file)`);
    else if (!b) changes.push(`${name(a)} is gone (the model was trained with it as the ${split} file)`);
    else if (a.sha256 !== b.sha256) changes.push(`${name(b)} changed (sha256 ${a.sha256.slice(0, 8)}… → ${b.sha256.slice(0, 8)}…, ${a.bytes} → ${b.bytes} bytes)`);
  }
  for (const key of new Set([...Object.keys(recorded.options ?? {}), ...Object.keys(now.options)])) {
    const a = JSON.stringify(recorded.options?.[key]);
    const b = JSON.stringify(now.options[key]);
    if (a !== b) changes.push(`option ${key} ${a ?? "unset"} → ${b ?? "unset"}`);
  }
  return changes;
}
