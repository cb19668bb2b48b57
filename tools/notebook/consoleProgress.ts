// What `npm start` and `npm run notebooks` show on the console while a
// notebook runs: which code cell is running, and the progress a cell prints
// (the Trainer's progress line and epoch table, HPO trials), as the Hugging
// Face Trainer shows them in a terminal. Everything else a cell prints stays
// in the executed notebook only.

/**
 * Lines worth a console: the Trainer's `[ 120/4770 01:02 < 40:10, Epoch
 * 0.13/5]`, its `***** Running training *****` banner, epoch table header and
 * rows, `Training finished …`, and Optuna-style `Trial N finished/pruned/failed`.
 *
 * @example isProgressLine("[ 12/300 00:10 < 04:00, Epoch 0.12/3]"); // true
 */
export function isProgressLine(line: string): boolean {
  return /^\[\s*\d+\/\d+ [\d:]+ < [\d:?]+, Epoch /.test(line)
    || /^\*{5} Running /.test(line)
    || /^Epoch\s+\| Training Loss/.test(line)
    || /^\d+(\.\d+)?\s+\| /.test(line)
    || /^Training finished /.test(line)
    || /^Trial \d+ (finished|pruned|failed)/.test(line);
}

/** Callbacks for NotebookClient's onCell / onStream that write the console lines. */
export interface ConsoleProgress {
  onCell(event: { codeCell: number; source: string }): void;
  onStream(event: { codeCell: number; name: "stdout" | "stderr"; text: string }): void;
}

/**
 * Console progress for one notebook of `codeCells` code cells: a line when
 * each cell starts (`  [3/20] const bertCkpt = await workbookTeacher();`),
 * with the time the previous one took when that was long, and each progress
 * line the cell prints, indented. Partial lines wait for their end.
 *
 * @example const progress = consoleProgress(20); new NotebookClient(nb, { onCell: progress.onCell, onStream: progress.onStream });
 */
export function consoleProgress(codeCells: number, write: (line: string) => void = (l) => console.log(l), now: () => number = Date.now): ConsoleProgress {
  let partial = "";
  let started = now();
  let current = 0;
  const took = () => {
    const s = (now() - started) / 1000;
    return current && s >= 10 ? ` (cell ${current} took ${s.toFixed(0)} s)` : "";
  };
  return {
    onCell({ codeCell, source }) {
      partial = "";
      const first = source.trim().split("\n")[0];
      const line = `  [${codeCell}/${codeCells}] ${first.length > 70 ? `${first.slice(0, 69)}…` : first}${took()}`;
      current = codeCell;
      started = now();
      write(line);
    },
    onStream({ text }) {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const l of lines) if (isProgressLine(l.trim())) write(`      ${l.trim()}`);
    },
  };
}
