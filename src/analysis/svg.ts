/**
 * Inline SVG line charts for the HTML report, generated here so the report
 * is one self-contained file (no chart library, no network). Every text
 * that reaches the markup goes through escapeHtml.
 */
import type { Point } from "./timeseries.ts";
import { niceStep } from "./timeseries.ts";

/** Escape text for HTML/SVG text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Colour-blind-friendly palette (Okabe–Ito), one colour per run. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

export interface ChartSeries {
  name: string;
  points: Point[];
  color?: string;
  /** With `markers`: one label per point (e.g. the sweep level). */
  pointLabels?: string[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Draw steps (CDFs, binned rates) instead of straight segments. */
  step?: boolean;
  /** Force the y range (CDF: [0, 1]). */
  yRange?: [number, number];
  /** Start the y axis at 0 (rates, counts). */
  yFromZero?: boolean;
  /** Start the x axis at 0. */
  xFromZero?: boolean;
  /** A marker on every point, with its label (from `pointLabels`, same order) as tooltip and text beside it. */
  markers?: boolean;
  width?: number;
  height?: number;
}

/** Tick values covering [lo, hi] at a 1-2-5 step, about `count` of them. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep((hi - lo) / count);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function tickText(v: number, all: number[]): string {
  const step = all.length > 1 ? Math.abs(all[1]! - all[0]!) : Math.abs(v) || 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** An SVG coordinate to 0.1 px (shorter markup, no visible difference). */
function coord(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** The range of the data padded to tick boundaries. */
function range(values: number[], fromZero: boolean): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (fromZero) lo = Math.min(0, lo);
  if (!(hi > lo)) {
    const pad = Math.abs(hi) * 0.1 || 1;
    return [fromZero ? 0 : lo - pad, hi + pad];
  }
  const step = niceStep((hi - lo) / 5);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/** One chart as an `<svg>` element string. An empty chart says "no data". */
export function lineChart(opts: ChartOptions): string {
  const W = opts.width ?? 520;
  const H = opts.height ?? 320;
  const margin = { left: 64, right: 16, top: 44, bottom: 46 };
  const pw = W - margin.left - margin.right;
  const ph = H - margin.top - margin.bottom;
  const series = opts.series.filter((s) => s.points.length > 0);
  const parts: string[] = [];
  parts.push(`<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(opts.title)}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${margin.left}" y="18" class="title">${escapeHtml(opts.title)}</text>`);
  if (series.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text></svg>`);
    return parts.join("");
  }
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = range(xs, opts.xFromZero ?? false);
  const [y0, y1] = opts.yRange ?? range(ys, opts.yFromZero ?? false);
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => margin.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;

  const xt = ticks(x0, x1, 6);
  const yt = ticks(y0, y1, 5);
  for (const t of yt) parts.push(`<line x1="${margin.left}" x2="${margin.left + pw}" y1="${coord(sy(t))}" y2="${coord(sy(t))}" class="grid"/><text x="${margin.left - 6}" y="${coord(sy(t) + 4)}" text-anchor="end" class="tick">${tickText(t, yt)}</text>`);
  for (const t of xt) parts.push(`<line x1="${coord(sx(t))}" x2="${coord(sx(t))}" y1="${margin.top}" y2="${margin.top + ph}" class="grid"/><text x="${coord(sx(t))}" y="${margin.top + ph + 16}" text-anchor="middle" class="tick">${tickText(t, xt)}</text>`);
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" class="frame"/>`);
  parts.push(`<text x="${margin.left + pw / 2}" y="${H - 8}" text-anchor="middle" class="axis">${escapeHtml(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${margin.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeHtml(opts.yLabel)}</text>`);

  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    let d = "";
    s.points.forEach(([x, y], k) => {
      if (k === 0) d += `M${coord(sx(x))} ${coord(sy(y))}`;
      else if (opts.step) d += `H${coord(sx(x))}V${coord(sy(y))}`;
      else d += `L${coord(sx(x))} ${coord(sy(y))}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8" class="series"><title>${escapeHtml(s.name)}</title></path>`);
    if (!opts.markers) return;
    s.points.forEach(([x, y], k) => {
      const label = escapeHtml(s.pointLabels?.[k] ?? "");
      parts.push(`<circle cx="${coord(sx(x))}" cy="${coord(sy(y))}" r="3.5" fill="${color}"><title>${label}</title></circle>`);
      if (label) parts.push(`<text x="${coord(sx(x) + 6)}" y="${coord(sy(y) - 6)}" class="tick">${label}</text>`);
    });
  });
  // Legend on one line under the title; long names are cut so the chart keeps its size.
  let lx = margin.left;
  series.forEach((s, i) => {
    const name = s.name.length > 28 ? `${s.name.slice(0, 27)}…` : s.name;
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    if (lx > W - 60) return;
    parts.push(`<rect x="${lx}" y="27" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="36" class="legend">${escapeHtml(name)}</text>`);
    lx += 24 + name.length * 6.2;
  });
  parts.push("</svg>");
  return parts.join("");
}
