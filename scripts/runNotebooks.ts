// npm run notebooks [-- files…] [--cell-timeout SECONDS]: runs the notebooks headless (see tools/notebook/runWorkbook.ts).
import * as path from "node:path";
import { cellTimeout, notebookArgs, projectNotebooks, runNotebooks } from "../tools/notebook/runWorkbook";

const args = notebookArgs();
const notebooks = args.length ? args.map((a) => path.resolve(a)) : projectNotebooks();
let timeout: number | null;
try {
  timeout = cellTimeout();
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  process.exit(1);
}
runNotebooks(notebooks, undefined, undefined, { timeout }).then(
  (runs) => {
    const total = runs.reduce((a, r) => a + r.seconds, 0);
    console.log(`${runs.filter((r) => r.ok).length}/${notebooks.length} notebooks ran in ${total.toFixed(0)} s`);
    process.exit(runs.every((r) => r.ok) && runs.length === notebooks.length ? 0 : 1);
  },
  (err) => {
    console.error(`✗ ${(err as Error).message}`);
    process.exit(1);
  },
);
