// Re-runs a notebook's cells as a user does after Run All: every code cell
// once more, in order, in the same kernel, then some out of order. A cell
// that disposes what another cell needs fails there.
import * as path from "node:path";
import { readNotebook, writeNotebook } from "./nbformat";
import { NotebookClient, NotebookClientOptions } from "./notebookClient";

/** What a re-run found. */
export interface RerunReport {
  notebook: string;
  /** Code cells in the notebook. */
  codeCells: number;
  /** The code cells run, in order: Run All, Run All again, then `outOfOrder`. */
  plan: number[];
  /** Failures of the first Run All (`<notebook>, code cell <n> (<first line>): <reason>`). */
  runAllErrors: string[];
  /** Failures after it: the second pass and the out-of-order cells. */
  rerunErrors: string[];
  seconds: number;
}

/**
 * Executes `input` in one kernel: every code cell in order, every code cell
 * once more, then the code cells `outOfOrder` (numbers from 1; negative ones
 * count from the end, -1 is the last), going on after a failing cell. The
 * executed notebook (the last outputs of each cell) goes to `output` when
 * given.
 *
 * @example
 * const r = await rerunNotebookFile("notebooks/06_pruning.ipynb", { outOfOrder: [-1, 8, 10], env: { WORKBOOK_PROFILE: "smoke", JUPYTER_PATH } });
 * r.rerunErrors; // []
 */
export async function rerunNotebookFile(input: string, options: NotebookClientOptions & { outOfOrder?: number[]; output?: string } = {}): Promise<RerunReport> {
  const { outOfOrder = [], output, ...clientOptions } = options;
  const nb = readNotebook(input);
  const codeCells = nb.cells.filter((c) => c.cell_type === "code").length;
  const all = Array.from({ length: codeCells }, (_, k) => k + 1);
  const plan = [...all, ...all, ...outOfOrder.map((n) => (n < 0 ? codeCells + 1 + n : n))];
  const client = new NotebookClient(nb, { notebookName: path.basename(input), cwd: path.dirname(path.resolve(input)), ...clientOptions });
  const start = Date.now();
  try {
    await client.execute({ cells: plan, allowErrors: true });
  } finally {
    if (output) writeNotebook(nb, output);
  }
  const messages = (from: number, to: number) => client.errors.filter((e) => e.step >= from && e.step < to).map((e) => e.error.message);
  return { notebook: input, codeCells, plan, runAllErrors: messages(0, codeCells), rerunErrors: messages(codeCells, plan.length), seconds: (Date.now() - start) / 1000 };
}
