// Prepares the notebook runtime, once per checkout (npm run setup:notebooks):
//  1. compiles lib/ to dist/ (JavaScript + .d.ts);
//  2. links node_modules/workbook -> dist, so cells `import … from "workbook"`.
//     tslab compiles each cell with the notebook folder as TypeScript's
//     rootDir, so `import "../lib/x"` (a source file outside it) fails;
//     declaration files outside rootDir are fine, and this works the same in
//     JupyterLab and headless runs;
//  3. registers the tslab kernel into .jupyter/ (no global install, no
//     Python): Jupyter finds it through JUPYTER_PATH=.jupyter/share/jupyter.
//     Its binary is tools/notebook/tslabKernel.js, tslab with lossless
//     output (tslab alone drops lines when a cell prints fast).
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { installTslabKernelSpec } from "./kernelspec";

export const ROOT = path.resolve(__dirname, "..", "..");
export const JUPYTER_PATH = path.join(ROOT, ".jupyter", "share", "jupyter");

export function setupNotebooks(options: { quiet?: boolean } = {}): void {
  const log = (s: string) => options.quiet || console.log(s);
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
  fs.writeFileSync(path.join(ROOT, "dist", "package.json"), JSON.stringify({ name: "workbook", private: true, main: "index.js", types: "index.d.ts" }, null, 2));
  log("Compiled lib/ to dist/");
  const link = path.join(ROOT, "node_modules", "workbook");
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(path.join("..", "dist"), link, "dir");
  log("Linked node_modules/workbook -> dist");
  installTslabKernelSpec(path.join(ROOT, ".jupyter"), path.join(ROOT, "tools", "notebook", "tslabKernel.js"));
  log(`tslab kernel registered in ${JUPYTER_PATH} (export JUPYTER_PATH=${JUPYTER_PATH})`);
}
