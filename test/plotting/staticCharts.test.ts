// Charts that read right at every size: distinct colours/markers for many rows,
// bubbles inside the plot area, axis titles inside the image, points off the
// frame, and dense charts in a compact form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Figure, figureToSvg, mimeBundle, seriesStyle, textWidth } from "../../lib/plotting/figure";
import { plotMetrics, PLOT_METRICS_MIN_AREA } from "../../lib/benchmark/plotMetrics";
import { plotRosenbrockContour } from "../../lib/hpo/visualization";
import { accuracyVsSparsityFigure } from "../../lib/pruning/plots";

/** The chapter's rows and then some: 16 optimisations of very different sizes, speeds and accuracies. */
function manyRows(n = 16) {
  const perf: Record<string, { sizeMb: number; timeAvgMs: number; timeStdMs: number; accuracy: number }> = {};
  for (let i = 0; i < n; i++) perf[`Row ${i} ${"x".repeat(i % 3)}`] = { sizeMb: i === 0 ? 418 : 5 + ((i * 37) % 120), timeAvgMs: i === 0 ? 60 : 1 + ((i * 13) % 40), timeStdMs: 0.1, accuracy: i === 0 ? 0.867 : 0.1 + ((i * 7) % 80) / 100 };
  return perf;
}

test("13+ rows get distinct colour/marker pairs, in the interactive and the static chart", () => {
  const fig = plotMetrics(manyRows(16) as any, "Row 5 xx");
  const pairs = fig.data.map((t) => `${(t.marker as any).color}/${String((t.marker as any).symbol).replace(/-open$/, "")}`);
  assert.equal(new Set(pairs).size, 16, pairs.join(" "));
  assert.notEqual((fig.data[10].marker as any).color, (fig.data[0].marker as any).color, "the 11th row has its own colour");
  const svg = figureToSvg(fig);
  const strokes = [...svg.matchAll(/<circle cx="[^"]+" cy="[^"]+" r="[^"]+" fill="[^"]+" fill-opacity="[^"]+" stroke="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(strokes).size, 16, "the static chart's bubbles: one colour each");
  const styles = Array.from({ length: 80 }, (_, i) => seriesStyle(i));
  assert.equal(new Set(styles.map((s) => `${s.color}/${s.symbol}`)).size, 80);
  assert.throws(() => seriesStyle(-1), { message: "seriesStyle: the index must be a whole number ≥ 0, got -1" });
  // A line chart with no colours set: the static renderer's own palette does not repeat after ten.
  const lines: Figure = { data: Array.from({ length: 13 }, (_, i) => ({ type: "scatter", mode: "lines", name: `s${i}`, x: [0, 1], y: [i, i + 1] })), layout: {} };
  const lineColours = [...figureToSvg(lines).matchAll(/<polyline fill="none" stroke="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(lineColours).size, 13);
});

test("the largest bubble fits whole in the smallest plot area the frontends use, and in the static chart", () => {
  for (const perf of [manyRows(16), manyRows(2), { a: { sizeMb: 400, timeAvgMs: 50, timeStdMs: 1, accuracy: 0.1 }, b: { sizeMb: 400, timeAvgMs: 0.2, timeStdMs: 1, accuracy: 0.99 } }]) {
    const fig = plotMetrics(perf as any, Object.keys(perf)[0]);
    const { height, margin } = fig.layout;
    assert.equal(height - margin.t - margin.b, PLOT_METRICS_MIN_AREA.height, "the plot height is fixed by the layout");
    // The static chart sizes bubbles as plotly does (its ms2mrc: radius = sqrt(size / (2 · sizeref))), 30 px for the largest.
    const big = fig.data.reduce((a, b) => ((a.marker as any).size[0] >= (b.marker as any).size[0] ? a : b));
    const plotlyRadius = Math.sqrt((big.marker as any).size[0] / (2 * (big.marker as any).sizeref));
    assert.ok(Math.abs(plotlyRadius - 30) < 1e-6, `largest bubble radius ${plotlyRadius}`);
    const radii = [...figureToSvg(fig).matchAll(/<circle cx="[^"]+" cy="[^"]+" r="([\d.]+)" fill="[^"]+" fill-opacity/g)].map((m) => Number(m[1]));
    assert.ok(Math.abs(Math.max(...radii) - plotlyRadius) < 1e-6, `static radius ${Math.max(...radii)} vs plotly's ${plotlyRadius}`);
    const [x0, x1] = fig.layout.xaxis.range;
    const [y0, y1] = fig.layout.yaxis.range;
    // The interactive chart at its smallest plot area, and the static SVG's (780×440: 480×330).
    for (const [w, h] of [[PLOT_METRICS_MIN_AREA.width, PLOT_METRICS_MIN_AREA.height], [480, 330], [696, 300]]) {
      for (const t of fig.data) {
        const m = t.marker as any;
        const r = Math.sqrt((2 * m.size[0]) / m.sizeref) / 2 + m.line.width / 2; // plotly's area sizing: radius sqrt(size / (2 sizeref))
        const px = (((t.x as number[])[0] - x0) / (x1 - x0)) * w;
        const py = (((t.y as number[])[0] - y0) / (y1 - y0)) * h;
        assert.ok(px >= r && px <= w - r && py >= r && py <= h - r, `${t.name} at (${px.toFixed(0)}, ${py.toFixed(0)}) of ${w}×${h} px, radius ${r.toFixed(0)}`);
      }
    }
  }
});

/** Every <text>'s horizontal extent (x ± half its width when centred; rotated titles along y). */
function textExtents(svg: string): { text: string; lo: number; hi: number; limit: number; axis: "x" | "y" }[] {
  const [, w, h] = svg.match(/^<svg [^>]*width="([\d.]+)" height="([\d.]+)"/)!.map(Number);
  const out: { text: string; lo: number; hi: number; limit: number; axis: "x" | "y" }[] = [];
  for (const m of svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)) {
    const attrs = m[1];
    const text = m[2].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/&quot;/g, '"');
    const size = Number(attrs.match(/font-size="([\d.]+)"/)?.[1] ?? 12);
    const half = textWidth(text, size) / 2;
    const rot = attrs.match(/translate\(([-\d.]+) ([-\d.]+)\) rotate\(-90\)/);
    const anchor = attrs.match(/text-anchor="(\w+)"/)?.[1] ?? "start";
    if (rot) out.push({ text, lo: Number(rot[2]) - half, hi: Number(rot[2]) + half, limit: h, axis: "y" });
    else {
      const x = Number(attrs.match(/ ?x="([-\d.]+)"/)![1]);
      const [lo, hi] = anchor === "middle" ? [x - half, x + half] : anchor === "end" ? [x - 2 * half, x] : [x, x + 2 * half];
      out.push({ text, lo, hi, limit: w, axis: "x" });
    }
  }
  return out;
}

test("static SVG titles fit within the image: long axis titles on narrow side-by-side panels and a long y title", () => {
  const names = ["numTrainEpochs", "temperature", "alpha", "learningRateOfTheStudent"];
  const fig: Figure = {
    data: names.map((n, i) => ({ type: "scatter", mode: "markers", x: [1, 2, 3], y: [0.5, 0.7, 0.6], xaxis: i ? `x${i + 1}` : "x", showlegend: false })),
    layout: { title: { text: "Slice plot" }, yaxis: { title: { text: "Objective value of a study with a very long name indeed, longer than the plot is tall" } }, ...Object.fromEntries(names.map((n, i) => [i ? `xaxis${i + 1}` : "xaxis", { title: { text: n } }])) },
  };
  const texts = textExtents(figureToSvg(fig));
  for (const n of names) assert.ok(texts.some((t) => t.text === n), n);
  for (const t of texts) assert.ok(t.lo >= 0 && t.hi <= t.limit, `"${t.text}" spans ${t.lo.toFixed(0)}..${t.hi.toFixed(0)} of ${t.limit}`);
  // Titles of neighbouring panels do not overlap.
  const xt = names.map((n) => texts.find((t) => t.text === n)!);
  for (let i = 1; i < xt.length; i++) assert.ok(xt[i].lo >= xt[i - 1].hi - 1, `"${xt[i - 1].text}" and "${xt[i].text}" overlap`);
});

test("static SVG: auto-ranged points never sit on the frame (the sparsity chart's 0% and 100%)", () => {
  const fig = accuracyVsSparsityFigure([{ method: "magnitude", sparsity: 0, accuracy: 0.8 }, { method: "magnitude", sparsity: 1, accuracy: 0.1 }], { baseline: 0.85 });
  const svg = figureToSvg(fig);
  const frame = svg.match(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="#f7f7f9"/)!.slice(1).map(Number);
  const [fx, fy, fw, fh] = frame;
  const points = [...svg.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)" r="([\d.]+)" fill="[^"]*" fill-opacity/g)].map((m) => m.slice(1).map(Number));
  assert.equal(points.length, 2);
  for (const [cx, cy, r] of points) assert.ok(cx - r > fx && cx + r < fx + fw && cy - r > fy && cy + r < fy + fh, `point (${cx}, ${cy}) r ${r} on the frame ${frame}`);
});

test("dense charts stay small: the Rosenbrock contour with a study's trials is one raster image and its whole display bundle under 150 kB", () => {
  const trials = Array.from({ length: 100 }, (_, i) => ({ params: { x: Math.sin(i) * 2, y: Math.cos(i * 1.3) * 2 }, value: i, state: "COMPLETE" }));
  const study = { direction: "minimize", getTrials: () => trials } as any;
  const fig = plotRosenbrockContour({ study });
  const svg = figureToSvg(fig);
  assert.equal((svg.match(/<image /g) ?? []).length, 1);
  assert.ok(svg.length < 30_000, `SVG ${svg.length} characters`);
  const bytes = JSON.stringify(mimeBundle(fig)).length;
  assert.ok(bytes < 150_000, `bundle ${bytes} bytes`);
  assert.throws(() => plotRosenbrockContour({ gridSize: 1 }), { message: "plotRosenbrockContour: gridSize must be a whole number in [2, 401], got 1" });
});
