// The tslab converter patch (tools/notebook/tslabPatches.js) applies to the
// installed tslab, and the patched timer slot behaves: a rebuild that throws
// no longer breaks every later cell of the session.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeNotebook } from "../../tools/notebook/nbformat";
import { NotebookClient } from "../../tools/notebook/notebookClient";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "../../tools/notebook/setup";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { patchConverterSource } = require("../../tools/notebook/tslabPatches.js") as { patchConverterSource(s: string): { source: string; missing: string[] } };

const converter = fs.readFileSync(require.resolve("tslab/dist/converter.js"), "utf8");

test("both patches apply to the installed tslab's converter, leaving no use of the one-slot timer", () => {
  const { source, missing } = patchConverterSource(converter);
  assert.deepEqual(missing, []);
  assert.ok(!source.includes('throw new Error("Unexpected pending rebuildTimer")'));
  assert.ok(!source.includes("clearing unexpected tiemr"));
  assert.equal(source.match(/runPendingTimers\(\);/g)?.length, 2, "a cell's conversion and adding a root file both run every pending timer");
  const unrelated = patchConverterSource("unrelated");
  assert.equal(unrelated.missing.length, 2, "a changed tslab is reported, not patched blindly");
  assert.equal(unrelated.source, "unrelated");
});

test("the patched timer API: TypeScript's two timers may be pending at once, a failed rebuild leaves none, clearing an unknown one is harmless", () => {
  // The converter's timer code as shipped and as patched, run on a fake sys.
  const timerApi = (src: string) => {
    const start = src.search(/let (rebuildTimer = null|pendingTimers = \[\])/);
    const end = src.indexOf("sys.readFile = function");
    assert.ok(start > 0 && end > start, "the converter's timer code was found");
    const run = src.includes("runPendingTimers") ? "runPendingTimers()" : "rebuildTimer.callback()";
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function("sys", `${src.slice(start, end)}; return { run: () => ${run} };`) as (sys: Record<string, any>) => { run(): void };
  };
  const ran: string[] = [];
  // As TypeScript does: a file watcher schedules the failed-lookup invalidation, then a cell's change schedules the program update.
  const scenario = (sys: Record<string, any>) => {
    sys.setTimeout(() => ran.push("invalidate failed lookups"));
    sys.setTimeout(() => ran.push("update program"));
  };
  const shipped = timerApi(converter);
  const sys0: Record<string, any> = {};
  shipped(sys0);
  assert.throws(() => scenario(sys0), /Unexpected pending rebuildTimer/, "shipped tslab: the second timer throws (every later cell failed)");

  const sys: Record<string, any> = {};
  const api = timerApi(patchConverterSource(converter).source)(sys);
  scenario(sys);
  api.run();
  assert.deepEqual(ran, ["invalidate failed lookups", "update program"], "both run, in order");
  sys.clearTimeout({ callback() {} }); // not pending: no-op
  const t = sys.setTimeout(() => ran.push("cleared"));
  sys.clearTimeout(t);
  sys.setTimeout(() => {
    throw new Error("a rebuild failed");
  });
  assert.throws(() => api.run(), /a rebuild failed/);
  sys.setTimeout(() => ran.push("next cell"));
  api.run();
  assert.deepEqual(ran.slice(2), ["next cell"], "the failed timer was dropped and the cleared one never ran");
});

test("the project's kernel survives a node_modules folder appearing beside the notebook mid-session (shipped tslab then failed every later cell)", { timeout: 120_000 }, async () => {
  setupNotebooks({ quiet: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "tslab-patch-"));
  try {
    const nb = makeNotebook([
      ["code", "let a = 1;"],
      // TypeScript watches where "workbook" failed to resolve (./node_modules): this schedules its second timer.
      ["code", 'import * as fs from "node:fs";\nfs.mkdirSync("node_modules/zz", { recursive: true });\nfs.writeFileSync("node_modules/zz/index.js", "1");\nawait new Promise((r) => setTimeout(r, 4000));'],
      ["code", "a++;\nconsole.log(a);"],
      ["code", "a++;\nconsole.log(a);"],
    ]);
    const client = new NotebookClient(nb, { cwd: dir, env: { ...process.env, JUPYTER_PATH }, timeout: 60 });
    await client.execute();
    assert.deepEqual(nb.cells.map((c) => (c.outputs as { text?: string }[]).map((o) => o.text).join("")), ["", "", "2\n", "3\n"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
