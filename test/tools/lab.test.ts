// npm run lab works on copies: Jupyter opens lab/ (seeded from notebooks/),
// so its autosave never writes outputs into a committed notebook.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeLabSeed, LAB_CONFIG_DIR, LAB_DIR, labLaunch, NOTEBOOKS_DIR, SEED_RECORD, seedLab } from "../../tools/notebook/lab";
import { findJupyter, INSTALL_HINTS } from "../../tools/notebook/jupyter";
import { scratchJupyterEnv } from "../../tools/notebook/checkBrowser";
import { freePorts } from "../../tools/notebook/kernelManager";
import { makeNotebook, Notebook, notebookProblems, readNotebook, writeNotebook } from "../../tools/notebook/nbformat";
import { JUPYTER_PATH, ROOT } from "../../tools/notebook/setup";

// Inside the project (its ignored outputs/), as a working folder must be.
function repoTmp(prefix: string): string {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  return fs.mkdtempSync(path.join(ROOT, "outputs", prefix));
}
const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
// The notebooks only: a run leaves workbook-assets/ (plotly.js for the charts, git-ignored) beside them.
const snapshot = (dir: string) => Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => [f, sha(path.join(dir, f))]));

test("seedLab copies only missing notebooks, keeps the user's copies, updates untouched ones, names stale ones, never writes the source", () => {
  const tmp = repoTmp("lab-seed-");
  try {
    const from = path.join(tmp, "notebooks");
    const to = path.join(tmp, "lab");
    writeNotebook(makeNotebook([["code", 'import { workbookProfile } from "workbook";']]), path.join(from, "01_a.ipynb"));
    writeNotebook(makeNotebook([["code", "console.log(2);"]]), path.join(from, "02_b.ipynb"));
    fs.writeFileSync(path.join(from, "notes.txt"), "not a notebook");
    const before = snapshot(from);

    const first = seedLab({ from, to });
    assert.deepEqual({ copied: first.copied, updated: first.updated, kept: first.kept, stale: first.stale }, { copied: ["01_a.ipynb", "02_b.ipynb"], updated: [], kept: [], stale: [] });
    assert.equal(first.dir, to);
    assert.equal(sha(path.join(to, "01_a.ipynb")), sha(path.join(from, "01_a.ipynb")));
    assert.ok(!fs.existsSync(path.join(to, "notes.txt")));
    assert.ok(fs.readdirSync(to).every((f) => !f.endsWith(".tmp")), "no temp file left");

    // The user runs 01 in the lab (outputs saved there); a second seed copies nothing and keeps it.
    const worked = readNotebook(path.join(to, "01_a.ipynb"));
    worked.cells[0].outputs = [{ output_type: "stream", name: "stdout", text: "hi\n" }];
    worked.cells[0].execution_count = 1;
    writeNotebook(worked, path.join(to, "01_a.ipynb"));
    const mine = sha(path.join(to, "01_a.ipynb"));
    const second = seedLab({ from, to });
    assert.deepEqual({ copied: second.copied, updated: second.updated, kept: second.kept, stale: second.stale }, { copied: [], updated: [], kept: ["01_a.ipynb"], stale: [] });
    assert.equal(sha(path.join(to, "01_a.ipynb")), mine);

    // Both committed notebooks change (a git pull): 02's copy was untouched, so it is updated; 01's is the user's, kept and named stale.
    writeNotebook(makeNotebook([["code", 'import { workbookProfile } from "workbook";\nworkbookProfile();']]), path.join(from, "01_a.ipynb"));
    writeNotebook(makeNotebook([["code", "console.log(22);"]]), path.join(from, "02_b.ipynb"));
    // A deleted copy comes back.
    const third = seedLab({ from, to });
    assert.deepEqual({ copied: third.copied, updated: third.updated, kept: third.kept, stale: third.stale }, { copied: [], updated: ["02_b.ipynb"], kept: ["01_a.ipynb"], stale: ["01_a.ipynb"] });
    assert.equal(sha(path.join(to, "01_a.ipynb")), mine);
    assert.equal(sha(path.join(to, "02_b.ipynb")), sha(path.join(from, "02_b.ipynb")));
    const lines = describeLabSeed(third).join("\n");
    assert.match(lines, /updated to the new committed version \(you had not changed them\): 02_b\.ipynb/);
    assert.match(lines, /kept your copies: 01_a\.ipynb/);
    assert.match(lines, /notebooks\/01_a\.ipynb changed since .*01_a\.ipynb was copied; your copy is kept/);

    fs.rmSync(path.join(to, "02_b.ipynb"));
    assert.deepEqual(seedLab({ from, to }).copied, ["02_b.ipynb"]);
    assert.match(describeLabSeed(seedLab({ from, to })).join("\n"), /^Working copies in outputs\/lab-seed-\w+\/lab\/ \(git ignores it/);
    assert.ok(JSON.parse(fs.readFileSync(path.join(to, SEED_RECORD), "utf8"))["02_b.ipynb"]);
    // The source folder changed only by the test's own writes above, never by seedLab.
    assert.notDeepEqual(snapshot(from), before);
    const after = snapshot(from);
    seedLab({ from, to });
    assert.deepEqual(snapshot(from), after);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("seedLab refuses a bad working folder or source with a clear error", () => {
  const tmp = repoTmp("lab-bad-");
  try {
    const from = path.join(tmp, "notebooks");
    fs.mkdirSync(from);
    assert.throws(() => seedLab({ from, to: path.join(tmp, "lab") }), /no \.ipynb notebooks in .*notebooks/);
    writeNotebook(makeNotebook([["code", "1"]]), path.join(from, "a.ipynb"));
    assert.throws(() => seedLab({ from: path.join(tmp, "missing"), to: path.join(tmp, "lab") }), /the notebooks folder .*missing does not exist/);
    assert.throws(() => seedLab({ from, to: from }), /inside the notebooks folder/);
    assert.throws(() => seedLab({ from, to: path.join(from, "lab") }), /inside the notebooks folder/);
    assert.throws(() => seedLab({ from, to: path.join(os.tmpdir(), "lab-outside") }), /outside the project .*could not import "workbook"/);
    fs.writeFileSync(path.join(tmp, "file"), "x");
    assert.throws(() => seedLab({ from, to: path.join(tmp, "file") }), /exists and is not a folder/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("labLaunch opens lab/ (beside notebooks/, never notebooks/) with the project's kernel first on JUPYTER_PATH", () => {
  assert.equal(LAB_DIR, path.join(ROOT, "lab"));
  assert.equal(path.dirname(LAB_DIR), path.dirname(NOTEBOOKS_DIR), "same depth, so relative paths and \"workbook\" resolve as from notebooks/");
  const l = labLaunch("/usr/bin/jupyter-lab", { args: ["--no-browser"], jupyterPath: JUPYTER_PATH, env: { JUPYTER_PATH: "/theirs" } });
  assert.equal(l.cwd, LAB_DIR);
  assert.equal(l.env.JUPYTER_PATH, `${JUPYTER_PATH}${path.delimiter}/theirs`);
  assert.equal(l.args.at(-1), "--no-browser");
  assert.throws(() => labLaunch("", { jupyterPath: JUPYTER_PATH }), /no Jupyter front end/);
  const ignored = spawnSync("git", ["check-ignore", "-q", path.join(LAB_DIR, "01_baseline.ipynb")], { cwd: ROOT });
  assert.equal(ignored.status, 0, "git ignores lab/");
});

test("npm run lab starts the front end in the working folder and says what it copied", { timeout: 240_000 }, () => {
  const tmp = repoTmp("lab-script-");
  try {
    // A stand-in jupyter-lab that records where and how it was started.
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    const record = path.join(tmp, "started.json");
    fs.writeFileSync(path.join(bin, "jupyter-lab"), `#!/bin/sh\nprintf '{"cwd":"%s","jupyterPath":"%s","args":"%s"}' "$PWD" "$JUPYTER_PATH" "$*" > ${JSON.stringify(record)}\n`, { mode: 0o755 });
    const work = path.join(tmp, "work");
    const before = snapshot(NOTEBOOKS_DIR);
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "lab.ts"), "--no-browser"], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin${path.delimiter}/bin`, WORKBOOK_LAB_DIR: work },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const started = JSON.parse(fs.readFileSync(record, "utf8")) as { cwd: string; jupyterPath: string; args: string };
    assert.equal(fs.realpathSync(started.cwd), fs.realpathSync(work));
    assert.equal(started.jupyterPath.split(path.delimiter)[0], JUPYTER_PATH);
    assert.match(started.args, /--no-browser/);
    const names = Object.keys(before).filter((f) => f.endsWith(".ipynb"));
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.endsWith(".ipynb")).sort(), names);
    assert.match(r.stdout, new RegExp(`copied from notebooks/: ${names.join(", ").replaceAll(".", "\\.")}`));
    assert.match(r.stdout, /Starting jupyter-lab .*--no-browser in outputs\/lab-script-\w+\/work\//);
    assert.deepEqual(snapshot(NOTEBOOKS_DIR), before);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// npm run lab without jupyter-lab: a stand-in Python answers the version probe (or fails it) and records how serve.py was started.
function runLabWithoutJupyterLab(tmp: string, python: "ok" | "missing") {
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const record = path.join(tmp, "started.json");
  const probe = python === "ok" ? 'echo "1.23.3 2.16.5"; exit 0' : "exit 1";
  fs.writeFileSync(path.join(bin, "python3"), `#!/bin/sh\nif [ "$1" = "-c" ]; then ${probe}; fi\nprintf '{"cwd":"%s","app":"%s","config":"%s","args":"%s"}' "$PWD" "$WORKBOOK_LAB_APP_DIR" "$JUPYTER_CONFIG_PATH" "$*" > ${JSON.stringify(record)}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "jupyter-notebook"), `#!/bin/sh\nprintf '{"cwd":"%s","app":"notebook","config":"%s","args":"%s"}' "$PWD" "$JUPYTER_CONFIG_PATH" "$*" > ${JSON.stringify(record)}\n`, { mode: 0o755 });
  const PATH = [bin, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "lab.ts"), "--no-browser"], {
    cwd: ROOT,
    env: { ...process.env, PATH, WORKBOOK_LAB_DIR: path.join(tmp, "work"), WORKBOOK_LAB_PYTHON: path.join(bin, "python3") },
    encoding: "utf8",
  });
  return { r, started: fs.existsSync(record) ? (JSON.parse(fs.readFileSync(record, "utf8")) as { cwd: string; app: string; config: string; args: string }) : undefined, PATH };
}

test("npm run lab without jupyter-lab serves the JupyterLab frontend it builds with Debian's jupyter_server, and says so first", { timeout: 300_000 }, (t) => {
  const tmp = repoTmp("lab-built-");
  try {
    const { r, started, PATH } = runLabWithoutJupyterLab(tmp, "ok");
    if (findJupyter({ PATH }).lab) return t.skip("a jupyter-lab is installed in /usr/bin: npm run lab uses it");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.split("\n")[0], /^Opening the JupyterLab 3\.6 frontend built from the @jupyterlab npm packages, served by jupyter_server 1\.23\.3 \+ jupyterlab_server 2\.16\.5/);
    assert.ok(started, "serve.py was started");
    assert.equal(fs.realpathSync(started.cwd), fs.realpathSync(path.join(tmp, "work")));
    assert.match(started.args, /tools\/jupyterlab\/serve\.py (--allow-root )?--no-browser$/);
    assert.ok(fs.existsSync(path.join(started.app, "static", "app.js")) && fs.existsSync(path.join(started.app, "templates", "index.html")), `the frontend is built in ${started.app}`);
    assert.equal(started.config.split(path.delimiter)[0], LAB_CONFIG_DIR, "the pre-save hook config comes along");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("npm run lab falls back to the classic Notebook where neither jupyter-lab nor Debian's JupyterLab server is installed, and says why first", { timeout: 240_000 }, (t) => {
  const tmp = repoTmp("lab-classic-");
  try {
    const { r, started, PATH } = runLabWithoutJupyterLab(tmp, "missing");
    if (findJupyter({ PATH }).lab) return t.skip("a jupyter-lab is installed in /usr/bin: npm run lab uses it");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.split("\n")[0], /^Opening the classic Jupyter Notebook \(.*jupyter-notebook\): no jupyter-lab, and JupyterLab's server packages are not installed: sudo apt-get install python3-jupyter-server python3-jupyterlab-server$/m);
    assert.equal(started?.app, "notebook");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

const notebookApp = findJupyter().notebook;

// A headless classic Notebook server in `cwd` (the user's Jupyter folders replaced by `scratch`), answering its REST API.
async function startNotebookServer(cwd: string, env: NodeJS.ProcessEnv, scratch: string) {
  const [port] = await freePorts(1);
  const token = randomUUID().replaceAll("-", "");
  const args = [...(process.getuid?.() === 0 ? ["--allow-root"] : []), "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--NotebookApp.token=${token}`, "--NotebookApp.password="];
  const server = spawn(notebookApp!, args, { cwd, env: { ...env, ...scratchJupyterEnv(scratch) }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  server.stderr!.on("data", (d) => (log = (log + d).slice(-3000)));
  const base = `http://127.0.0.1:${port}/api/contents`;
  const headers = { Authorization: `token ${token}`, "Content-Type": "application/json" };
  const stop = async () => {
    server.kill("SIGTERM");
    await Promise.race([new Promise((r) => server.once("exit", r)), new Promise((r) => setTimeout(r, 10_000))]);
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  };
  const deadline = Date.now() + 60_000;
  let listing: { content: { name: string }[] } | undefined;
  while (!listing && Date.now() < deadline) {
    if (server.exitCode !== null) break;
    listing = (await fetch(base, { headers }).then((r) => (r.ok ? r.json() : undefined), () => undefined)) as typeof listing;
    if (!listing) await new Promise((r) => setTimeout(r, 250));
  }
  if (!listing) {
    await stop();
    throw new Error(`jupyter-notebook did not answer: ${log}`);
  }
  const put = (file: string, nb: Notebook) => fetch(`${base}/${file}`, { method: "PUT", headers, body: JSON.stringify({ type: "notebook", format: "json", content: nb }) });
  return { listing, put, stop, log: () => log };
}

function withOutputs(nb: Notebook): { nb: Notebook; cell: number } {
  const cell = nb.cells.findIndex((c) => c.cell_type === "code");
  nb.cells[cell].outputs = [{ output_type: "stream", name: "stdout", text: "an output\n" }];
  nb.cells[cell].execution_count = 1;
  nb.cells[cell].metadata.execution = { "iopub.execute_input": "2026-01-01T00:00:00Z" };
  nb.metadata = { ...nb.metadata, widgets: { "application/vnd.jupyter.widget-state+json": {} } };
  return { nb, cell };
}

test("a notebook saved with outputs through Jupyter's REST API lands in the working copy; the committed notebook is unchanged", { skip: notebookApp ? false : INSTALL_HINTS.notebook, timeout: 120_000 }, async () => {
  const tmp = repoTmp("lab-rest-");
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lab-rest-"));
  const committed = path.join(NOTEBOOKS_DIR, "01_baseline.ipynb");
  const before = snapshot(NOTEBOOKS_DIR);
  const seed = seedLab({ to: path.join(tmp, "lab") });
  const launch = labLaunch(notebookApp!, { dir: seed.dir, jupyterPath: JUPYTER_PATH });
  const server = await startNotebookServer(launch.cwd, launch.env, scratch);
  try {
    assert.ok(server.listing.content.some((e) => e.name === "01_baseline.ipynb"), "the server's root is the working folder");
    const { nb, cell } = withOutputs(readNotebook(committed));
    const saved = await server.put("01_baseline.ipynb", nb);
    assert.ok(saved.ok, `PUT failed: ${saved.status}`);
    const problems = notebookProblems(readNotebook(path.join(seed.dir, "01_baseline.ipynb")));
    assert.ok(problems.includes(`cell ${cell}: has stale outputs`), `the working copy holds the output: ${problems}`);
    // notebooks/ is outside the server's root: a save there is refused.
    const escape = await server.put("..%2Fnotebooks%2F01_baseline.ipynb", nb);
    assert.ok(!escape.ok, `a save outside the working folder was accepted (${escape.status})`);
    assert.deepEqual(snapshot(NOTEBOOKS_DIR), before, "notebooks/ unchanged");
    assert.deepEqual(notebookProblems(readNotebook(committed)), []);
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test("the pre-save hook npm run lab adds strips outputs from a notebook saved inside notebooks/, and only there", { skip: notebookApp ? false : INSTALL_HINTS.notebook, timeout: 120_000 }, async () => {
  assert.equal(labLaunch("jupyter-lab", { jupyterPath: JUPYTER_PATH, env: {} }).env.JUPYTER_CONFIG_PATH, LAB_CONFIG_DIR);
  assert.equal(labLaunch("jupyter-lab", { jupyterPath: JUPYTER_PATH, env: { JUPYTER_CONFIG_PATH: "/theirs" } }).env.JUPYTER_CONFIG_PATH, `${LAB_CONFIG_DIR}${path.delimiter}/theirs`);
  // A stand-in project: the hook finds notebooks/ from where its config file lies.
  const project = repoTmp("lab-hook-");
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lab-hook-"));
  const config = path.join(project, path.relative(ROOT, LAB_CONFIG_DIR));
  fs.cpSync(LAB_CONFIG_DIR, config, { recursive: true });
  const clean = makeNotebook([["markdown", "# t"], ["code", "console.log(1);"]]);
  writeNotebook(clean, path.join(project, "notebooks", "a.ipynb"));
  writeNotebook(clean, path.join(project, "lab", "a.ipynb"));
  const server = await startNotebookServer(project, { ...process.env, JUPYTER_CONFIG_PATH: config }, scratch);
  try {
    for (const file of ["notebooks/a.ipynb", "lab/a.ipynb"]) {
      const saved = await server.put(file, withOutputs(readNotebook(path.join(project, file))).nb);
      assert.ok(saved.ok, `PUT ${file} failed: ${saved.status} ${server.log()}`);
    }
    const committed = readNotebook(path.join(project, "notebooks", "a.ipynb"));
    assert.deepEqual(notebookProblems(committed), [], "saved inside notebooks/: stripped");
    assert.equal(committed.cells.length, 2);
    assert.equal([committed.cells[1].source].flat().join(""), "console.log(1);", "the source is kept");
    assert.deepEqual(notebookProblems(readNotebook(path.join(project, "lab", "a.ipynb"))), ["cell 1: has stale outputs", "cell 1: has run timestamps (metadata.execution)", "notebook metadata holds saved widget state (metadata.widgets)"], "saved elsewhere: kept as it is");
  } finally {
    await server.stop();
    fs.rmSync(project, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
