// Source patches for tslab's TypeScript converter, applied by tslabKernel.js
// when Node loads tslab/dist/converter.js.
//
// The converter gives TypeScript's watch program a fake timer API with one
// slot: a second timer throws "Unexpected pending rebuildTimer", clearing any
// other throws "clearing unexpected tiemr", and a rebuild that throws leaves
// the slot full. But TypeScript keeps two timers (the program update, and the
// invalidation of failed module lookups that a file watcher schedules when
// something appears in a watched folder, e.g. Jupyter saving beside the
// notebook), so from the first such event every cell of the session failed
// (seen re-running notebooks in the browser). Patched: any number of pending
// timers, each removed before it runs; clearing an unknown one is a no-op; a
// cell's conversion runs every pending timer in order.
"use strict";

const SLOT = /let rebuildTimer = null;\s*sys\.setTimeout = \(callback\) => \{[\s\S]*?\n    sys\.readFile = function/;
const SLOT_PATCHED = `let pendingTimers = []; /* workbook: tools/notebook/tslabPatches.js */
    const dropTimer = (timer) => {
        pendingTimers = pendingTimers.filter((t) => t !== timer);
    };
    sys.setTimeout = (callback) => {
        const timer = {
            callback: () => {
                dropTimer(timer);
                callback();
            },
        };
        pendingTimers.push(timer);
        return timer;
    };
    sys.clearTimeout = (timer) => dropTimer(timer);
    const runPendingTimers = () => {
        while (pendingTimers.length) pendingTimers[0].callback();
    };
    sys.readFile = function`;

// Both places that run the rebuild (a cell's conversion, and adding a root file), each with its comment if any.
const RUN = /if \(!rebuildTimer\) \{\s*throw new Error\("rebuildTimer is not set properly"\);\s*\}(\s*(?:\/\/[^\n]*\n\s*)?)rebuildTimer\.callback\(\);/g;
const RUN_PATCHED = (_match, between) => `if (!pendingTimers.length) {
            throw new Error("rebuildTimer is not set properly");
        }${between}runPendingTimers();`;

const PATCHES = [
  { name: "the timer API keeps any number of pending timers", from: SLOT, to: SLOT_PATCHED },
  { name: "a cell's conversion runs every pending timer", from: RUN, to: RUN_PATCHED },
];

/**
 * The converter's source with the patches applied, and which did not apply
 * (a tslab release that changed this code: then nothing is patched and the
 * kernel says so, rather than running half-patched code).
 *
 * @example const { source, missing } = patchConverterSource(fs.readFileSync(converterFile, "utf8"));
 */
function patchConverterSource(source) {
  const original = source;
  const missing = PATCHES.filter((p) => !source.match(p.from)).map((p) => p.name);
  if (missing.length) return { source: original, missing };
  for (const p of PATCHES) source = source.replace(p.from, typeof p.to === "function" ? p.to : () => p.to);
  if (/\brebuildTimer\b/.test(source.replace(/rebuildTimer is not set properly/g, ""))) return { source: original, missing: ["no other use of the one-slot timer is left"] };
  return { source, missing };
}

module.exports = { patchConverterSource, PATCHES };
