// Plotly figure specs (plain JSON), their display in tslab, and static
// SVG/HTML/PNG renderings so a figure shows wherever the notebook is read.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { writeFileAtomic } from "../utils/fs";

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

/** A standalone HTML page with the interactive plotly chart (plotly.js inlined, no network). */
export function figureToHtml(fig: Figure, title = "Figure", options: { staticPlot?: boolean } = {}): string {
  const plotly = fs.readFileSync(require.resolve("plotly.js-dist"), "utf8");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title><script>${plotly}</script></head>
<body><div id="fig" style="width:900px;height:540px"></div>
<script>Plotly.newPlot("fig", ${JSON.stringify(fig.data)}, ${JSON.stringify({ ...fig.layout, width: 900, height: 540 })}, ${JSON.stringify({ staticPlot: options.staticPlot ?? false, displayModeBar: !options.staticPlot })});</script></body></html>`;
}

/** The chromium binary used for PNG rendering, if installed (Debian: /usr/bin/chromium). */
export function findChromium(): string | undefined {
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => fs.existsSync(p));
}

/**
 * Writes the figure as interactive HTML and, when Chromium is present, as a
 * PNG screenshot of that page. Returns the paths written.
 */
export function saveFigure(fig: Figure, basePath: string): { html: string; png?: string } {
  const html = `${basePath}.html`;
  writeFileAtomic(html, figureToHtml(fig, path.basename(basePath)));
  const chromium = findChromium();
  if (!chromium) return { html };
  const png = `${basePath}.png`;
  const tmp = `${png}.${process.pid}.tmp.png`;
  // The screenshot is of a static copy (no toolbar), deleted afterwards.
  const staticHtml = `${basePath}.${process.pid}.static.html`;
  writeFileAtomic(staticHtml, figureToHtml(fig, path.basename(basePath), { staticPlot: true }));
  const profile = fs.mkdtempSync(path.join(path.dirname(html), ".chromium-"));
  try {
    execFileSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`, "--hide-scrollbars", "--window-size=920,560", "--virtual-time-budget=5000", `--screenshot=${tmp}`, `file://${path.resolve(staticHtml)}`], { stdio: "ignore", timeout: 60_000 });
    fs.renameSync(tmp, png);
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(tmp, { force: true });
    fs.rmSync(staticHtml, { force: true });
  }
  return { html, png };
}

/** The mime bundle a notebook shows: plotly JSON (JupyterLab renders it) plus an SVG/HTML fallback. */
export function mimeBundle(fig: Figure): Record<string, unknown> {
  return { [PLOTLY_MIME]: fig, "text/html": figureToSvg(fig) };
}

/**
 * Shows a figure in a tslab notebook as one output carrying the plotly JSON
 * (JupyterLab renders it natively) and an SVG fallback (every other viewer).
 * Outside a notebook it does nothing.
 */
export function showFigure(fig: Figure): void {
  displayBundle(fig);
}

/** Sends the figure's mime bundle to the notebook; false outside a tslab kernel. */
export function displayBundle(fig: Figure): boolean {
  let jupyter: any;
  let tslab: any;
  try {
    tslab = require("tslab");
    jupyter = require("tslab/dist/jupyter");
  } catch {
    return false;
  }
  if (typeof jupyter?.lastWriteDisplayData === "function") {
    jupyter.lastWriteDisplayData({ data: mimeBundle(fig), metadata: {}, transient: {} }, false);
    return true;
  }
  try {
    tslab.display.raw(PLOTLY_MIME, fig as unknown as string);
    tslab.display.html(figureToSvg(fig));
    return true;
  } catch {
    return false; // not inside a running kernel
  }
}
