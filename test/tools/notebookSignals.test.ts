// A runner stopped by a signal while a cell hangs: the kernel never
// outlives it (SIGKILL included: the watchdog), the connection folder is
// removed, and on SIGINT/SIGTERM/SIGHUP the executed notebook is written with
// the cells that ran and a RunInterrupted marker on the interrupted one.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { KernelSpec } from "../../tools/notebook/kernelspec";
import { makeNotebook, readNotebook } from "../../tools/notebook/nbformat";

const ROOT = path.resolve(__dirname, "..", "..");
const FAKE: KernelSpec = {
  name: "fake",
  argv: [process.execPath, "--import", "tsx", path.join(__dirname, "..", "helpers", "fakeKernel.ts"), "{connection_file}"],
  display_name: "Fake",
  language: "json",
  interrupt_mode: "message",
  env: {},
  metadata: {},
  resourceDir: ROOT,
};
const EXIT: Record<string, number> = { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(50);
  return check();
}

test("a runner stopped by SIGTERM, SIGINT, SIGHUP or SIGKILL during a hanging cell leaves no kernel and no connection folder; the notebook is written with the interrupted cell marked", { timeout: 120_000 }, async () => {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-signals-"));
  try {
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"] as const) {
      const tmp = fs.mkdtempSync(path.join(dir, `tmp-${signal}-`)); // the runner's os.tmpdir()
      const pidFile = path.join(dir, `${signal}.pid`);
      const input = path.join(dir, `${signal}.ipynb`);
      const output = path.join(dir, "out", `${signal}.ipynb`);
      fs.writeFileSync(input, JSON.stringify(makeNotebook([
        ["code", JSON.stringify([["stream", "stdout", "before\n"]])],
        ["code", JSON.stringify([["stream", "stdout", "started\n"], ["pidfile", pidFile], ["hang"]])],
        ["code", JSON.stringify([["stream", "stdout", "never\n"]])],
      ])));
      const script = `require(${JSON.stringify(path.join(ROOT, "tools", "notebook", "runner.ts"))}).executeNotebookFile(${JSON.stringify(input)}, ${JSON.stringify(output)}, { kernelSpec: ${JSON.stringify(FAKE)}, timeout: 60 })`;
      const runner = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, stdio: "ignore", env: { ...process.env, TMPDIR: tmp } });
      let exit: { code: number | null; signal: string | null } | undefined;
      runner.once("exit", (code, sig) => (exit = { code, signal: sig }));
      while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, "utf8")) {
        if (exit) assert.fail(`the runner exited (${JSON.stringify(exit)}) before the kernel ran the hanging cell`);
        await sleep(50);
      }
      const kernelPid = Number(fs.readFileSync(pidFile, "utf8"));
      assert.ok(alive(kernelPid), "the kernel runs the hanging cell");
      assert.equal(fs.readdirSync(tmp).filter((f) => f.startsWith("workbook-kernel-")).length, 1, "the connection folder exists while the kernel runs");
      await sleep(200); // the hanging cell's "started" output has arrived
      runner.kill(signal);
      assert.ok(await until(() => exit !== undefined, 10_000), `the runner exits after ${signal}`);
      if (signal === "SIGKILL") assert.equal(exit!.signal, "SIGKILL");
      else assert.equal(exit!.code, EXIT[signal], `exit code after ${signal}`);
      assert.ok(await until(() => !alive(kernelPid), 3000), `the kernel is gone within 3 s of the runner's ${signal}`);
      const kernelDirs = () => fs.readdirSync(tmp).filter((f) => f.startsWith("workbook-kernel-")); // (tsx keeps its cache there too)
      assert.ok(await until(() => kernelDirs().length === 0, 3000), `no connection folder is left after ${signal}: ${kernelDirs().join(", ")}`);
      if (signal === "SIGKILL") {
        assert.equal(fs.existsSync(output), false, "a SIGKILLed runner cannot write anything");
        continue;
      }
      const nb = readNotebook(output);
      assert.deepEqual(nb.cells[0].outputs, [{ output_type: "stream", name: "stdout", text: "before\n" }]);
      assert.equal(nb.cells[0].execution_count, 1);
      assert.deepEqual(nb.cells[1].outputs, [
        { output_type: "stream", name: "stdout", text: "started\n" },
        { output_type: "error", ename: "RunInterrupted", evalue: `the run was stopped by ${signal} while this cell ran`, traceback: [`RunInterrupted: the run was stopped by ${signal} while this cell ran; the cells after this one did not run`] },
      ], "the interrupted cell keeps its output and is marked");
      assert.equal(nb.cells[1].execution_count, 2);
      assert.equal(nb.cells[2].execution_count, null);
      assert.deepEqual(nb.cells[2].outputs, []);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
