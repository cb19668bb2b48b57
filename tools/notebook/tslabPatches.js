// Source patches for tslab's TypeScript converter, applied by tslabKernel.js
// when Node loads tslab/dist/converter.js.
//
// The converter keeps TypeScript's watch timer in one slot: it throws
// "Unexpected pending rebuildTimer" when a second is set, and clears the slot
// only after a rebuild returns. A rebuild that throws (or a file watcher that
// schedules one between cells) leaves the slot full, and from then on every
// cell of the session fails with that message (seen once re-running notebook
// 01's cells in the browser under load). Patched: the slot is emptied before
// the rebuild runs, and a newer timer replaces a pending one (it is the same
// TypeScript rebuild, and the converter runs it at once).
"use strict";

const PATCHES = [
  {
    name: "a newer rebuild timer replaces a pending one",
    from: /if \(rebuildTimer\) \{\s*throw new Error\("Unexpected pending rebuildTimer"\);\s*\}/,
    to: "/* workbook: a newer timer replaces a pending one (tools/notebook/tslabPatches.js) */",
  },
  {
    name: "the timer slot is emptied before the rebuild runs",
    from: /callback: \(\) => \{\s*callback\(\);\s*rebuildTimer = null;\s*\}/,
    to: "callback: () => { rebuildTimer = null; callback(); }",
  },
];

/**
 * The converter's source with the patches applied, and which applied (a
 * tslab release that changed this code applies none; the kernel then runs
 * unpatched and says so).
 *
 * @example const { source, missing } = patchConverterSource(fs.readFileSync(converterFile, "utf8"));
 */
function patchConverterSource(source) {
  const missing = [];
  for (const p of PATCHES) {
    if (p.from.test(source)) source = source.replace(p.from, p.to);
    else missing.push(p.name);
  }
  return { source, missing };
}

module.exports = { patchConverterSource, PATCHES };
