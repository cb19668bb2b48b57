// npm run lab: opens the notebooks in JupyterLab where it is installed, else
// in the classic Notebook, else says what to install. The decision is a PATH
// lookup made before anything is built, so a machine without Jupyter hears
// it at once. Jupyter opens lab/, working copies of notebooks/ (see
// tools/notebook/lab.ts): its autosave never writes outputs into the
// committed notebooks. WORKBOOK_LAB_DIR=other/folder works in another folder
// inside the project.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { findJupyter, INSTALL_HINTS } from "../tools/notebook/jupyter";

const apps = findJupyter();
const app = apps.lab ?? apps.notebook;
if (!app) {
  console.error(INSTALL_HINTS.frontend);
  process.exit(1);
}

// Only now: compile lib/, link "workbook", register the kernel, seed lab/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JUPYTER_PATH, ROOT, setupNotebooks } = require("../tools/notebook/setup") as typeof import("../tools/notebook/setup");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { describeLabSeed, labLaunch, seedLab } = require("../tools/notebook/lab") as typeof import("../tools/notebook/lab");
setupNotebooks();
const seed = seedLab({ to: process.env.WORKBOOK_LAB_DIR || undefined });
for (const line of describeLabSeed(seed)) console.log(line);
const launch = labLaunch(app, { dir: seed.dir, args: process.argv.slice(2), jupyterPath: JUPYTER_PATH });
console.log(`Starting ${[path.basename(launch.command), ...launch.args].join(" ")} in ${path.relative(ROOT, launch.cwd)}/ (kernel "TypeScript")`);
const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, stdio: "inherit" });
// Ctrl-C reaches Jupyter too (same terminal): it asks to confirm and stops; we wait for it.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
