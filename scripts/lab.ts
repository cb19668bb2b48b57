// npm run lab: opens the notebooks in JupyterLab. Which one, said on the first
// line: a real jupyter-lab where it is installed (pip install jupyterlab);
// else the JupyterLab 3.6 frontend this project builds from the @jupyterlab
// npm packages, served by Debian's jupyter_server + jupyterlab_server
// (tools/jupyterlab/); else the classic Notebook; else what to install. The
// decision is made before anything is built. Jupyter opens lab/, working
// copies of notebooks/ (see tools/notebook/lab.ts): its autosave never writes
// outputs into the committed notebooks. WORKBOOK_LAB_DIR=other/folder works in
// another folder inside the project.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { findJupyter, INSTALL_HINTS } from "../tools/notebook/jupyter";
import { LAB_SERVE_SCRIPT, LAB_SERVER_HINT, labServerVersions } from "../tools/jupyterlab/server";

const apps = findJupyter();
const served = apps.lab ? undefined : labServerVersions();
const kind = apps.lab ? "jupyterlab" : typeof served === "object" ? "built" : apps.notebook ? "notebook" : undefined;
if (!kind) {
  console.error(`${INSTALL_HINTS.frontend}; or ${LAB_SERVER_HINT.replace(/^.*: /, "")} for this project's JupyterLab frontend`);
  process.exit(1);
}
if (kind === "jupyterlab") console.log(`Opening JupyterLab (${apps.lab})`);
else if (typeof served === "object") console.log(`Opening the JupyterLab 3.6 frontend built from the @jupyterlab npm packages, served by jupyter_server ${served.jupyterServer} + jupyterlab_server ${served.jupyterlabServer} (no jupyter-lab installed)`);
else console.log(`Opening the classic Jupyter Notebook (${apps.notebook}): no jupyter-lab, and ${served}`);

// Only now: compile lib/, link "workbook", register the kernel, seed lab/ (and build the frontend).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JUPYTER_PATH, ROOT, setupNotebooks } = require("../tools/notebook/setup") as typeof import("../tools/notebook/setup");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { describeLabSeed, labLaunch, seedLab } = require("../tools/notebook/lab") as typeof import("../tools/notebook/lab");

async function main(): Promise<void> {
  setupNotebooks();
  const seed = seedLab({ to: process.env.WORKBOOK_LAB_DIR || undefined });
  for (const line of describeLabSeed(seed)) console.log(line);
  let launch;
  if (kind === "built" && typeof served === "object") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildLabApp } = require("../tools/jupyterlab/build") as typeof import("../tools/jupyterlab/build");
    const build = await buildLabApp({ log: (l) => console.log(l) });
    launch = labLaunch(served.python, { dir: seed.dir, launcherArgs: [LAB_SERVE_SCRIPT], args: process.argv.slice(2), jupyterPath: JUPYTER_PATH });
    launch.env.WORKBOOK_LAB_APP_DIR = build.dir;
  } else {
    launch = labLaunch((apps.lab ?? apps.notebook)!, { dir: seed.dir, args: process.argv.slice(2), jupyterPath: JUPYTER_PATH });
  }
  const shown = launch.args.map((a) => (path.isAbsolute(a) ? path.relative(ROOT, a) : a));
  console.log(`Starting ${[path.basename(launch.command), ...shown].join(" ")} in ${path.relative(ROOT, launch.cwd)}/ (kernel "TypeScript")`);
  const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, stdio: "inherit" });
  // Ctrl-C reaches Jupyter too (same terminal): it asks to confirm and stops; we wait for it.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
