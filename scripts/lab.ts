// npm run lab: opens the notebooks in JupyterLab where it is installed, else
// in the classic Notebook, else says what to install. The decision is a PATH
// lookup made before anything is built, so a machine without Jupyter hears
// it at once.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { findJupyter, INSTALL_HINTS } from "../tools/notebook/jupyter";

const apps = findJupyter();
const app = apps.lab ?? apps.notebook;
if (!app) {
  console.error(INSTALL_HINTS.frontend);
  process.exit(1);
}

// Only now: compile lib/, link "workbook", register the kernel.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JUPYTER_PATH, ROOT, setupNotebooks } = require("../tools/notebook/setup") as typeof import("../tools/notebook/setup");
setupNotebooks();
const jupyterPath = [JUPYTER_PATH, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
// Jupyter refuses to run as root without this flag (containers, CI machines).
const args = [...(process.getuid?.() === 0 ? ["--allow-root"] : []), ...process.argv.slice(2)];
console.log(`Starting ${[path.basename(app), ...args].join(" ")} in notebooks/ (kernel "TypeScript")`);
const child = spawn(app, args, { cwd: path.join(ROOT, "notebooks"), env: { ...process.env, JUPYTER_PATH: jupyterPath }, stdio: "inherit" });
// Ctrl-C reaches Jupyter too (same terminal): it asks to confirm and stops; we wait for it.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
