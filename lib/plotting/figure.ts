// Plotly figure specs (plain JSON), their display in tslab, and static
// SVG/HTML/PNG renderings so a figure shows wherever the notebook is read.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../utils/fs";
import { findChromiumBinary } from "../notebook/jupyter";

export interface Trace {
  type: "scatter" | "bar" | "histogram" | "contour";
  name?: string;
  x?: number[] | string[];
  y?: number[];
  z?: number[][];
  mode?: "markers" | "lines" | "lines+markers" | "markers+text";
  text?: string[];
  textposition?: string;
  marker?: Record<string, unknown>;
  line?: Record<string, unknown>;
  opacity?: number;
  nbinsx?: number;
  [k: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout: Record<string, any>;
}

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / n));
  const mult = [1, 2, 5, 10].find((m) => span / (step * m) <= n) ?? 10;
  const s = step * mult;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / s) * s; t <= hi + 1e-9; t += s) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * A static SVG of scatter, line and bar traces (axis ranges from the layout
 * when set). Not all of plotly: enough for the workbook's charts, so they
 * read without JavaScript (GitHub, exported HTML).
 */
export function figureToSvg(fig: Figure, width = 780, height = 440): string {
  const m = { l: 70, r: 230, t: 50, b: 60 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const numeric = fig.data.filter((t) => t.type !== "contour" && t.x && t.y && typeof t.x[0] === "number");
  const xs = numeric.flatMap((t) => t.x as number[]);
  const ys = numeric.flatMap((t) => t.y as number[]);
  const xr: number[] = fig.layout.xaxis?.range ?? [Math.min(...xs, 0), Math.max(...xs, 1)];
  const yr: number[] = fig.layout.yaxis?.range ?? [Math.min(...ys), Math.max(...ys)];
  const [x0, x1] = xr[0] === xr[1] ? [xr[0] - 1, xr[1] + 1] : xr;
  const [y0, y1] = yr[0] === yr[1] ? [yr[0] - 1, yr[1] + 1] : yr;
  const sx = (v: number) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`];
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="#f7f7f9" stroke="#ccc"/>`);
  for (const t of niceTicks(x0, x1)) out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.t}" y2="${m.t + ph}" stroke="#e2e2e2"/><text x="${sx(t)}" y="${m.t + ph + 16}" text-anchor="middle">${t}</text>`);
  for (const t of niceTicks(y0, y1)) out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e2e2e2"/><text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
  const title = (v: any) => (typeof v === "string" ? v : v?.text ?? "");
  if (fig.layout.title) out.push(`<text x="${m.l + pw / 2}" y="28" text-anchor="middle" font-size="15">${esc(title(fig.layout.title))}</text>`);
  out.push(`<text x="${m.l + pw / 2}" y="${height - 15}" text-anchor="middle">${esc(title(fig.layout.xaxis?.title))}</text>`);
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(title(fig.layout.yaxis?.title))}</text>`);
  out.push(`<clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath><g clip-path="url(#plot)">`);
  const legend: string[] = [];
  numeric.forEach((t, k) => {
    const color = (t.marker?.color as string) ?? (t.line?.color as string) ?? PALETTE[k % PALETTE.length];
    const x = t.x as number[];
    const y = t.y!;
    if (t.type === "bar") {
      const w = x.length > 1 ? Math.abs(sx(x[1]) - sx(x[0])) * 0.9 : pw / 10;
      x.forEach((v, i) => out.push(`<rect x="${sx(v) - w / 2}" y="${sy(Math.max(y[i], y0))}" width="${w}" height="${Math.abs(sy(y0) - sy(y[i]))}" fill="${color}" opacity="0.8"/>`));
    } else {
      if (t.mode?.includes("lines")) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${x.map((v, i) => `${sx(v)},${sy(y[i])}`).join(" ")}"/>`);
      if (!t.mode || t.mode.includes("markers")) {
        const sizes = Array.isArray(t.marker?.size) ? (t.marker!.size as number[]) : x.map(() => (t.marker?.size as number) ?? 8);
        const sizeref = (t.marker?.sizeref as number) ?? 1;
        const open = String(t.marker?.symbol ?? "").includes("open");
        x.forEach((v, i) => {
          // plotly "area" sizing: diameter = sqrt(size / sizeref)
          const d = t.marker?.sizemode === "area" ? Math.sqrt(sizes[i] / sizeref) : sizes[i];
          out.push(`<circle cx="${sx(v)}" cy="${sy(y[i])}" r="${Math.max(2, d / 2)}" fill="${open ? "none" : color}" fill-opacity="${t.opacity ?? 0.6}" stroke="${color}" stroke-width="2"/>`);
        });
      }
    }
    if (t.name) legend.push(`<circle cx="${m.l + pw + 16}" cy="${m.t + 10 + legend.length * 20}" r="6" fill="${color}"/><text x="${m.l + pw + 28}" y="${m.t + 14 + legend.length * 20}">${esc(t.name)}</text>`);
  });
  out.push("</g>", ...legend, "</svg>");
  return out.join("\n");
}

// plotly.js, minified once per plotly/esbuild version and cached on disk
// (the 11 MB bundle becomes ~4.9 MB; minifying takes about a second).
let plotlyMinCache: string | undefined;

/**
 * plotly.js (the `plotly.js-dist` bundle), minified with esbuild the first
 * time and read from `node_modules/.cache/workbook/` afterwards.
 *
 * @example const js = plotlyJs(); // "…window.Plotly=…"
 */
export function plotlyJs(): string {
  if (plotlyMinCache) return plotlyMinCache;
  const entry = require.resolve("plotly.js-dist");
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), "package.json"), "utf8")).version;
  const esbuild: typeof import("esbuild") = require("esbuild");
  const name = `plotly-${version}-esbuild-${esbuild.version}.min.js`;
  const dirs = [path.join(path.dirname(entry), "..", ".cache", "workbook"), path.join(os.tmpdir(), "workbook-cache")];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return (plotlyMinCache = fs.readFileSync(file, "utf8"));
  }
  const code = `/* plotly.js v${version} (MIT license), minified */\n` + esbuild.transformSync(fs.readFileSync(entry, "utf8"), { minify: true, legalComments: "none" }).code;
  for (const dir of dirs) {
    try {
      writeFileAtomic(path.join(dir, name), code);
      break;
    } catch {
      /* read-only: try the next folder, else keep it in memory only */
    }
  }
  return (plotlyMinCache = code);
}

// Text safe inside an HTML <script> element.
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}
function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/**
 * A `<script>` that defines `window.Plotly` from the inlined, minified
 * plotly.js, also under the classic Notebook's require.js: `define`,
 * `module` and `exports` are shadowed, so the bundle takes its browser-global
 * path instead of registering an anonymous AMD module.
 *
 * @example html = plotlyLoaderHtml() + chartHtml;
 */
export function plotlyLoaderHtml(): string {
  return `<script type="text/javascript">(function (define, module, exports) {\n${scriptSafe(plotlyJs())}\n}).call(window, undefined, undefined, undefined);</script>`;
}

let figureCounter = 0;

/**
 * The HTML of one chart: a div holding the static SVG (what shows where no
 * JavaScript runs: GitHub, nbviewer, an untrusted notebook) and a script that
 * replaces it with the interactive plotly chart once `window.Plotly` exists.
 * With `includePlotlyJs`, plotly.js itself is inlined first.
 *
 * @example display.html(figureHtml(fig, { includePlotlyJs: true }));
 */
export function figureHtml(fig: Figure, options: { includePlotlyJs?: boolean; divId?: string } = {}): string {
  const unknown = Object.keys(options).filter((k) => !["includePlotlyJs", "divId"].includes(k));
  if (unknown.length) throw new Error(`figureHtml: unknown option(s) ${unknown.join(", ")} (includePlotlyJs, divId)`);
  const id = options.divId ?? `workbook-figure-${process.pid}-${Date.now().toString(36)}-${figureCounter++}`;
  const layout = { height: 440, ...fig.layout };
  const draw = `(function () {
  var el = document.getElementById(${JSON.stringify(id)});
  var data = ${jsonForScript(fig.data)}, layout = ${jsonForScript(layout)};
  function draw() {
    if (!el || !window.Plotly) return false;
    el.innerHTML = "";
    window.Plotly.newPlot(el, data, layout, { responsive: true, displaylogo: false });
    return true;
  }
  if (!draw()) { var tries = 0, timer = setInterval(function () { if (draw() || ++tries > 50) clearInterval(timer); }, 100); }
})();`;
  return `${options.includePlotlyJs ? plotlyLoaderHtml() : ""}<div id="${id}" class="workbook-figure">${figureToSvg(fig)}</div>\n<script type="text/javascript">${scriptSafe(draw)}</script>`;
}

/**
 * A standalone HTML page with the interactive plotly chart (plotly.js inlined, no network).
 *
 * @example writeFileAtomic("chart.html", figureToHtml(fig, "Accuracy vs latency"));
 */
export function figureToHtml(fig: Figure, title = "Figure", options: { staticPlot?: boolean } = {}): string {
  const unknown = Object.keys(options).filter((k) => k !== "staticPlot");
  if (unknown.length) throw new Error(`figureToHtml: unknown option(s) ${unknown.join(", ")} (staticPlot)`);
  const config = { staticPlot: options.staticPlot ?? false, displayModeBar: !options.staticPlot, displaylogo: false };
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title><script>${scriptSafe(plotlyJs())}</script></head>
<body><div id="fig" style="width:900px;height:540px"></div>
<script>Plotly.newPlot("fig", ${jsonForScript(fig.data)}, ${jsonForScript({ ...fig.layout, width: 900, height: 540 })}, ${JSON.stringify(config)});</script></body></html>`;
}

/**
 * The Chromium binary on PATH, if any (only the browser check needs it: PNGs are drawn in Node).
 *
 * @example findChromium(); // "/usr/bin/chromium" or undefined
 */
export function findChromium(): string | undefined {
  return findChromiumBinary();
}

/** The fonts the PNG renderer uses: DejaVu Sans from npm, so text renders on a machine without fonts. */
function pngFonts(): string[] {
  const dir = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  return ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => path.join(dir, f));
}

/**
 * The figure as a PNG, drawn in Node by resvg from the same SVG that
 * {@link figureToSvg} makes (no browser), at `scale` times its size.
 *
 * @example fs.writeFileSync("chart.png", figureToPng(fig));
 */
export function figureToPng(fig: Figure, options: { scale?: number } = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new Error(`figureToPng: scale must be in (0, 8], got ${scale}`);
  const { Resvg } = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
  const renderer = new Resvg(figureToSvg(fig), {
    font: { loadSystemFonts: false, fontFiles: pngFonts(), defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
  });
  return renderer.render().asPng();
}

/**
 * Writes the figure as interactive HTML (plotly.js inlined) and as a PNG
 * drawn in Node from the figure's SVG; both come from the same figure, so
 * they show the same traces and axis ranges. Returns the paths written.
 *
 * @example saveFigure(plotMetrics(perf, "Distillation"), "outputs/report/perf_metrics");
 */
export function saveFigure(fig: Figure, basePath: string): { html: string; png: string } {
  const html = `${basePath}.html`;
  const png = `${basePath}.png`;
  writeFileAtomic(html, figureToHtml(fig, path.basename(basePath)));
  writeFileAtomic(png, figureToPng(fig));
  return { html, png };
}

/**
 * The mime bundle a notebook shows: the plotly JSON (JupyterLab's plotly
 * renderer draws it) and `text/html` with the interactive chart for the
 * classic Notebook and the static SVG fallback (see {@link figureHtml}).
 *
 * @example mimeBundle(fig)["text/html"]; // "<div id=…><svg …"
 */
export function mimeBundle(fig: Figure, options: { includePlotlyJs?: boolean } = {}): Record<string, unknown> {
  return { [PLOTLY_MIME]: fig, "text/html": figureHtml(fig, options) };
}

/**
 * Shows a figure in a tslab notebook as one output: the plotly JSON
 * (JupyterLab) and HTML (the classic Notebook: plotly.js is inlined in the
 * first chart of the kernel session only; the static SVG shows where no
 * JavaScript runs). Outside a notebook it does nothing.
 *
 * @example showFigure(plotMetrics(perfMetrics, "Distillation"));
 */
export function showFigure(fig: Figure): void {
  displayBundle(fig);
}

// Whether this kernel session has sent plotly.js to the front end yet.
let plotlySent = false;

/**
 * Sends the figure's mime bundle to the notebook (plotly.js with the first
 * one of the session); false outside a tslab kernel.
 *
 * @example if (!displayBundle(fig)) saveFigure(fig, "chart");
 */
export function displayBundle(fig: Figure): boolean {
  let jupyter: any;
  try {
    jupyter = require("tslab/dist/jupyter");
  } catch {
    return false;
  }
  if (typeof jupyter?.lastWriteDisplayData !== "function") return false; // not inside a running kernel
  const bundle = mimeBundle(fig, { includePlotlyJs: !plotlySent });
  jupyter.lastWriteDisplayData({ data: bundle, metadata: {}, transient: {} }, false);
  plotlySent = true;
  return true;
}
