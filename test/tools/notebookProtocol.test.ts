// The notebook client's pure parts: message signing and parsing against
// jupyter_client's output, nbformat outputs and files, kernel specs.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, tmpDir } from "../helpers/setup";
import { Session, DELIM, JupyterMessage } from "../../tools/notebook/protocol";
import { OutputArea, outputFromMsg, Output } from "../../tools/notebook/outputs";
import { makeNotebook, notebookToJson, readNotebook, splitLines, writeNotebook } from "../../tools/notebook/nbformat";
import { getKernelSpec, installTslabKernelSpec, jupyterDataPath, tslabKernelJson } from "../../tools/notebook/kernelspec";
import { describeCellError } from "../../tools/notebook/notebookClient";

const vectors = JSON.parse(fs.readFileSync(path.join(FIXTURES, "jupyter_vectors.json"), "utf8"));

test("Session.sign equals Python's hmac (SHA-256) on fixed vectors", () => {
  for (const v of vectors.hmac) {
    assert.equal(new Session({ key: v.key }).sign(v.parts.map((p: string) => Buffer.from(p, "utf8"))), v.hmac);
  }
  assert.equal(new Session({ key: "" }).sign([Buffer.from("x")]), "", "an empty key signs nothing, as jupyter_client");
});

test("Session.deserialize accepts a message jupyter_client signed, and parses it", () => {
  const frames = vectors.frames.map((f: string) => Buffer.from(f, "utf8"));
  const { identities, message } = new Session({ key: vectors.key }).deserialize(frames);
  assert.deepEqual(identities.map(String), ["client-identity"]);
  assert.deepEqual(message.header, vectors.header);
  assert.deepEqual(message.content, vectors.content);
  assert.deepEqual(message.parent_header, {});
  assert.deepEqual(message.buffers, []);
});

test("Session.deserialize rejects tampered, unsigned, wrongly keyed and malformed messages", () => {
  const frames: Buffer[] = vectors.frames.map((f: string) => Buffer.from(f, "utf8"));
  const s = new Session({ key: vectors.key });
  const tampered = [...frames];
  tampered[6] = Buffer.from(String(tampered[6]).replace("1 + 1", "1 + 2"));
  assert.throws(() => s.deserialize(tampered), { message: `invalid Jupyter message signature ${vectors.frames[2]}` });
  const unsigned = [...frames];
  unsigned[2] = Buffer.alloc(0);
  assert.throws(() => s.deserialize(unsigned), { message: "unsigned Jupyter message (the key is set)" });
  assert.throws(() => new Session({ key: "other" }).deserialize(frames), /invalid Jupyter message signature/);
  assert.throws(() => s.deserialize(frames.filter((f) => !f.equals(DELIM))), { message: "Jupyter message without the <IDS|MSG> delimiter" });
  assert.throws(() => s.deserialize(frames.slice(0, 5)), { message: "malformed Jupyter message: 3 parts after the delimiter, expected at least 5" });
});

test("Session.serialize frames, signs and round-trips a message; ids count up per session", () => {
  const s = new Session({ key: "secret", session: "abc" });
  const parent = s.msg("kernel_info_request", {});
  const msg = s.msg("execute_request", { code: "ünï ✓" }, parent, { cellId: "c1" });
  assert.equal(parent.header.msg_id, `abc_${process.pid}_0`);
  assert.equal(msg.header.msg_id, `abc_${process.pid}_1`);
  assert.equal(msg.parent_header.msg_id, parent.header.msg_id);
  const frames = s.serialize(msg, [Buffer.from("id1")]);
  assert.equal(String(frames[0]), "id1");
  assert.ok(frames[1].equals(DELIM));
  assert.equal(String(frames[2]), s.sign(frames.slice(3, 7)));
  assert.match(String(frames[2]), /^[0-9a-f]{64}$/);
  const back = new Session({ key: "secret" }).deserialize(frames).message;
  assert.deepEqual({ ...back, buffers: [] }, { ...msg, buffers: [] });
  assert.throws(() => new Session({ key: "k", signatureScheme: "hmac-md5" as any }), { message: 'Session: unsupported signature_scheme "hmac-md5" (only hmac-sha256)' });
  assert.throws(() => new Session({ key: "k", keys: 1 } as any), { message: "Session: unknown option(s) keys" });
});

const m = (msg_type: string, content: Record<string, unknown>) => ({ header: { msg_type } as JupyterMessage["header"], content });

test("outputs of every type come from IOPub messages as nbformat's output_from_msg, and round-trip through a file", () => {
  const area = new OutputArea();
  const msgs = [
    m("status", { execution_state: "busy" }),
    m("stream", { name: "stdout", text: "a\n" }),
    m("stream", { name: "stdout", text: "b\nc" }),
    m("stream", { name: "stderr", text: "warn\n" }),
    m("stream", { name: "stdout", text: "d\n" }),
    m("display_data", { data: { "text/plain": "x", "application/vnd.plotly.v1+json": { data: [{ y: [1, 2] }], layout: {} } }, metadata: { isolated: true } }),
    m("execute_result", { data: { "text/plain": "2" }, metadata: {}, execution_count: 7 }),
    m("error", { ename: "TypeError", evalue: "x is undefined", traceback: ["TypeError: x is undefined", "  at cell"] }),
  ];
  const idle = msgs.map((msg) => area.handle(msg));
  assert.ok(idle.every((x) => !x));
  assert.equal(area.handle(m("status", { execution_state: "idle" })), true);
  const expected: Output[] = [
    { output_type: "stream", name: "stdout", text: "a\nb\nc" },
    { output_type: "stream", name: "stderr", text: "warn\n" },
    { output_type: "stream", name: "stdout", text: "d\n" },
    { output_type: "display_data", data: { "text/plain": "x", "application/vnd.plotly.v1+json": { data: [{ y: [1, 2] }], layout: {} } }, metadata: { isolated: true } },
    { output_type: "execute_result", data: { "text/plain": "2" }, metadata: {}, execution_count: 7 },
    { output_type: "error", ename: "TypeError", evalue: "x is undefined", traceback: ["TypeError: x is undefined", "  at cell"] },
  ];
  assert.deepEqual(area.outputs, expected);
  assert.equal(area.executionCount, 7);
  // Written as nbformat does (lines split, JSON mime left whole), read back equal.
  const nb = makeNotebook([["code", "x"]]);
  nb.cells[0].outputs = area.outputs;
  nb.cells[0].execution_count = 1;
  const dir = tmpDir();
  const file = path.join(dir, "out.ipynb");
  writeNotebook(nb, file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o644);
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.deepEqual(raw.cells[0].outputs[0].text, ["a\n", "b\n", "c"]);
  assert.deepEqual(raw.cells[0].outputs[3].data["application/vnd.plotly.v1+json"], { data: [{ y: [1, 2] }], layout: {} });
  assert.deepEqual(Object.keys(raw), ["cells", "metadata", "nbformat", "nbformat_minor"]);
  assert.ok(fs.readFileSync(file, "utf8").endsWith("}\n"));
  assert.deepEqual(readNotebook(file).cells[0].outputs, expected);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("clear_output (now and wait=True) and update_display_data behave as in nbclient", () => {
  const displays = new Map<string, Output[]>();
  const a = new OutputArea(displays);
  a.handle(m("stream", { name: "stdout", text: "old\n" }));
  a.handle(m("clear_output", { wait: false }));
  assert.deepEqual(a.outputs, []);
  a.handle(m("display_data", { data: { "text/plain": "v1" }, metadata: {}, transient: { display_id: "d" } }));
  a.handle(m("clear_output", { wait: true }));
  assert.equal(a.outputs.length, 1, "wait=True keeps the output until the next one");
  a.handle(m("display_data", { data: { "text/plain": "v2" }, metadata: {}, transient: { display_id: "d" } }));
  assert.deepEqual(a.outputs, [{ output_type: "display_data", data: { "text/plain": "v2" }, metadata: {} }]);
  // A later cell updates the display shown in this one.
  const b = new OutputArea(displays);
  b.handle(m("update_display_data", { data: { "text/plain": "v3" }, metadata: { k: 1 }, transient: { display_id: "d" } }));
  assert.deepEqual(b.outputs, [], "an update adds no output");
  assert.deepEqual(a.outputs, [{ output_type: "display_data", data: { "text/plain": "v3" }, metadata: { k: 1 } }]);
  assert.throws(() => outputFromMsg(m("comm_open", {})), { message: 'unrecognized output message type "comm_open" (outputs come from stream, display_data, execute_result, error)' });
  assert.throws(() => outputFromMsg(m("stream", { name: "stdlog", text: "" })), { message: 'stream message: content.name must be "stdout" or "stderr", got "stdlog"' });
});

test("splitLines is Python's str.splitlines(True)", () => {
  assert.deepEqual(splitLines("a\nb\r\nc\rd"), ["a\n", "b\r\n", "c\r", "d"]);
  assert.deepEqual(splitLines(""), []);
  assert.deepEqual(splitLines("x\n"), ["x\n"]);
  assert.deepEqual(splitLines("x\u2028y"), ["x\u2028", "y"]);
  const nb = makeNotebook([["code", "a\nb"]]);
  assert.deepEqual(JSON.parse(notebookToJson(nb)).cells[0].source, ["a\n", "b"]);
});

test("a failing cell's reason: tslab's stderr error line, else the error output, else the last stderr line", () => {
  const stderr = (text: string): Output => ({ output_type: "stream", name: "stderr", text });
  assert.equal(describeCellError([stderr("evalmachine:2\nthrow x\n^\n\nError: boom\n    at x\n")], { status: "error" }), "Error: boom");
  assert.equal(describeCellError([{ output_type: "error", ename: "ValueError", evalue: "bad", traceback: [] }], { status: "error" }), "ValueError: bad");
  assert.equal(describeCellError([stderr("1:7 - Cannot find name 'y'.\n")], { status: "error" }), "1:7 - Cannot find name 'y'.");
  assert.equal(describeCellError([], { status: "abort" }), "execution aborted by the kernel");
});

test("the tslab kernel spec is written without Python, exactly as tslab install writes it, and found on JUPYTER_PATH", () => {
  assert.equal(tslabKernelJson("/x/tslab"), '{"argv": ["/x/tslab", "kernel", "--config-path", "{connection_file}"], "display_name": "TypeScript", "language": "typescript"}');
  assert.equal(tslabKernelJson("/x/tslab", true), '{"argv": ["/x/tslab", "kernel", "--config-path", "{connection_file}", "--js"], "display_name": "JavaScript", "language": "javascript"}');
  const dir = tmpDir();
  const specDir = installTslabKernelSpec(path.join(dir, ".jupyter"), "/x/tslab");
  assert.equal(fs.statSync(path.join(specDir, "kernel.json")).mode & 0o777, 0o644);
  const env = { JUPYTER_PATH: path.join(dir, ".jupyter", "share", "jupyter"), JUPYTER_DATA_DIR: path.join(dir, "none") };
  assert.equal(jupyterDataPath(env)[0], env.JUPYTER_PATH);
  const spec = getKernelSpec("tslab", env);
  assert.deepEqual(spec.argv, ["/x/tslab", "kernel", "--config-path", "{connection_file}"]);
  assert.equal(spec.interrupt_mode, "signal");
  assert.equal(getKernelSpec("jslab", env).display_name, "JavaScript");
  assert.throws(() => getKernelSpec("nope", env), /^Error: No kernel spec named "nope" in .*\(run npm run setup:notebooks to register tslab\)$/);
  fs.rmSync(dir, { recursive: true, force: true });
});
