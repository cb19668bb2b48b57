// Charts in notebooks and reports: PNG drawn in Node (resvg, shipped fonts),
// interactive HTML whose every chart loads plotly.js on its own (from the page
// or the copy beside the notebook), a data-URI image and a PNG as the fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { Figure, figureHtml, figureToPng, figureToSvg, mimeBundle, plotlyAssetName, plotlyJs, plotlyLoaderHtml, plotlyLoaderScript, PLOTLY_ASSET_DIR, PLOTLY_MIME, saveFigure } from "../../lib/plotting/figure";
import { plotMetrics } from "../../lib/benchmark/plotMetrics";
import { makeNotebook } from "../../tools/notebook/nbformat";
import { NotebookClient } from "../../tools/notebook/notebookClient";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "../../tools/notebook/setup";

const perf = {
  "BERT baseline": { sizeMb: 19.7, timeAvgMs: 7.1, timeStdMs: 0.3, accuracy: 0.772 },
  Distillation: { sizeMb: 13.6, timeAvgMs: 3.9, timeStdMs: 0.2, accuracy: 0.78 },
};

function pngSize(png: Buffer): [number, number] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  assert.equal(png.subarray(12, 16).toString(), "IHDR");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

test("figureToPng draws the SVG in Node at 2x, and its text renders (shipped DejaVu fonts)", () => {
  const fig = plotMetrics(perf as any, "Distillation");
  const png = figureToPng(fig);
  assert.deepEqual(pngSize(png), [1560, 880]);
  // With no font, text draws nothing: a different title must give different pixels.
  const other = figureToPng({ ...fig, layout: { ...fig.layout, title: { text: "Something else entirely" } } });
  const none = figureToPng({ ...fig, layout: { ...fig.layout, title: { text: "" } } });
  assert.notDeepEqual(png, other);
  assert.notDeepEqual(png, none);
  assert.ok(png.length > none.length, "the title adds ink");
  assert.deepEqual(pngSize(figureToPng(fig, { scale: 1 })), [780, 440]);
  assert.throws(() => figureToPng(fig, { scale: 0 }), { message: "figureToPng: scale must be in (0, 8], got 0" });
});

test("saveFigure writes the interactive HTML and the PNG of the same figure, without a browser", () => {
  const fig = plotMetrics(perf as any, "Distillation");
  const dir = tmpDir();
  const { html, png } = saveFigure(fig, path.join(dir, "chart"));
  assert.deepEqual(fs.readFileSync(png), figureToPng(fig));
  const page = fs.readFileSync(html, "utf8");
  // The page plots exactly the figure's traces and axis ranges.
  const call = page.match(/Plotly\.newPlot\("fig", (.*), (.*), (\{"staticPlot".*\})\);<\/script><\/body>/);
  assert.ok(call, "newPlot call");
  assert.deepEqual(JSON.parse(call[1]), fig.data);
  const layout = JSON.parse(call[2]);
  assert.deepEqual([layout.xaxis.range, layout.yaxis.range], [fig.layout.xaxis.range, fig.layout.yaxis.range]);
  assert.ok(page.includes("window.Plotly"), "plotly.js inlined");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the notebook HTML: a loader, a data-URI image fallback in the chart's own div, replaced by plotly when it loads; plotly.js inlined only when asked", () => {
  const fig: Figure = { data: [{ type: "scatter", x: [1, 2], y: [3, 4], name: "</script><b>x</b>" }], layout: { title: { text: "T" } } };
  const a = figureHtml(fig, { divId: "fig-a" });
  const b = figureHtml(fig);
  const loader = plotlyLoaderScript();
  assert.ok(a.startsWith(loader), "every chart carries the loader, so none depends on an earlier one");
  const img = `<img alt="T" style="max-width:100%" src="data:image/svg+xml;base64,${Buffer.from(figureToSvg(fig)).toString("base64")}">`;
  assert.ok(a.slice(loader.length).startsWith(`<div id="fig-a" class="workbook-figure">${img}</div>`), "the static chart is an image sanitizers keep");
  assert.ok(!a.includes("<svg"), "no inline <svg> (the untrusted Notebook strips it)");
  assert.match(a, /document\.getElementById\("fig-a"\)/);
  assert.ok(!a.includes("</script><b>"), "data cannot close the script");
  assert.equal(a.match(/<\/script>/g)!.length, 2);
  assert.notEqual(b.match(/<div id="([^"]+)"/)![1], "fig-a", "each chart draws into its own div");
  assert.ok(!a.includes("window.Plotly=") && a.length < 20_000, "no plotly.js unless asked");
  assert.ok(figureHtml(fig, { includePlotlyJs: true }).startsWith(plotlyLoaderHtml()));
  assert.throws(() => figureHtml(fig, { bogus: 1 } as any), { message: "figureHtml: unknown option(s) bogus (includePlotlyJs, divId, notebookPath, assetFolders)" });
  assert.ok(plotlyLoaderHtml().startsWith('<script type="text/javascript">(function (define, module, exports) {'), "require.js's define is shadowed");
  assert.ok(plotlyLoaderHtml().endsWith("}).call(window, undefined, undefined, undefined);</script>"));
  assert.ok(plotlyJs().length < fs.statSync(require.resolve("plotly.js-dist")).size / 2, "minified");
  assert.equal(plotlyLoaderHtml().match(/<\/script/gi)!.length, 1);
});

test("every display bundle: plotly JSON (JupyterLab), HTML with the loader, and a PNG image fallback", () => {
  const fig: Figure = { data: [{ type: "scatter", x: [1, 2], y: [3, 4.123456789], name: "s" }], layout: { title: { text: "T" } } };
  for (let k = 0; k < 2; k++) {
    const bundle = mimeBundle(fig, { notebookPath: "notebooks/03.ipynb" });
    assert.deepEqual(Object.keys(bundle), [PLOTLY_MIME, "text/html", "image/png"]);
    assert.deepEqual((bundle[PLOTLY_MIME] as Figure).data[0].y, [3, 4.1235], "numbers rounded to 5 digits");
    assert.ok((bundle["text/html"] as string).startsWith(plotlyLoaderScript({ notebookPath: "notebooks/03.ipynb" })), `bundle ${k} loads plotly.js itself`);
    assert.deepEqual(Buffer.from(bundle["image/png"] as string, "base64"), figureToPng(bundle[PLOTLY_MIME] as Figure, { scale: 1 }));
  }
  assert.throws(() => mimeBundle(fig, { includePlotlyJs: true } as any), { message: "mimeBundle: unknown option(s) includePlotlyJs (notebookPath, assetFolders)" });
});

test("the loader resolves window.Plotly once per page: from the page, else from /files/<notebook folder>/workbook-assets via require.js or a script tag, then the kernel's folder, else leaves the image", () => {
  const vm = require("node:vm") as typeof import("node:vm");
  const js = plotlyLoaderScript({ notebookPath: "hint/nb.ipynb", assetFolders: ["notebooks"] }).replace(/^<script type="text\/javascript">/, "").replace(/<\/script>$/, "");
  const asset = `${PLOTLY_ASSET_DIR}/${plotlyAssetName()}`;
  const run = (opts: { plotly?: boolean; body?: Record<string, string>; path?: string; requirejs?: boolean; serves?: string[] }) => {
    const tried: string[] = [];
    const window: any = { location: { pathname: opts.path ?? "/" } };
    if (opts.plotly) window.Plotly = {};
    const serves = (url: string) => (opts.serves ?? []).includes(url);
    if (opts.requirejs) {
      const paths: any = {};
      window.requirejs = Object.assign((mods: string[], ok: (p: unknown) => void, fail: () => void) => {
        const url = `${paths[mods[0]]}.js`;
        tried.push(url);
        if (serves(url)) ok({ newPlot() {} });
        else fail();
      }, { config: (c: any) => Object.assign(paths, c.paths) });
      window.define = Object.assign(() => {}, { amd: {} });
    }
    const document = {
      body: { getAttribute: (k: string) => opts.body?.[k] ?? null },
      getElementById: () => null,
      createElement: () => ({}),
      head: { appendChild: (s: any) => { tried.push(s.src); if (serves(s.src)) { window.Plotly = {}; s.onload(); } else s.onerror(); } },
    };
    const ctx = vm.createContext({ window, document, decodeURI, encodeURI, JSON });
    vm.runInContext(js, ctx);
    vm.runInContext(js, ctx); // a second chart's loader does nothing new
    const results: boolean[] = [];
    window.__workbookPlotly((ok: boolean) => results.push(ok));
    return { tried, results, window };
  };
  let r = run({ plotly: true });
  assert.deepEqual([r.tried, r.results], [[], [true]], "plotly.js already on the page");
  r = run({ body: { "data-base-url": "/base/", "data-notebook-path": "nbs/03.ipynb" }, requirejs: true, serves: [`/base/files/nbs/${asset}`] });
  assert.deepEqual([r.tried, r.results, !!r.window.Plotly], [[`/base/files/nbs/${asset}`], [true], true], "classic Notebook: through require.js");
  r = run({ path: "/lab/tree/outputs/notebooks/03.ipynb", serves: [`/files/notebooks/${asset}`] });
  assert.deepEqual([r.tried, r.results], [[`/files/outputs/notebooks/${asset}`, `/files/notebooks/${asset}`], [true]], "JupyterLab URL: a script tag; an executed copy elsewhere falls back to the kernel's folder");
  r = run({ path: "/lab/tree/outputs/notebooks/03.ipynb", requirejs: true, serves: [`/files/notebooks/${asset}`] });
  assert.deepEqual([r.tried, r.results], [[`/files/outputs/notebooks/${asset}`, `/files/notebooks/${asset}`], [true]], "require.js: the next folder after a failure");
  r = run({ path: "/somewhere" });
  assert.deepEqual([r.tried, r.results], [[`/files/hint/${asset}`, `/files/notebooks/${asset}`], [false]], "the kernel's hint; when nothing loads the image stays");
  assert.throws(() => plotlyLoaderScript({ notebook: "x" } as any), { message: "plotlyLoaderScript: unknown option(s) notebook (notebookPath, assetFolders)" });
});

test("showFigure in a tslab kernel: one bundle per chart, each loading plotly.js itself (re-running the first cell loses nothing); plotly.js written beside the notebook once", { timeout: 120_000 }, async () => {
  setupNotebooks({ quiet: true });
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-fig-"));
  const nb = makeNotebook([
    ["code", 'import { showFigure, lineChart } from "workbook";\nconst fig = lineChart([{ name: "s", x: [1, 2, 3], y: [2, 1, 3] }], { title: "t" });\nshowFigure(fig);'],
    ["code", "showFigure(fig);"],
  ]);
  await new NotebookClient(nb, { cwd: dir, env: { JUPYTER_PATH }, timeout: 60 }).execute();
  const [first, second] = nb.cells.map((c) => c.outputs as any[]);
  assert.equal(first.length, 1);
  assert.equal(first[0].output_type, "display_data");
  assert.deepEqual(first[0].data[PLOTLY_MIME].data[0].y, [2, 1, 3]);
  assert.equal(second[0].output_type, "display_data");
  for (const out of [first[0], second[0]]) {
    const h: string = out.data["text/html"];
    assert.ok(h.includes("window.__workbookPlotly") && h.length < 30_000, "each chart carries the small loader, not plotly.js");
    assert.ok(h.includes('src="data:image/svg+xml;base64,'), "each keeps its image fallback");
    assert.ok(h.includes(JSON.stringify([`${path.relative(ROOT, dir)}/`])), "the kernel's folder, relative to the project, as the second place to look");
    assert.ok(Buffer.from(out.data["image/png"], "base64").subarray(1, 4).toString() === "PNG", "and a PNG");
  }
  const asset = path.join(dir, PLOTLY_ASSET_DIR, plotlyAssetName());
  assert.equal(fs.readFileSync(asset, "utf8"), plotlyJs(), "plotly.js beside the notebook, for /files/ to serve");
  fs.rmSync(dir, { recursive: true, force: true });
});
