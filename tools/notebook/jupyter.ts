// Which Jupyter front ends and tools are installed, found on PATH without
// starting Python (so the answer takes milliseconds), and the one line that
// tells the user what to install when one is missing.
import * as fs from "node:fs";
import * as path from "node:path";
import { findChromiumBinary, which } from "../../lib/utils/which";
export { findChromiumBinary, which } from "../../lib/utils/which";

/** The Jupyter programs the workbook can use. */
export type JupyterApp = "lab" | "notebook" | "nbconvert";

const COMMANDS: Record<JupyterApp, string> = { lab: "jupyter-lab", notebook: "jupyter-notebook", nbconvert: "jupyter-nbconvert" };

/** What to install for each, on Debian (and with pip where that is the way). */
export const INSTALL_HINTS = {
  lab: "JupyterLab is not installed: pip install jupyterlab (or sudo apt-get install jupyter-notebook for the classic Notebook)",
  notebook: "Jupyter Notebook is not installed: sudo apt-get install jupyter-notebook python3-ipykernel",
  nbconvert: "jupyter nbconvert is not installed: sudo apt-get install jupyter-nbconvert python3-ipykernel",
  frontend: "Neither JupyterLab nor the classic Jupyter Notebook is installed: sudo apt-get install jupyter-notebook python3-ipykernel (Debian), or pip install jupyterlab",
  chromium: "Chromium is not installed: sudo apt-get install chromium",
} as const;


/**
 * The installed Jupyter programs (`jupyter lab` is `jupyter-lab` on PATH, and
 * so on), each as its path.
 *
 * @example findJupyter().notebook ?? INSTALL_HINTS.notebook
 */
export function findJupyter(env: NodeJS.ProcessEnv = process.env): Partial<Record<JupyterApp, string>> {
  const found: Partial<Record<JupyterApp, string>> = {};
  for (const [app, cmd] of Object.entries(COMMANDS) as [JupyterApp, string][]) {
    const at = which(cmd, env);
    if (at) found[app] = at;
  }
  return found;
}

