// Charts in notebooks and reports: PNG drawn in Node (resvg, shipped fonts),
// interactive HTML with plotly.js inlined once per kernel session, the
// static SVG as the fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { Figure, figureHtml, figureToPng, figureToSvg, mimeBundle, plotlyJs, plotlyLoaderHtml, PLOTLY_MIME, saveFigure } from "../../lib/plotting/figure";
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

test("the notebook HTML: static SVG fallback in the chart's own div, replaced by plotly when it loads; plotly.js only when asked", () => {
  const fig: Figure = { data: [{ type: "scatter", x: [1, 2], y: [3, 4], name: "</script><b>x</b>" }], layout: { title: { text: "T" } } };
  const a = figureHtml(fig, { divId: "fig-a" });
  const b = figureHtml(fig);
  assert.ok(a.startsWith(`<div id="fig-a" class="workbook-figure">${figureToSvg(fig)}</div>`), "the SVG shows where no JavaScript runs");
  assert.match(a, /document\.getElementById\("fig-a"\)/);
  assert.ok(!a.includes("</script><b>"), "data cannot close the script");
  assert.equal(a.match(/<\/script>/g)!.length, 1);
  assert.notEqual(b.match(/id="([^"]+)"/)![1], "fig-a", "each chart draws into its own div");
  assert.ok(!a.includes("window.Plotly=") && a.length < 20_000, "no plotly.js unless asked");
  const bundle = mimeBundle(fig, { includePlotlyJs: true });
  assert.deepEqual(Object.keys(bundle), [PLOTLY_MIME, "text/html"]);
  assert.deepEqual(bundle[PLOTLY_MIME], fig);
  const html = bundle["text/html"] as string;
  assert.ok(html.startsWith(plotlyLoaderHtml()));
  assert.ok(plotlyLoaderHtml().startsWith('<script type="text/javascript">(function (define, module, exports) {'), "require.js's define is shadowed");
  assert.ok(plotlyLoaderHtml().endsWith("}).call(window, undefined, undefined, undefined);</script>"));
  assert.ok(plotlyJs().length < fs.statSync(require.resolve("plotly.js-dist")).size / 2, "minified");
  assert.equal(plotlyLoaderHtml().match(/<\/script/gi)!.length, 1);
});

test("showFigure in a tslab kernel: plotly JSON + HTML per chart, plotly.js inlined once per kernel session", { timeout: 120_000 }, async () => {
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
  const h1: string = first[0].data["text/html"];
  const h2: string = second[0].data["text/html"];
  assert.ok(h1.includes("(function (define, module, exports)") && h1.length > 1_000_000, "the first chart carries plotly.js");
  assert.ok(!h2.includes("(function (define, module, exports)") && h2.length < 20_000, "the second does not");
  assert.ok(h2.includes("<svg"), "each keeps its SVG fallback");
  fs.rmSync(dir, { recursive: true, force: true });
});
