// Large outputs: nothing is lost between tslab and the notebook client, and
// a stream past the client's limit keeps its first and last lines around a
// visible marker, never a silent cut.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { KernelSpec } from "../../tools/notebook/kernelspec";
import { makeNotebook } from "../../tools/notebook/nbformat";
import { NotebookClient } from "../../tools/notebook/notebookClient";
import { MAX_STREAM_LINES, omittedLinesMarker, OutputArea, StreamOutput } from "../../tools/notebook/outputs";
import type { JupyterMessage } from "../../tools/notebook/protocol";
import { TSLAB_SPEC } from "../helpers/tslabSpec";

const ROOT = path.resolve(__dirname, "..", "..");
const stream = (text: string, name = "stdout") => ({ header: { msg_type: "stream" } as JupyterMessage["header"], content: { name, text } });
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join("");

test("OutputArea: a stream past maxStreamLines keeps its first and last halves around a marker that counts the omitted lines", () => {
  const area = new OutputArea(new Map(), { maxStreamLines: 10 });
  for (let i = 0; i < 100; i++) area.handle(stream(`line ${i}\n`));
  assert.deepEqual(area.outputs, [{ output_type: "stream", name: "stdout", text: lines(0, 5) + "… 90 lines omitted (output limit: the first 5 and the last 5 lines of a stream are kept) …\n" + lines(95, 100) }]);
  // Chunks that split lines anywhere, and another stream after it, capped on its own.
  const split = new OutputArea(new Map(), { maxStreamLines: 4 });
  const text = lines(0, 50) + "tail without newline";
  for (let i = 0; i < text.length; i += 7) split.handle(stream(text.slice(i, i + 7)));
  split.handle(stream("err\n", "stderr"));
  assert.deepEqual(split.outputs, [
    { output_type: "stream", name: "stdout", text: "line 0\nline 1\n" + omittedLinesMarker(47, 4) + "line 49\ntail without newline" },
    { output_type: "stream", name: "stderr", text: "err\n" },
  ]);
  // At the limit nothing is cut; Infinity keeps everything.
  const full = new OutputArea(new Map(), { maxStreamLines: 10 });
  full.handle(stream(lines(0, 10)));
  assert.equal((full.outputs[0] as StreamOutput).text, lines(0, 10));
  const all = new OutputArea(new Map(), { maxStreamLines: Infinity });
  all.handle(stream(lines(0, 20_000)));
  assert.equal((all.outputs[0] as StreamOutput).text, lines(0, 20_000));
  assert.throws(() => new OutputArea(new Map(), { maxStreamLines: 1 }), { message: "OutputArea: maxStreamLines must be an integer >= 2 or Infinity, got 1" });
  assert.throws(() => new NotebookClient(makeNotebook([]), { maxStreamLines: 2.5 }), { message: "OutputArea: maxStreamLines must be an integer >= 2 or Infinity, got 2.5" });
});

test("OutputArea: the default limit on 500,000 printed lines: the first and last 5,000, and the 490,000 between counted", () => {
  assert.equal(MAX_STREAM_LINES, 10_000);
  const area = new OutputArea();
  for (let i = 0; i < 500_000; i++) area.handle(stream(`line ${i}\n`));
  const text = (area.outputs[0] as StreamOutput).text;
  assert.equal(text, lines(0, 5000) + "… 490,000 lines omitted (output limit: the first 5,000 and the last 5,000 lines of a stream are kept) …\n" + lines(495_000, 500_000));
});

test("tslab through tools/notebook/tslabKernel.js: a cell printing 100,000 lines in a loop loses none on the wire (tslab alone kept ~510)", { timeout: 120_000 }, async () => {
  const spec: KernelSpec = TSLAB_SPEC;
  const n = 100_000;
  const nb = makeNotebook([["code", `for (let i = 0; i < ${n}; i++) console.log("line " + i);\nconsole.error("done");`]]);
  await new NotebookClient(nb, { kernelSpec: spec, timeout: 100, notebookName: "huge.ipynb", maxStreamLines: Infinity }).execute();
  assert.deepEqual(nb.cells[0].outputs, [
    { output_type: "stream", name: "stdout", text: lines(0, n) },
    { output_type: "stream", name: "stderr", text: "done\n" },
  ]);
});

test("fake kernel: a cell whose idle status never comes gets a visible 'output may be incomplete' marker, and the run goes on", { timeout: 60_000 }, async () => {
  const FAKE: KernelSpec = { name: "fake", argv: [process.execPath, "--import", "tsx", path.join(__dirname, "..", "helpers", "fakeKernel.ts"), "{connection_file}"], display_name: "Fake", language: "json", interrupt_mode: "message", env: {}, metadata: {}, resourceDir: ROOT };
  const nb = makeNotebook([["code", JSON.stringify([["stream", "stdout", "partial\n"], ["noidle"]])], ["code", JSON.stringify([["stream", "stdout", "next\n"]])]]);
  await new NotebookClient(nb, { kernelSpec: FAKE, timeout: 30, iopubTimeout: 1, notebookName: "t.ipynb" }).execute();
  assert.deepEqual(nb.cells[0].outputs, [
    { output_type: "stream", name: "stdout", text: "partial\n" },
    { output_type: "stream", name: "stderr", text: "… the output may be incomplete: the kernel went silent for 1 s after the cell's reply without saying it was idle (iopubTimeout) …\n" },
  ]);
  assert.deepEqual(nb.cells[1].outputs, [{ output_type: "stream", name: "stdout", text: "next\n" }]);
});
