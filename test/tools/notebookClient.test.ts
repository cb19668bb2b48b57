// The notebook client against real kernels: tslab (as npm start runs it) and
// a scripted fake kernel (error outputs, execute results, clear_output,
// interrupt by message). Each test checks that the kernel process is gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { KernelSpec } from "../../tools/notebook/kernelspec";
import { makeNotebook, readNotebook } from "../../tools/notebook/nbformat";
import { CellExecutionError, CellTimeoutError, DeadKernelError, NotebookClient } from "../../tools/notebook/notebookClient";
import { executeNotebookFile } from "../../tools/notebook/runner";
import { setLogLevel } from "../../lib/utils/log";
import { TSLAB_SPEC } from "../helpers/tslabSpec";

const ROOT = path.resolve(__dirname, "..", "..");
const TSLAB: KernelSpec = TSLAB_SPEC;
const FAKE: KernelSpec = { ...TSLAB, name: "fake", argv: [process.execPath, "--import", "tsx", path.join(__dirname, "..", "helpers", "fakeKernel.ts"), "{connection_file}"], interrupt_mode: "message" };

function gone(pid: number | undefined): boolean {
  assert.ok(pid, "the kernel was started");
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

setLogLevel("error"); // the timeout tests warn by design

test("tslab: a notebook runs; outputs, execution counts, language_info and display updates are recorded; file 0644; kernel gone", { timeout: 60_000 }, async () => {
  const nb = makeNotebook([
    ["markdown", "# title"],
    ["code", 'console.log("a"); console.log("b"); console.error("warning");'],
    ["code", "   "],
    ["code", 'const jupyter = require("tslab/dist/jupyter");\njupyter.lastWriteDisplayData({ data: { "text/plain": "v1" }, metadata: {}, transient: { display_id: "p" } }, false);'],
    ["code", 'jupyter.lastWriteDisplayData({ data: { "text/plain": "v2" }, metadata: {}, transient: { display_id: "p" } }, true);\nconst x = 21 * 2;\nx'],
  ]);
  // Inside the repo (its ignored outputs/), so node_modules resolve from the notebook's folder.
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-test-"));
  const input = path.join(dir, "ok.ipynb");
  fs.writeFileSync(input, JSON.stringify(nb));
  const output = path.join(dir, "out", "ok.ipynb");
  const run = await executeNotebookFile(input, output, { kernelSpec: TSLAB, timeout: 30 });
  assert.equal(run.ok, true, run.error ?? "");
  assert.equal(fs.statSync(output).mode & 0o777, 0o644);
  const done = readNotebook(output);
  assert.equal(done.metadata.language_info.name, "typescript");
  const code = done.cells.filter((c) => c.cell_type === "code");
  assert.deepEqual(code.map((c) => c.execution_count), [1, null, 2, 3], "blank cells are skipped, as nbclient");
  assert.deepEqual(code[0].outputs, [
    { output_type: "stream", name: "stdout", text: "a\nb\n" },
    { output_type: "stream", name: "stderr", text: "warning\n" },
  ]);
  assert.deepEqual(code[2].outputs, [{ output_type: "display_data", data: { "text/plain": "v2" }, metadata: {} }], "updated by the next cell");
  assert.deepEqual(code[3].outputs, [{ output_type: "stream", name: "stdout", text: "42\n" }]);
  assert.ok(gone(run.kernelPid));
  fs.rmSync(dir, { recursive: true, force: true });
});

// A NotebookClient run that returns the client (to look at its kernel afterwards).
async function runClient(cells: ["code" | "markdown", string][], spec: KernelSpec, timeout = 30) {
  const nb = makeNotebook(cells);
  const client = new NotebookClient(nb, { kernelSpec: spec, timeout, notebookName: "t.ipynb", interruptGrace: 5 });
  const error = await client.execute().then(() => undefined, (e: Error) => e);
  return { nb, client, error, pid: client.km?.pid };
}

test("tslab: a failing cell stops the run and is named; later cells do not run; kernel gone", { timeout: 60_000 }, async () => {
  const { nb, error, pid } = await runClient([["code", "const a = 1;"], ["markdown", "text"], ["code", 'throw new Error("boom in cell two");'], ["code", "console.log('never');"]], TSLAB);
  assert.ok(error instanceof CellExecutionError, String(error));
  assert.equal(error.message, 't.ipynb, code cell 2 (throw new Error("boom in cell two");): Error: boom in cell two');
  assert.equal(nb.cells[2].execution_count, 2);
  assert.match(JSON.stringify(nb.cells[2].outputs), /boom in cell two/);
  assert.equal(nb.cells[3].execution_count, null);
  assert.deepEqual(nb.cells[3].outputs, []);
  assert.ok(gone(pid));
});

test("tslab: a hanging cell is interrupted (SIGINT) at its timeout, async or synchronous; kernel gone", { timeout: 60_000 }, async () => {
  for (const hang of ["await new Promise(() => {});", "while (true) {}"]) {
    const { nb, error, pid } = await runClient([["code", 'console.log("before");'], ["code", hang], ["code", "console.log('never');"]], TSLAB, 2);
    assert.ok(error instanceof CellTimeoutError, String(error));
    assert.equal(error.message, `t.ipynb, code cell 2 (${hang}): timed out after 2 s (interrupted)`);
    assert.match(JSON.stringify(nb.cells[1].outputs), /[Ii]nterrupted/, "tslab reports the interrupt in the cell");
    assert.equal(nb.cells[2].execution_count, null);
    assert.ok(gone(pid));
  }
});

test("tslab: a kernel that dies mid-notebook (process.exit) is reported with its cell; kernel gone", { timeout: 60_000 }, async () => {
  const { nb, error, pid } = await runClient([["code", 'console.log("alive");'], ["code", "process.exit(3);"], ["code", "console.log('never');"]], TSLAB);
  assert.ok(error instanceof DeadKernelError, String(error));
  assert.equal(error.message, "t.ipynb, code cell 2 (process.exit(3);): the kernel died (exit code 3)");
  assert.deepEqual(nb.cells[0].outputs, [{ output_type: "stream", name: "stdout", text: "alive\n" }]);
  assert.ok(gone(pid));
});

test("fake kernel: execute_result, error outputs with traceback, clear_output over the wire; interrupt by message at the timeout", { timeout: 60_000 }, async () => {
  const steps = (s: unknown[]) => JSON.stringify(s);
  const ok = await runClient([
    ["code", steps([["stream", "stdout", "x"], ["stream", "stdout", "y\n"], ["clear", true], ["stream", "stdout", "z\n"], ["result", { "text/plain": "42" }]])],
    ["code", steps([["display", { "text/html": "<b>1</b>" }, "d1"], ["sleep", 20], ["update", { "text/html": "<b>2</b>" }, "d1"]])],
    ["code", steps([["error", "ValueError", "bad value", ["Traceback", "ValueError: bad value"]]])],
  ], FAKE);
  assert.ok(ok.error instanceof CellExecutionError, String(ok.error));
  assert.equal(ok.error.message, `t.ipynb, code cell 3 (${steps([["error", "ValueError", "bad value", ["Traceback", "ValueError: bad value"]]])}): ValueError: bad value`);
  assert.deepEqual(ok.nb.cells[0].outputs, [{ output_type: "stream", name: "stdout", text: "z\n" }, { output_type: "execute_result", data: { "text/plain": "42" }, metadata: {}, execution_count: 1 }]);
  assert.deepEqual(ok.nb.cells[1].outputs, [{ output_type: "display_data", data: { "text/html": "<b>2</b>" }, metadata: {} }]);
  assert.deepEqual(ok.nb.cells[2].outputs, [{ output_type: "error", ename: "ValueError", evalue: "bad value", traceback: ["Traceback", "ValueError: bad value"] }]);
  assert.ok(gone(ok.pid));

  const hung = await runClient([["code", steps([["hang"]])]], FAKE, 1);
  assert.ok(hung.error instanceof CellTimeoutError, String(hung.error));
  assert.equal(hung.error.message, `t.ipynb, code cell 1 (${steps([["hang"]])}): timed out after 1 s (interrupted)`);
  assert.deepEqual(hung.nb.cells[0].outputs, [{ output_type: "error", ename: "KeyboardInterrupt", evalue: "", traceback: ["KeyboardInterrupt"] }]);
  assert.ok(gone(hung.pid));

  const died = await runClient([["code", steps([["stream", "stdout", "bye\n"], ["sleep", 50], ["exit", 1]])]], FAKE);
  assert.ok(died.error instanceof DeadKernelError, String(died.error));
  assert.match(died.error.message, /code cell 1 .*: the kernel died \(exit code 1\)$/);
  assert.ok(gone(died.pid));
});

test("a kernel that cannot start is reported, not hung on", { timeout: 30_000 }, async () => {
  const bad: KernelSpec = { ...TSLAB, argv: [process.execPath, "-e", "console.error('no such kernel'); process.exit(2)", "{connection_file}"] };
  const { error, pid } = await runClient([["code", "1"]], bad);
  assert.ok(error instanceof DeadKernelError, String(error));
  assert.equal(error.message, "t.ipynb, code cell 0 (kernel startup): the kernel died (exit code 2): no such kernel");
  assert.ok(gone(pid));
  const missing = await runClient([["code", "1"]], { ...TSLAB, argv: ["/nonexistent/tslab", "kernel", "{connection_file}"] });
  assert.ok(missing.error instanceof DeadKernelError, String(missing.error));
  assert.equal(missing.error.message, 't.ipynb, code cell 0 (kernel startup): the kernel could not start (spawn /nonexistent/tslab ENOENT; argv ["/nonexistent/tslab","kernel","{connection_file}"])');
  assert.throws(() => new NotebookClient(makeNotebook([]), { timeOut: 3 } as any), /^Error: NotebookClient: unknown option\(s\) timeOut \(expected /);
  assert.throws(() => new NotebookClient(makeNotebook([]), { timeout: -1 }), { message: "NotebookClient: timeout must be a number of seconds >= 0, got -1" });
});

test("fake kernel: a kernel that stops answering heartbeats is declared dead when heartbeatTimeout is set, and killed", { timeout: 30_000 }, async () => {
  const nb = makeNotebook([["code", JSON.stringify([["sleep", 20_000]])]]);
  const client = new NotebookClient(nb, { kernelSpec: FAKE, timeout: 30, notebookName: "t.ipynb", heartbeatTimeout: 1, shutdownWaitTime: 1 });
  const done = client.execute().then(() => undefined, (e: Error) => e);
  // Freeze the kernel once its cell runs: the process lives, the heartbeat stops.
  while (!(client.km?.pid && client.kc?.isBeating())) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  process.kill(client.km.pid, "SIGSTOP");
  const error = await done;
  assert.ok(error instanceof DeadKernelError, String(error));
  assert.equal(error.message, `t.ipynb, code cell 1 (${JSON.stringify([["sleep", 20_000]])}): the kernel stopped answering heartbeats for 1 s (killed)`);
  assert.ok(gone(client.km.pid));
});

test("tslab: the runner's SIGTERM, Ctrl-C, SIGHUP or SIGKILL takes the kernel down with it", { timeout: 120_000 }, async () => {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-signal-"));
  const pidFile = path.join(dir, "kernel.pid");
  const nb = path.join(dir, "hang.ipynb");
  fs.writeFileSync(nb, JSON.stringify(makeNotebook([["code", `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nawait new Promise(() => {});`]])));
  const script = `require(${JSON.stringify(path.join(ROOT, "tools", "notebook", "runner.ts"))}).executeNotebookFile(${JSON.stringify(nb)}, ${JSON.stringify(path.join(dir, "out.ipynb"))}, { kernelSpec: ${JSON.stringify(TSLAB)} })`;
  try {
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"] as const) {
      fs.rmSync(pidFile, { force: true });
      const runner = spawn(process.execPath, ["--import", "tsx", "-e", `${script}.then((r) => console.log(JSON.stringify(r)))`], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let said = "";
      runner.stdout!.on("data", (b) => (said += b));
      runner.stderr!.on("data", (b) => (said += b));
      let exited: number | null = null;
      runner.once("exit", (c) => (exited = c ?? -1));
      while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, "utf8")) {
        // A runner that fails to start (a moved module, say) must fail the test, not hang it.
        if (exited !== null) assert.fail(`the runner exited with code ${exited} before the kernel ran the cell (${signal}): ${said.slice(-1000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const kernelPid = Number(fs.readFileSync(pidFile, "utf8"));
      assert.ok(!gone(kernelPid), "the kernel runs the hanging cell");
      runner.kill(signal);
      const code = await new Promise((r) => runner.once("exit", (c, s) => r(c ?? s)));
      assert.equal(code, { SIGTERM: 143, SIGINT: 130, SIGHUP: 129, SIGKILL: "SIGKILL" }[signal]);
      // SIGKILLed before the runner exited (by the watchdog after a SIGKILL); the orphan is reaped by init a moment later.
      const deadline = Date.now() + 3000;
      while (!gone(kernelPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(gone(kernelPid), `the kernel is gone after the runner's ${signal}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("tslab: execute({ cells, allowErrors }) runs the code cells named, in that order, in one kernel, and records failures with their step", { timeout: 60_000 }, async () => {
  const nb = makeNotebook([
    ["markdown", "# re-runs"],
    ["code", "let n = (globalThis as any).__runs = ((globalThis as any).__runs ?? 0) + 1;"],
    ["code", 'throw new Error("boom");'],
    ["code", "console.log(`runs ${n}`);"],
  ]);
  await assert.rejects(new NotebookClient(nb, { kernelSpec: TSLAB }).execute({ cells: [1, 4] }), { message: "notebook: no code cell 4 (it has 3, numbered from 1)" });
  const client = new NotebookClient(nb, { kernelSpec: TSLAB, timeout: 30, notebookName: "t.ipynb" });
  await client.execute({ cells: [1, 2, 3, 1, 3], allowErrors: true });
  assert.deepEqual(client.errors.map((e) => [e.step, e.error.codeCell, e.error.reason]), [[1, 2, "Error: boom"]]);
  assert.deepEqual(nb.cells[3].outputs, [{ output_type: "stream", name: "stdout", text: "runs 2\n" }], "the last run's output, after cell 1 ran twice");
  assert.deepEqual(nb.cells.map((c) => c.execution_count ?? null), [null, 4, 2, 5]);
  assert.ok(gone(client.km?.pid));
  // Without allowErrors the first failure still ends the run.
  await assert.rejects(new NotebookClient(makeNotebook([["code", 'throw new Error("x");'], ["code", "1"]]), { kernelSpec: TSLAB, timeout: 30 }).execute({ cells: [1, 2] }), CellExecutionError);
});
