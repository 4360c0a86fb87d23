/**
 * The one writer of the Prometheus text exposition format 0.0.4, used by the
 * prometheus exporter (textfile-collector files, the Pushgateway) and the
 * live /metrics endpoint. Families are declared by their first sample; each
 * family's `# HELP` and `# TYPE` appear once, its samples together under
 * them, families in first-seen order. No timestamps. Output passes
 * `promtool check metrics` (test/exporters/prometheus.test.ts, test/monitoring).
 */
import type { SeriesStats } from "../base/summary-types.ts";

/** Label pairs in output order. */
export type Labels = [string, string][];
type FamilyType = "gauge" | "counter" | "summary";

interface Family {
  name: string;
  help: string;
  type: FamilyType;
  lines: string[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
/** A sample value: NaN, +Inf and -Inf as the format spells them. */
function value(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  return String(n);
}
function labelText(labels: Labels): string {
  return labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
}
/** 99.9 → "0.999" without float noise (99.9 / 100 is 0.9990000000000001). */
function quantileLabel(p: number): string {
  return String(Number((p / 100).toPrecision(12)));
}

/** A summary's samples: quantiles (percentile → value, seconds), _sum (seconds) and _count. */
export interface SummarySamples {
  quantiles: [number, number][];
  sumS: number;
  count: number;
}

/**
 * A summary from ms statistics: the given percentiles (default: every one the
 * statistics hold, plus the median as 0.5), NaN quantiles for an empty
 * series (Prometheus' convention), values in seconds. `stats` null: nothing
 * measured yet.
 */
export function summaryOfStats(stats: SeriesStats | null, percentiles?: readonly number[]): SummarySamples {
  const qs = new Map<number, number>();
  if (percentiles) for (const p of percentiles) qs.set(p, stats?.percentiles[`p${p}`] ?? NaN);
  else if (stats) {
    for (const [key, ms] of Object.entries(stats.percentiles)) {
      const p = Number(key.slice(1));
      if (key.startsWith("p") && Number.isFinite(p)) qs.set(p, ms);
    }
    if (!qs.has(50)) qs.set(50, stats.median);
  }
  const count = stats?.count ?? 0;
  const quantiles = [...qs.keys()].sort((a, b) => a - b).map((p): [number, number] => [p, count > 0 ? qs.get(p)! / 1000 : NaN]);
  return { quantiles, sumS: stats ? (stats.mean * count) / 1000 : 0, count };
}

export class PromText {
  private readonly byName = new Map<string, Family>();

  private family(name: string, type: FamilyType, help: string): Family {
    let f = this.byName.get(name);
    if (!f) {
      f = { name, help, type, lines: [] };
      this.byName.set(name, f);
    }
    return f;
  }

  gauge(name: string, help: string, labels: Labels, v: number): void {
    this.family(name, "gauge", help).lines.push(`${name}${labelText(labels)} ${value(v)}`);
  }

  /** A counter: the name ends in `_total` (promtool insists). */
  counter(name: string, help: string, labels: Labels, v: number): void {
    this.family(name, "counter", help).lines.push(`${name}${labelText(labels)} ${value(v)}`);
  }

  summary(name: string, help: string, labels: Labels, s: SummarySamples): void {
    const f = this.family(name, "summary", help);
    for (const [p, v] of s.quantiles) f.lines.push(`${name}${labelText([...labels, ["quantile", quantileLabel(p)]])} ${value(v)}`);
    f.lines.push(`${name}_sum${labelText(labels)} ${value(s.sumS)}`);
    f.lines.push(`${name}_count${labelText(labels)} ${value(s.count)}`);
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.byName.values()) out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...f.lines);
    return out.length ? out.join("\n") + "\n" : "";
  }
}
