import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend";

process.env.WORKBOOK_QUIET_BACKEND = "1";

/** The backend every test runs on (the project's default: tfjs-node or wasm). */
export const ready = initBackend({ quiet: true });

export const FIXTURES = path.resolve(__dirname, "..", "fixtures");

const made: string[] = [];
// Each test file runs in its own process: its temporary folders go when it exits.
process.on("exit", () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the OS temp directory, removed when the test process exits. */
export function tmpDir(prefix = "workbook-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Runs f with console.log silenced (training prints its progress). */
export async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
  }
}
