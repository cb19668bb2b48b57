// Stopping a run by signal. SIGINT (Ctrl-C), SIGTERM and SIGHUP run the
// registered cleanups, innermost (last registered) first and synchronously:
// the kernels are killed, the executed notebook is written with a marker on
// the interrupted cell, the report is marked incomplete; then the process
// exits with 128 + the signal's number. SIGKILL cannot be caught: the
// kernel's watchdog (kernelManager.ts) covers it.
import { logger } from "../../lib/utils/log";

/** The signals that stop a run (SIGHUP: the terminal closed). */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** Exit codes after a stop signal (128 + its number, as a shell reports it). */
export const STOP_EXIT_CODES: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** What a cleanup is told: the signal, and where the run stopped (set by the innermost cleanup that knows). */
export interface Interruption {
  signal: StopSignal;
  /** e.g. `03_quantization.ipynb, code cell 7 (const q = …)`. */
  where?: string;
}

type Cleanup = (stop: Interruption) => void;
const cleanups: Cleanup[] = [];
const SIGNALS = Object.keys(STOP_EXIT_CODES) as StopSignal[];
let stopping = false;

function onSignal(signal: StopSignal): void {
  if (stopping) return; // a second Ctrl-C while the first is handled
  stopping = true;
  const stop: Interruption = { signal };
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup(stop);
    } catch (err) {
      logger.error(`cleanup after ${signal} failed: ${(err as Error).message}`);
    }
  }
  process.exit(STOP_EXIT_CODES[signal]);
}

/**
 * Registers a synchronous cleanup to run if this process gets SIGINT,
 * SIGTERM or SIGHUP (innermost first), after which the process exits with
 * 130, 143 or 129. Returns the function that unregisters it; while no
 * cleanup is registered, the signals keep their default behaviour.
 *
 * @example
 * const dispose = onStop((stop) => writeNotebook(markInterrupted(nb, stop), output));
 * try { await client.execute(); } finally { dispose(); }
 */
export function onStop(cleanup: Cleanup): () => void {
  if (cleanups.length === 0) for (const s of SIGNALS) process.on(s, onSignal);
  cleanups.push(cleanup);
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    const i = cleanups.indexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
    if (cleanups.length === 0) for (const s of SIGNALS) process.off(s, onSignal);
  };
}
