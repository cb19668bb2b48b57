// Programs found on PATH (no shell, no child process): the static chart renderer and the notebook tools look for Chromium here.
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The full path of an executable found on PATH, or undefined.
 *
 * @example which("jupyter-notebook"); // "/usr/bin/jupyter-notebook"
 */
export function which(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, command);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * The Chromium (or Chrome) binary on PATH (Debian: /usr/bin/chromium); used
 * only by the browser check.
 *
 * @example findChromiumBinary() ?? INSTALL_HINTS.chromium
 */
export function findChromiumBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return which("chromium", env) ?? which("chromium-browser", env) ?? which("google-chrome", env);
}
