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

test("both patches apply to the installed tslab's converter", () => {
  const { source, missing } = patchConverterSource(converter);
  assert.deepEqual(missing, []);
  assert.ok(!source.includes('throw new Error("Unexpected pending rebuildTimer")'));
  assert.match(source, /callback: \(\) => \{ rebuildTimer = null; callback\(\); \}/);
  assert.deepEqual(patchConverterSource("unrelated").missing.length, 2, "a changed tslab is reported, not patched blindly");
});

test("the patched timer slot: a pending timer is replaced, and a rebuild that throws leaves the slot empty", () => {
  // The slot's code as the converter has it, run with and without the patch.
  const slot = (src: string) => {
    const start = src.indexOf("let rebuildTimer = null;");
    const end = src.indexOf("sys.readFile = function");
    assert.ok(start > 0 && end > start, "the converter's timer slot code was found");
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function("sys", `${src.slice(start, end)}; return { pending: () => rebuildTimer };`) as (sys: Record<string, unknown>) => { pending(): { callback(): void } | null };
  };
  for (const [label, src, survives] of [["unpatched", converter, false], ["patched", patchConverterSource(converter).source, true]] as const) {
    const sys: Record<string, any> = {};
    const state = slot(src)(sys);
    sys.setTimeout(() => {
      throw new Error("a rebuild failed");
    });
    assert.throws(() => state.pending()!.callback(), /a rebuild failed/);
    const next = () => sys.setTimeout(() => undefined);
    if (survives) {
      assert.equal(state.pending(), null, `${label}: the slot is empty after a failed rebuild`);
      next();
      next(); // a pending one is replaced
      state.pending()!.callback();
      assert.equal(state.pending(), null);
    } else {
      assert.throws(next, /Unexpected pending rebuildTimer/, `${label}: every later cell fails`);
    }
  }
});

test("the project's kernel runs cells with the patched converter (no warning that it changed)", { timeout: 120_000 }, async () => {
  setupNotebooks({ quiet: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "tslab-patch-"));
  try {
    const nb = makeNotebook([["code", "let a = 1;"], ["code", "a++;\nconsole.log(a);"], ["code", "a++;\nconsole.log(a);"]]);
    const client = new NotebookClient(nb, { cwd: dir, env: { ...process.env, JUPYTER_PATH }, timeout: 60 });
    await client.execute();
    assert.deepEqual(nb.cells.map((c) => (c.outputs as { text?: string }[]).map((o) => o.text).join("")), ["", "2\n", "3\n"]);
    assert.doesNotMatch(client.km?.lastOutput ?? "", /converter changed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
