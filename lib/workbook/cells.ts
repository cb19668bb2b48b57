// What a notebook cell owns, across its re-runs: re-running a cell that
// creates models frees the ones its previous run made (they would leak
// otherwise: tf.js weights are not garbage-collected), and only those.
import { logger } from "../utils/log";

/** Anything with a `dispose()` (a model, a pipeline, a compression manager). */
export interface CellResource {
  dispose(): unknown;
}

/** What each named cell scope holds, for the life of the kernel (this module is loaded once per kernel). */
const kept = new Map<string, CellResource[]>();

/** What `cellScope` returns: `keep(value)` records a value the cell owns and returns it. */
export interface CellScope {
  readonly name: string;
  keep<T extends CellResource>(value: T): T;
}

/**
 * Opens a cell's scope: first disposes what the previous run of the cell
 * kept under `name` (last kept, first disposed), then records what this run
 * keeps. Call it at the top of a cell that creates models later cells use,
 * so re-running the cell frees its earlier models before making new ones;
 * no other cell disposes them. A value that fails to dispose is logged, the
 * rest are still disposed.
 *
 * @example
 * const cell = cellScope("06: unpruned and magnitude");
 * const unpruned = cell.keep(AutoModelForSequenceClassification.fromPretrained(best.dir));
 * // re-running the cell disposes that `unpruned` first, then loads a new one
 */
export function cellScope(name: string): CellScope {
  if (typeof name !== "string" || !name.trim()) throw new Error(`cellScope: name must be a non-empty string, got ${JSON.stringify(name)}`);
  const previous = kept.get(name) ?? [];
  const values: CellResource[] = [];
  kept.set(name, values);
  for (const value of [...previous].reverse()) {
    try {
      value.dispose();
    } catch (err) {
      logger.warn(`cellScope("${name}"): disposing a value of the previous run failed: ${(err as Error).message}`);
    }
  }
  return {
    name,
    keep<T extends CellResource>(value: T): T {
      if (!value || typeof (value as CellResource).dispose !== "function") throw new Error(`cellScope("${name}").keep: expected something with a dispose() method, got ${value === null ? "null" : typeof value}`);
      if (!values.includes(value)) values.push(value);
      return value;
    },
  };
}
