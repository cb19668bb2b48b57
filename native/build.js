#!/usr/bin/env node
// Builds native/build/workbook_native.node (see workbook_native.c) with the
// system C compiler against Node's headers and OpenBLAS. Optional: where a
// piece is missing it prints one line saying what, and training runs on the
// wasm kernels. Runs on `npm install` (postinstall) and `npm run build:native`.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const here = __dirname;
const out = path.join(here, "build", "workbook_native.node");
const strict = process.argv.includes("--strict");

function skip(why) {
  console.log(`workbook native kernels not built: ${why}. Training uses the wasm kernels (slower); see README "Backends and speed".`);
  process.exit(strict ? 1 : 0);
}

if (process.env.WORKBOOK_NATIVE === "0") skip("WORKBOOK_NATIVE=0");
if (process.platform !== "linux") skip(`built only on Linux (this is ${process.platform})`);
const cc = ["cc", "gcc", "clang"].find((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);
if (!cc) skip("no C compiler (sudo apt-get install gcc)");
const candidates = [path.join(path.dirname(process.execPath), "..", "include", "node"), "/usr/include/node", "/usr/local/include/node"];
const nodeInclude = candidates.find((d) => fs.existsSync(path.join(d, "node_api.h")));
if (!nodeInclude) skip("Node's headers (node_api.h) not found");
const blasHeader = ["/usr/include/x86_64-linux-gnu/cblas.h", "/usr/include/aarch64-linux-gnu/cblas.h", "/usr/include/cblas.h", "/usr/include/openblas/cblas.h"].find((f) => fs.existsSync(f));
if (!blasHeader) skip("OpenBLAS is not installed (sudo apt-get install libopenblas-dev)");

fs.mkdirSync(path.dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const common = ["-O3", "-march=native", "-fPIC", "-std=c11", "-fopenmp-simd", `-I${nodeInclude}`, `-I${path.dirname(blasHeader)}`];
const steps = [
  // The GELU loops alone get -ffast-math (vectorised expf); everything else keeps IEEE semantics.
  [...common, "-ffast-math", "-c", path.join(here, "gelu.c"), "-o", `${tmp}.gelu.o`],
  [...common, "-shared", path.join(here, "workbook_native.c"), `${tmp}.gelu.o`, "-o", tmp, "-lopenblas", "-lm"],
];
for (const args of steps) {
  const r = spawnSync(cc, args, { encoding: "utf8" });
  if (r.status !== 0) {
    for (const f of [tmp, `${tmp}.gelu.o`]) fs.rmSync(f, { force: true });
    skip(`${cc} failed: ${(r.stderr || "").trim().split("\n").slice(-3).join(" | ")}`);
  }
}
fs.rmSync(`${tmp}.gelu.o`, { force: true });
fs.renameSync(tmp, out);
console.log(`workbook native kernels built: ${path.relative(process.cwd(), out)} (${cc}, OpenBLAS)`);
