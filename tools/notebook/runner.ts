// Runs notebook files headless: read, execute in a fresh kernel, write the
// executed copy (also when a cell fails, so the error can be read there).
import * as path from "node:path";
import { readNotebook, writeNotebook } from "./nbformat";
import { CellError, NotebookClient, NotebookClientOptions } from "./notebookClient";
import { onStop } from "./signals";

/** What one notebook run did. */
export interface NotebookRun {
  notebook: string;
  output: string;
  seconds: number;
  ok: boolean;
  /** The failing cell, named (`<notebook>, code cell <n> (<first line>): <reason>`). */
  error?: string;
  /** Kernel startup, cells and shutdown, in ms. */
  timings: { startup: number; cells: number; shutdown: number };
  /** The kernel's process id (gone when this returns). */
  kernelPid?: number;
}

/**
 * Executes `input` in a new kernel started in the notebook's folder and
 * writes the executed notebook to `output` (atomically, mode 0644); the
 * source is never modified. A failing cell ends the run with `ok: false` and
 * its `error`; other failures (no kernel spec, unreadable notebook) throw.
 * If this process gets SIGINT, SIGTERM or SIGHUP meanwhile, the kernel is
 * killed and the notebook is still written: the cells that ran, and an
 * error output `RunInterrupted` on the one that was running.
 *
 * @example
 * const run = await executeNotebookFile("notebooks/01_baseline.ipynb", "outputs/notebooks/01_baseline.ipynb", { env: { WORKBOOK_PROFILE: "smoke" } });
 * if (!run.ok) console.error(`FAILED ${run.error}`);
 */
export async function executeNotebookFile(input: string, output: string, options: NotebookClientOptions = {}): Promise<NotebookRun> {
  const nb = readNotebook(input);
  const client = new NotebookClient(nb, { notebookName: path.basename(input), cwd: path.dirname(path.resolve(input)), ...options });
  const start = Date.now();
  let error: string | undefined;
  // Stopped by a signal (the kernel is killed first): write what ran, with the interrupted cell marked.
  const dispose = onStop((stop) => {
    const where = client.markInterrupted(`the run was stopped by ${stop.signal} while this cell ran`);
    stop.where ??= where;
    writeNotebook(nb, output);
  });
  try {
    await client.execute();
  } catch (err) {
    if (!(err instanceof CellError)) throw err;
    error = err.message;
  } finally {
    dispose();
    writeNotebook(nb, output);
  }
  return { notebook: input, output, seconds: (Date.now() - start) / 1000, ok: !error, error, timings: { ...client.timings }, kernelPid: client.km?.pid };
}
