// Plotly figure specs (plain JSON), their display in tslab, and static
// SVG/HTML/PNG renderings so a figure shows wherever the notebook is read.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../utils/fs";
import { findChromiumBinary } from "../utils/which";
import { logger as log } from "../utils/log";

export interface Trace {
  type: "scatter" | "bar" | "histogram" | "contour" | "heatmap" | "parcoords";
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

/**
 * The mime type of a plotly figure's JSON (JupyterLab's plotly renderer draws it).
 *
 * @example
 * mimeBundle(fig)[PLOTLY_MIME] === fig; // true; PLOTLY_MIME is "application/vnd.plotly.v1+json"
 */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

// Plotly's ten default colours, then ten more of distinct hue and lightness (d3's category20b/c darks).
const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#393b79", "#ad494a", "#8ca252", "#bd9e39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#000000",
];
const SYMBOLS = ["circle", "square", "diamond", "triangle-up"];

/**
 * The colour and marker of the i-th series: twenty distinct colours, then the
 * same colours with the next marker symbol, so no two of the first eighty
 * series look alike (plotly's own colorway repeats after ten).
 *
 * @example
 * seriesStyle(10); // { color: "#393b79", symbol: "circle" }: the 11th row no longer shares the 1st one's colour
 */
export function seriesStyle(i: number): { color: string; symbol: string } {
  if (!Number.isInteger(i) || i < 0) throw new Error(`seriesStyle: the index must be a whole number ≥ 0, got ${i}`);
  return { color: PALETTE[i % PALETTE.length], symbol: SYMBOLS[Math.floor(i / PALETTE.length) % SYMBOLS.length] };
}

/** An SVG marker of plotly's symbol name (circle, square, diamond, triangle-up; "-open" variants) of diameter d. */
function markerSvg(symbol: string, cx: number, cy: number, d: number, attrs: string): string {
  const r = Math.max(2, d / 2);
  const shape = symbol.replace(/-open$/, "");
  if (shape === "square") return `<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" ${attrs}/>`;
  if (shape === "diamond") return `<polygon points="${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}" ${attrs}/>`;
  if (shape === "triangle-up") return `<polygon points="${cx},${cy - r} ${cx + r},${cy + r * 0.8} ${cx - r},${cy + r * 0.8}" ${attrs}/>`;
  return `<circle cx="${cx}" cy="${cy}" r="${r}" ${attrs}/>`;
}

/**
 * About how wide `text` draws at `size` px in DejaVu Sans / the browsers'
 * sans-serif (0.62 em a character, an upper bound for Latin text): what the
 * static SVG uses to keep titles inside the image.
 *
 * @example textWidth("Average latency (ms)", 12); // 149
 */
export function textWidth(text: string, size = 12): number {
  return Math.ceil(text.length * size * 0.62);
}

/**
 * A centred text that fits within [lo, hi] (an axis title within its image):
 * the font shrinks (down to 8 px) if it is too long, and the centre moves in
 * so no character falls outside.
 */
function fittedText(text: string, centre: number, lo: number, hi: number, size = 12): { x: number; size: number } {
  const room = hi - lo;
  const fitted = Math.max(8, Math.min(size, Math.floor((size * room) / Math.max(1, textWidth(text, size)))));
  const half = textWidth(text, fitted) / 2;
  const x = Math.min(Math.max(centre, lo + half), hi - half);
  return { x: Number.isFinite(x) ? x : centre, size: fitted };
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / n));
  const mult = [1, 2, 5, 10].find((m) => span / (step * m) <= n) ?? 10;
  const s = step * mult;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / s) * s; t <= hi + 1e-9; t += s) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const COLORSCALES: Record<string, string[]> = {
  Viridis: ["#440154", "#3b528b", "#21908d", "#5dc963", "#fde725"],
  Blues: ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"],
};

/** A colour for t in [0, 1] from a named plotly colorscale (linear between its stops), as [r, g, b]. */
function rgbAt(scale: unknown, t: number, reverse = false): number[] {
  const c = colorAt(scale, t, reverse).slice(4, -1).split(",").map(Number);
  return c;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
/** A palette PNG (8-bit indices, row by row; alpha per palette entry). */
function indexedPng(width: number, height: number, pixels: Uint8Array, palette: number[][], alpha: number[]): Buffer {
  const zlib: typeof import("node:zlib") = require("node:zlib");
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8);
  const raw = Buffer.alloc((width + 1) * height);
  for (let r = 0; r < height; r++) raw.set(pixels.subarray(r * width, (r + 1) * width), r * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("PLTE", Buffer.from(palette.flat())),
    chunk("tRNS", Buffer.from(alpha)),
    chunk("IDAT", zlib.deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const GRID_LEVELS = 24;

/**
 * A contour or heatmap trace as one small raster image (a heatmap at half
 * the plot's resolution, 24 colour levels, drawn without smoothing, cells of any spacing; empty cells
 * take the nearest value, as plotly's connectgaps): a few kB however dense the grid.
 */
function gridImage(z: (number | null)[][], gx: number[], gy: number[], box: { x0: number; x1: number; y0: number; y1: number; dx: number[]; dy: number[] }, g: Trace): string {
  const known: [number, number, number][] = [];
  z.forEach((row, i) => row.forEach((v, j) => v !== null && Number.isFinite(v) && known.push([i, j, v])));
  if (!known.length) return "";
  const vals = known.map((k) => k[2]);
  const [z0, z1] = [Math.min(...vals), Math.max(...vals)];
  const filled = z.map((row, i) =>
    row.map((v, j) => {
      if (v !== null && Number.isFinite(v)) return v;
      let best = Infinity;
      let val = vals[0];
      for (const [ki, kj, kv] of known) {
        const d = ((ki - i) / z.length) ** 2 + ((kj - j) / row.length) ** 2;
        if (d < best) [best, val] = [d, kv];
      }
      return val;
    }),
  );
  // The cell holding a data coordinate: the nearest grid value, within half a cell beyond either end.
  const cellOf = (a: number[], v: number): number => {
    let best = -1;
    let dist = Infinity;
    a.forEach((c, k) => {
      const d = Math.abs(c - v);
      if (d < dist) [dist, best] = [d, k];
    });
    const lo = Math.min(a[0], a[a.length - 1]);
    const hi = Math.max(a[0], a[a.length - 1]);
    const half = a.length > 1 ? Math.abs(a[1] - a[0]) / 2 : 0.5;
    const halfEnd = a.length > 1 ? Math.abs(a[a.length - 1] - a[a.length - 2]) / 2 : 0.5;
    return v < lo - (a[0] <= a[a.length - 1] ? half : halfEnd) - 1e-12 || v > hi + (a[0] <= a[a.length - 1] ? halfEnd : half) + 1e-12 ? -1 : best;
  };
  const w = Math.max(1, Math.min(240, Math.ceil((box.x1 - box.x0) / 2)));
  const h = Math.max(1, Math.min(240, Math.ceil((box.y1 - box.y0) / 2)));
  const cols = Array.from({ length: w }, (_, c) => cellOf(gx, box.dx[0] + ((c + 0.5) / w) * (box.dx[1] - box.dx[0])));
  const rows = Array.from({ length: h }, (_, r) => cellOf(gy, box.dy[1] - ((r + 0.5) / h) * (box.dy[1] - box.dy[0])));
  const pixels = new Uint8Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const [i, j] = [rows[r], cols[c]];
      pixels[r * w + c] = i < 0 || j < 0 ? GRID_LEVELS : Math.min(GRID_LEVELS - 1, Math.floor(((filled[i][j] - z0) / (z1 - z0 || 1)) * GRID_LEVELS));
    }
  const palette = Array.from({ length: GRID_LEVELS }, (_, k) => rgbAt(g.colorscale, (k + 0.5) / GRID_LEVELS, g.reversescale as boolean));
  const png = indexedPng(w, h, pixels, [...palette, [255, 255, 255]], [...palette.map(() => 255), 0]);
  return `<image x="${box.x0}" y="${box.y0}" width="${box.x1 - box.x0}" height="${box.y1 - box.y0}" preserveAspectRatio="none" image-rendering="optimizeSpeed" href="data:image/png;base64,${png.toString("base64")}"/>`;
}

/** A colour for t in [0, 1] from a named plotly colorscale (linear between its stops). */
function colorAt(scale: unknown, t: number, reverse = false): string {
  const stops = COLORSCALES[String(scale)] ?? COLORSCALES.Viridis;
  let u = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1);
  if (reverse) u = 1 - u;
  const pos = u * (stops.length - 1);
  const i = Math.min(Math.floor(pos), stops.length - 2);
  const f = pos - i;
  const [a, b] = [stops[i], stops[i + 1]].map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

const title = (v: any) => (typeof v === "string" ? v : v?.text ?? "");
const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(4))));

/** Parallel coordinates: one vertical axis per dimension, one polyline per row coloured by line.color. */
function parcoordsSvg(fig: Figure, t: Trace, width: number, height: number): string {
  const m = { l: 60, r: 60, t: 70, b: 40 };
  const dims = (t.dimensions as { label: string; values: number[]; range?: number[]; tickvals?: number[]; ticktext?: string[] }[]) ?? [];
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const ax = (k: number) => m.l + (dims.length > 1 ? (k * pw) / (dims.length - 1) : pw / 2);
  const ranges = dims.map((d) => d.range ?? [Math.min(...d.values), Math.max(...d.values)]);
  const yOf = (k: number, v: number) => {
    const [lo, hi] = ranges[k];
    return m.t + ph - (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * ph;
  };
  const line = (t.line ?? {}) as { color?: number[]; colorscale?: string; reversescale?: boolean };
  const colors = line.color ?? [];
  const [c0, c1] = [Math.min(...colors), Math.max(...colors)];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`];
  if (fig.layout.title) out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${esc(title(fig.layout.title))}</text>`);
  const n = dims[0]?.values.length ?? 0;
  for (let r = 0; r < n; r++) {
    const c = colors.length ? colorAt(line.colorscale, (colors[r] - c0) / (c1 - c0 || 1), line.reversescale) : PALETTE[0];
    out.push(`<polyline fill="none" stroke="${c}" stroke-opacity="0.7" stroke-width="1.5" points="${dims.map((d, k) => `${ax(k)},${yOf(k, d.values[r])}`).join(" ")}"/>`);
  }
  dims.forEach((d, k) => {
    out.push(`<line x1="${ax(k)}" x2="${ax(k)}" y1="${m.t}" y2="${m.t + ph}" stroke="#444"/><text x="${ax(k)}" y="${m.t - 12}" text-anchor="middle">${esc(d.label)}</text>`);
    const ticks = d.tickvals ?? niceTicks(ranges[k][0], ranges[k][1], 4).filter((v) => v >= ranges[k][0] && v <= ranges[k][1]);
    ticks.forEach((v, i) => out.push(`<text x="${ax(k) - 5}" y="${yOf(k, v) + 4}" text-anchor="end" font-size="10">${esc(d.ticktext?.[i] ?? fmt(v))}</text>`));
  });
  out.push("</svg>");
  return out.join("\n");
}

/**
 * A static SVG of a figure: scatter, line, bar (vertical or horizontal),
 * contour and heatmap traces (a filled grid: empty cells take the nearest
 * value, as plotly's connectgaps), parallel coordinates, log axes, and side-by-side
 * subplots (traces on xaxis "x2", "x3"… placed by each axis's domain). Axis ranges come
 * from the layout when set. Not all of plotly: enough for the workbook's charts, so they
 * read without JavaScript (GitHub, exported HTML).
 *
 * @example
 * fs.writeFileSync("chart.svg", figureToSvg(fig)); // a static chart, 780×440 unless long legend names widen it
 */
export function figureToSvg(fig: Figure, width = 780, height = 440): string {
  const par = fig.data.find((t) => t.type === "parcoords");
  if (par) return parcoordsSvg(fig, par, width, height);
  // The legend's margin fits its longest name (about 7 px a character at 12 px), widening the image, never the plot.
  const names = fig.layout.showlegend === false ? [] : fig.data.filter((t) => t.name && t.showlegend !== false).map((t) => String(t.name));
  const legendWidth = Math.max(230, 40 + Math.ceil(7 * Math.max(0, ...names.map((n) => n.length))));
  const m = { l: 70, r: legendWidth, t: 50, b: 60 };
  const pw = width - m.l - 230;
  width = m.l + pw + m.r;
  const ph = height - m.t - m.b;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`];
  if (fig.layout.title) {
    const f = fittedText(title(fig.layout.title), m.l + pw / 2, 4, width - 4, 15);
    out.push(`<text x="${f.x}" y="28" text-anchor="middle" font-size="${f.size}">${esc(title(fig.layout.title))}</text>`);
  }
  const panels = [...new Set(fig.data.map((t) => String(t.xaxis ?? "x")))];
  const legend: string[] = [];
  let colorIndex = 0;
  panels.forEach((axisId, p) => {
    const key = axisId === "x" ? "xaxis" : `xaxis${axisId.slice(1)}`;
    const xl = fig.layout[key] ?? {};
    const yl = fig.layout.yaxis ?? {};
    const dom: number[] = xl.domain ?? (panels.length > 1 ? [p / panels.length + 0.02, (p + 1) / panels.length - 0.02] : [0, 1]);
    const px0 = m.l + dom[0] * pw;
    const pwi = (dom[1] - dom[0]) * pw;
    const traces = fig.data.filter((t) => String(t.xaxis ?? "x") === axisId);
    const xlog = xl.type === "log";
    const ylog = yl.type === "log";
    const tx = (v: number) => (xlog ? Math.log10(v) : v);
    const ty = (v: number) => (ylog ? Math.log10(v) : v);
    // Category axes: strings map to their index.
    const xcats = [...new Set(traces.flatMap((t) => ((t.x ?? []) as unknown[]).filter((v) => typeof v === "string") as string[]))];
    const ycats = [...new Set(traces.flatMap((t) => ((t.y ?? []) as unknown[]).filter((v) => typeof v === "string") as string[]))];
    const xnum = (v: unknown) => (typeof v === "string" ? xcats.indexOf(v) : tx(v as number));
    const ynum = (v: unknown) => (typeof v === "string" ? ycats.indexOf(v) : ty(v as number));
    const grids = traces.filter((t) => (t.type === "contour" || t.type === "heatmap") && t.z);
    const plain = traces.filter((t) => t.type !== "contour" && t.type !== "heatmap" && t.x && t.y);
    const horizontalBars = plain.filter((t) => t.type === "bar" && t.orientation === "h");
    const xs = [...plain.flatMap((t) => (t.x as unknown[]).map(xnum)), ...grids.flatMap((t) => ((t.x as number[]) ?? []).map(tx))].filter(Number.isFinite);
    const ys = [...plain.flatMap((t) => ((t.y as unknown[]) ?? []).map(ynum)), ...grids.flatMap((t) => ((t.y as number[]) ?? []).map(ty))].filter(Number.isFinite);
    const legacy = !grids.length && !xcats.length && !horizontalBars.length;
    const xr: number[] = xl.range ? xl.range.map(tx) : legacy ? [Math.min(...xs, 0), Math.max(...xs, 1)] : [Math.min(...xs, horizontalBars.length ? 0 : Infinity), Math.max(...xs)];
    const yr: number[] = yl.range ? yl.range.map(ty) : [Math.min(...ys), Math.max(...ys)];
    // Auto ranges leave 5% each side (as plotly's autorange does for markers), so no point sits on the frame;
    // the zero a bar stands on stays the edge.
    const bars = plain.some((t) => t.type === "bar");
    const pad = (r: number[], keepLow: boolean) => {
      const d = (r[1] - r[0]) * 0.05;
      if (Number.isFinite(d) && d > 0) [r[0], r[1]] = [keepLow ? r[0] : r[0] - d, r[1] + d];
    };
    if (!grids.length && !xl.range && !xcats.length) pad(xr, bars && horizontalBars.length > 0);
    if (!grids.length && !yl.range && !ycats.length) pad(yr, bars && !horizontalBars.length);
    if (xcats.length) [xr[0], xr[1]] = [-0.5, xcats.length - 0.5];
    if (ycats.length) [yr[0], yr[1]] = [-0.5, ycats.length - 0.5];
    const [x0, x1] = xr[0] === xr[1] ? [xr[0] - 1, xr[1] + 1] : xr;
    const [y0, y1] = yr[0] === yr[1] ? [yr[0] - 1, yr[1] + 1] : yr;
    const sx = (v: number) => px0 + ((v - x0) / (x1 - x0)) * pwi;
    const sy = (v: number) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
    out.push(`<rect x="${px0}" y="${m.t}" width="${pwi}" height="${ph}" fill="#f7f7f9" stroke="#ccc"/>`);
    const tickLabel = (v: number, log: boolean) => (log ? `1e${v}` : String(v));
    const xticks = xcats.length ? xcats.map((_, i) => i) : xlog ? niceTicks(x0, x1).filter(Number.isInteger) : niceTicks(x0, x1);
    for (const t of xticks) out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.t}" y2="${m.t + ph}" stroke="#e2e2e2"/><text x="${sx(t)}" y="${m.t + ph + 16}" text-anchor="middle">${esc(xcats.length ? xcats[t] : tickLabel(t, xlog))}</text>`);
    if (p === 0) {
      const yticks = ycats.length ? ycats.map((_, i) => i) : ylog ? niceTicks(y0, y1).filter(Number.isInteger) : niceTicks(y0, y1);
      for (const t of yticks) out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e2e2e2"/><text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${esc(ycats.length ? ycats[t] : tickLabel(t, ylog))}</text>`);
      const f = fittedText(title(yl.title), m.t + ph / 2, 4, height - 4);
      out.push(`<text transform="translate(18 ${f.x}) rotate(-90)" text-anchor="middle" font-size="${f.size}">${esc(title(yl.title))}</text>`);
    }
    // Each panel's x title stays within its own share of the width (side-by-side panels never overlap or leave the image).
    const share = panels.length > 1 ? [p === 0 ? 4 : px0 - 8, p === panels.length - 1 ? width - 4 : px0 + pwi + 8] : [4, width - 4];
    const fx = fittedText(title(xl.title), px0 + pwi / 2, share[0], share[1]);
    out.push(`<text x="${fx.x}" y="${height - 15}" text-anchor="middle" font-size="${fx.size}">${esc(title(xl.title))}</text>`);
    out.push(`<clipPath id="plot${p}"><rect x="${px0}" y="${m.t}" width="${pwi}" height="${ph}"/></clipPath><g clip-path="url(#plot${p})">`);
    for (const g of grids) {
      const gx = (g.x as number[]) ?? g.z![0].map((_, i) => i);
      const gy = (g.y as number[]) ?? g.z!.map((_, i) => i);
      out.push(gridImage(g.z as (number | null)[][], gx.map(tx), gy.map(ty), { x0: sx(x0), x1: sx(x1), y0: sy(y1), y1: sy(y0), dx: [x0, x1], dy: [y0, y1] }, g));
    }
    plain.forEach((t) => {
      const k = colorIndex++;
      const mc = t.marker?.color;
      const color = (typeof mc === "string" ? mc : undefined) ?? (t.line?.color as string) ?? seriesStyle(k).color;
      const x = (t.x as unknown[]).map(xnum);
      const y = ((t.y ?? []) as unknown[]).map(ynum);
      if (t.type === "bar" && t.orientation === "h") {
        const h = (ph / Math.max(y.length, 1)) * 0.7;
        x.forEach((v, i) => out.push(`<rect x="${sx(Math.min(0, v))}" y="${sy(y[i]) - h / 2}" width="${Math.abs(sx(v) - sx(0))}" height="${h}" fill="${color}" opacity="0.8"/>`));
      } else if (t.type === "bar") {
        const w = x.length > 1 ? Math.abs(sx(x[1]) - sx(x[0])) * 0.9 : pwi / 10;
        x.forEach((v, i) => out.push(`<rect x="${sx(v) - w / 2}" y="${sy(Math.max(y[i], y0))}" width="${w}" height="${Math.abs(sy(y0) - sy(y[i]))}" fill="${color}" opacity="0.8"/>`));
      } else {
        const ok = (i: number) => Number.isFinite(x[i]) && Number.isFinite(y[i]);
        if (t.mode?.includes("lines")) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${x.map((v, i) => (ok(i) ? `${sx(v)},${sy(y[i])}` : "")).filter(Boolean).join(" ")}"/>`);
        if (!t.mode || t.mode.includes("markers")) {
          const sizes = Array.isArray(t.marker?.size) ? (t.marker!.size as number[]) : x.map(() => (t.marker?.size as number) ?? 8);
          const sizeref = (t.marker?.sizeref as number) ?? 1;
          const symbol = String(t.marker?.symbol ?? "circle");
          const open = symbol.includes("open");
          const shades = Array.isArray(mc) ? (mc as number[]) : undefined;
          const [s0, s1] = shades ? [Math.min(...shades), Math.max(...shades)] : [0, 1];
          x.forEach((v, i) => {
            if (!ok(i)) return;
            // plotly's "area" sizing: radius sqrt(size / (2 · sizeref)), so diameter sqrt(2 · size / sizeref)
            const d = t.marker?.sizemode === "area" ? Math.sqrt((2 * sizes[i]) / sizeref) : sizes[i];
            const fill = shades ? colorAt(t.marker?.colorscale ?? "Blues", 0.25 + (0.75 * (shades[i] - s0)) / (s1 - s0 || 1)) : color;
            out.push(markerSvg(symbol, sx(v), sy(y[i]), d, `fill="${open ? "none" : fill}" fill-opacity="${t.opacity ?? 0.6}" stroke="${shades ? "#555" : color}" stroke-width="${shades ? 0.5 : 2}"`));
          });
        }
      }
      if (t.name && t.showlegend !== false && fig.layout.showlegend !== false) legend.push(`${markerSvg(String(t.marker?.symbol ?? "circle").replace(/-open$/, ""), m.l + pw + 16, m.t + 10 + legend.length * 20, 12, `fill="${color}"`)}<text x="${m.l + pw + 28}" y="${m.t + 14 + legend.length * 20}">${esc(t.name)}</text>`);
    });
    out.push("</g>");
  });
  out.push(...legend, "</svg>");
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
 * The file name of the plotly.js copy a notebook's charts load
 * ({@link writePlotlyAsset} writes it under `workbook-assets/` beside the
 * notebook; the notebook server serves it at `/files/…`).
 *
 * @example plotlyAssetName(); // "plotly-2.35.2.min.js"
 */
export function plotlyAssetName(): string {
  const entry = require.resolve("plotly.js-dist");
  return `plotly-${JSON.parse(fs.readFileSync(path.join(path.dirname(entry), "package.json"), "utf8")).version}.min.js`;
}

/**
 * The folder, beside the notebook, that holds the plotly.js copy its charts load.
 *
 * @example path.join("notebooks", PLOTLY_ASSET_DIR); // "notebooks/workbook-assets"
 */
export const PLOTLY_ASSET_DIR = "workbook-assets";

/**
 * Writes the minified plotly.js to `<dir>/workbook-assets/plotly-<version>.min.js`
 * (once: an existing copy of the same size is kept) and returns its path.
 *
 * @example writePlotlyAsset("notebooks"); // "notebooks/workbook-assets/plotly-2.35.2.min.js"
 */
export function writePlotlyAsset(dir: string): string {
  if (typeof dir !== "string" || !dir) throw new Error(`writePlotlyAsset: dir must be a folder path, got ${JSON.stringify(dir)}`);
  if (!fs.existsSync(dir)) throw new Error(`writePlotlyAsset: no such folder: ${dir}`);
  const file = path.join(dir, PLOTLY_ASSET_DIR, plotlyAssetName());
  const js = plotlyJs();
  if (!fs.existsSync(file) || fs.statSync(file).size !== Buffer.byteLength(js)) writeFileAtomic(file, js);
  return file;
}

/**
 * The script every chart's HTML starts with: it resolves `window.Plotly`
 * once per page however cells were run, from (1) plotly.js already on the
 * page, else (2) the copy the notebook server serves at
 * `<base>/files/<notebook folder>/workbook-assets/plotly-<version>.min.js`
 * (through require.js where the classic Notebook has it, else a `<script src>`),
 * then (3) at `<base>/files/<folder>/workbook-assets/…` for each of
 * `assetFolders` (folders under the server root: the kernel's own working
 * folder, for an executed copy saved elsewhere), and calls the
 * `window.__workbookPlotly(callback)` callbacks when it is there. If none
 * loads, the static image stays. `notebookPath` (the notebook's path under
 * the server root, e.g. the kernel's JPY_SESSION_NAME) is used when the page
 * does not say (the classic Notebook's `data-notebook-path`, JupyterLab's and
 * Notebook 7's URL).
 *
 * @example html = plotlyLoaderScript({ notebookPath: "notebooks/03_hyperparameter_search.ipynb" }) + chartHtml;
 */
export function plotlyLoaderScript(options: { notebookPath?: string; assetFolders?: string[] } = {}): string {
  const unknown = Object.keys(options).filter((k) => !["notebookPath", "assetFolders"].includes(k));
  if (unknown.length) throw new Error(`plotlyLoaderScript: unknown option(s) ${unknown.join(", ")} (notebookPath, assetFolders)`);
  const folders = (options.assetFolders ?? []).map((f) => f.replace(/\\/g, "/").replace(/^\.?\/+|\/+$/g, "")).map((f) => (f && f !== "." ? `${f}/` : ""));
  const js = `(function () {
  if (window.__workbookPlotly) return;
  var waiting = [], state = "loading";
  function done(ok) { state = ok ? "ready" : "failed"; var w = waiting; waiting = []; for (var i = 0; i < w.length; i++) w[i](ok); }
  window.__workbookPlotly = function (cb) { if (state === "loading") waiting.push(cb); else cb(state === "ready"); };
  if (window.Plotly) return done(true);
  var body = document.body || { getAttribute: function () { return null; } };
  var base = body.getAttribute("data-base-url"), nb = body.getAttribute("data-notebook-path");
  var m = /^(.*?\\/)(?:lab\\/tree|doc\\/tree|notebooks|tree|edit|voila\\/render)\\/(.*\\.ipynb)/.exec(decodeURI(window.location.pathname));
  if (base === null) { try { base = JSON.parse(document.getElementById("jupyter-config-data").textContent).baseUrl; } catch (e) { base = m ? m[1] : "/"; } }
  if (!nb) nb = m ? m[2] : ${JSON.stringify(options.notebookPath ?? "")};
  var dirs = [nb.indexOf("/") >= 0 ? nb.slice(0, nb.lastIndexOf("/") + 1) : ""].concat(${JSON.stringify(folders)});
  var amd = typeof window.requirejs === "function" && typeof window.define === "function" && window.define.amd;
  function attempt(k) {
    if (k >= dirs.length) return done(false);
    if (dirs.indexOf(dirs[k]) < k) return attempt(k + 1);
    var url = base.replace(/\\/?$/, "/") + "files/" + encodeURI(dirs[k]) + ${JSON.stringify(`${PLOTLY_ASSET_DIR}/${plotlyAssetName()}`)};
    if (amd) {
      var name = "workbook-plotly-" + k, paths = {};
      paths[name] = url.replace(/\\.js$/, "");
      window.requirejs.config({ paths: paths });
      window.requirejs([name], function (P) { window.Plotly = window.Plotly || P; if (window.Plotly) done(true); else attempt(k + 1); }, function () { attempt(k + 1); });
    } else {
      var s = document.createElement("script");
      s.src = url; s.onload = function () { if (window.Plotly) done(true); else attempt(k + 1); }; s.onerror = function () { attempt(k + 1); };
      document.head.appendChild(s);
    }
  }
  attempt(0);
})();`;
  return `<script type="text/javascript">${scriptSafe(js)}</script>`;
}

/** The static SVG as a data-URI image: what an untrusted notebook, GitHub or nbviewer keeps (an inline <svg> is sanitized away). */
function staticImg(fig: Figure): string {
  const svg = figureToSvg(fig);
  const alt = esc(title(fig.layout.title) || "chart");
  return `<img alt="${alt}" style="max-width:100%" src="data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}">`;
}

/**
 * The HTML of one chart: a div holding the static chart as a data-URI image
 * (what shows where no JavaScript runs: GitHub, nbviewer, an untrusted
 * notebook) and a script that replaces it with the interactive plotly chart
 * once plotly.js is there. By default the loader of {@link plotlyLoaderScript}
 * comes first, so every chart finds plotly.js on its own, whichever cells ran
 * before; `includePlotlyJs` inlines plotly.js instead (a self-contained page).
 *
 * @example display.html(figureHtml(fig));
 */
export function figureHtml(fig: Figure, options: { includePlotlyJs?: boolean; divId?: string; notebookPath?: string; assetFolders?: string[] } = {}): string {
  const unknown = Object.keys(options).filter((k) => !["includePlotlyJs", "divId", "notebookPath", "assetFolders"].includes(k));
  if (unknown.length) throw new Error(`figureHtml: unknown option(s) ${unknown.join(", ")} (includePlotlyJs, divId, notebookPath, assetFolders)`);
  const id = options.divId ?? `workbook-figure-${process.pid}-${Date.now().toString(36)}-${figureCounter++}`;
  const layout = { height: 440, ...fig.layout };
  const draw = `(function () {
  var el = document.getElementById(${JSON.stringify(id)});
  var data = ${jsonForScript(fig.data)}, layout = ${jsonForScript(layout)};
  function draw() {
    if (!el || !window.Plotly) return;
    el.innerHTML = "";
    window.Plotly.newPlot(el, data, layout, { responsive: true, displaylogo: false });
  }
  if (window.Plotly) draw(); else if (window.__workbookPlotly) window.__workbookPlotly(draw);
})();`;
  const loader = options.includePlotlyJs ? plotlyLoaderHtml() : plotlyLoaderScript({ notebookPath: options.notebookPath, assetFolders: options.assetFolders });
  return `${loader}<div id="${id}" class="workbook-figure">${staticImg(fig)}</div>\n<script type="text/javascript">${scriptSafe(draw)}</script>`;
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

/** Numbers rounded to 5 significant digits, so dense data (a contour's grid) costs fewer bytes in the notebook. */
function compact(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(5)) : v;
  if (Array.isArray(v)) return v.map(compact);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)]));
  return v;
}

/**
 * The mime bundle a notebook shows, in one output: the plotly JSON
 * (JupyterLab's plotly renderer draws it), `text/html` (the plotly.js loader,
 * the static chart as a data-URI image, and the script that draws the
 * interactive chart: see {@link figureHtml}) and `image/png` (the static
 * chart, what a frontend shows when it does not trust or render the others).
 * Numbers are rounded to 5 significant digits.
 *
 * @example Object.keys(mimeBundle(fig)); // ["application/vnd.plotly.v1+json", "text/html", "image/png"]
 */
export function mimeBundle(fig: Figure, options: { notebookPath?: string; assetFolders?: string[] } = {}): Record<string, unknown> {
  const unknown = Object.keys(options).filter((k) => !["notebookPath", "assetFolders"].includes(k));
  if (unknown.length) throw new Error(`mimeBundle: unknown option(s) ${unknown.join(", ")} (notebookPath, assetFolders)`);
  const small = compact(fig) as Figure;
  return { [PLOTLY_MIME]: small, "text/html": figureHtml(small, options), "image/png": figureToPng(small, { scale: 1 }).toString("base64") };
}

/**
 * Shows a figure in a tslab notebook as one output: the plotly JSON
 * (JupyterLab), HTML (the classic Notebook: each chart loads plotly.js on its
 * own, from the page or from the copy beside the notebook) and a PNG (where
 * no JavaScript runs). Outside a notebook it does nothing.
 *
 * @example showFigure(plotMetrics(perfMetrics, "Distillation"));
 */
export function showFigure(fig: Figure): void {
  displayBundle(fig);
}

/**
 * Sends the figure's mime bundle to the notebook, after making sure the
 * plotly.js copy its HTML loads is beside the notebook (the kernel's working
 * folder); false outside a tslab kernel.
 *
 * @example if (!displayBundle(fig)) saveFigure(fig, "chart");
 */
export function displayBundle(fig: Figure): boolean {
  let jupyter: any;
  try {
    // tslab's public `display` sends one mime type per output; a chart needs a bundle (plotly JSON for
    // JupyterLab, HTML for the Notebook, a PNG) in one output, which only its kernel module's writer sends.
    // tslab is pinned in package.json; test/plotting checks this function is still there.
    jupyter = require("tslab/dist/jupyter");
  } catch {
    return false;
  }
  if (typeof jupyter?.lastWriteDisplayData !== "function") return false; // not inside a running kernel
  try {
    writePlotlyAsset(process.cwd());
  } catch (e) {
    log.warn(`showFigure: could not write plotly.js beside the notebook (${(e as Error).message}); the chart shows as a static image where plotly.js is not already loaded`);
  }
  // The kernel's folder relative to the project root (lib/plotting or dist/plotting sit two levels below it):
  // where an executed copy saved elsewhere in the project finds plotly.js when the server serves the project.
  const rel = path.relative(path.resolve(__dirname, "..", ".."), process.cwd());
  const assetFolders = rel.startsWith("..") || path.isAbsolute(rel) ? [] : [rel.split(path.sep).join("/")];
  const bundle = mimeBundle(fig, { notebookPath: process.env.JPY_SESSION_NAME, assetFolders });
  jupyter.lastWriteDisplayData({ data: bundle, metadata: {}, transient: {} }, false);
  return true;
}
