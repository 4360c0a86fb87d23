/**
 * Plain-text tables and numbers for the analysis commands' stderr output.
 * Text from result files (scenario names, paths, error messages) is passed
 * through sanitizeForTerminal so a file cannot drive the terminal.
 */
import { sanitizeForTerminal } from "../base/log.ts";

/** Right-aligned columns unless marked "l"; two spaces between columns; each line indented by `indent`. */
export function formatTable(header: string[], rows: string[][], opts: { align?: ("l" | "r")[]; indent?: string } = {}): string {
  const all = [header, ...rows].map((r) => r.map((c) => sanitizeForTerminal(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? "")].length)));
  const align = opts.align ?? header.map((_, i) => (i === 0 ? "l" : "r"));
  const indent = opts.indent ?? "  ";
  const line = (r: string[]) =>
    indent +
    r
      .map((c, i) => {
        const pad = " ".repeat(Math.max(0, widths[i]! - [...c].length));
        return align[i] === "l" ? c + pad : pad + c;
      })
      .join("  ")
      .trimEnd();
  return all.map(line).join("\n") + "\n";
}

/** A number for a table cell: fixed decimals, "-" for null/NaN. */
export function cell(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  return x.toFixed(digits);
}

/** A relative change as "+12.3%"; "-" when undefined (a zero or missing base). */
export function percentCell(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return "-";
  const s = (fraction * 100).toFixed(1);
  return fraction > 0 ? `+${s}%` : `${s}%`;
}

const BARS = "▁▂▃▄▅▆▇█";

/** A text sparkline of `values` (oldest first), one bar per value; flat series draw mid-height. */
export function sparkline(values: (number | null)[]): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return "";
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return " ";
      if (hi === lo) return BARS[3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))];
    })
    .join("");
}

/** Safe text from a result file for the terminal. */
export function clean(text: string): string {
  return sanitizeForTerminal(text);
}
