import * as path from "node:path";
import type { KernelSpec } from "../../tools/notebook/kernelspec";

const ROOT = path.resolve(__dirname, "..", "..");

/** The tslab kernel as npm run setup:notebooks registers it: through its lossless-output launcher. */
export const TSLAB_SPEC: KernelSpec = {
  name: "tslab",
  argv: [path.join(ROOT, "tools", "notebook", "tslabKernel.js"), "kernel", "--config-path", "{connection_file}"],
  display_name: "TypeScript",
  language: "typescript",
  interrupt_mode: "signal",
  env: {},
  metadata: {},
  resourceDir: ROOT,
};
