/**
 * The Grafana dashboard cannot drift from what vbench exports: every metric
 * and label a panel's PromQL names must appear in the output of the real
 * renderers (renderPrometheus for final results, renderLiveMetrics for the
 * live endpoint), and every selector filters by the dashboard's variables.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderPrometheus } from "../../plugins/exporters/prometheus.ts";
import { LiveRun } from "../../src/monitoring/live-state.ts";
import { LiveAggregator, renderLiveMetrics } from "../../src/monitoring/live-render.ts";
import { sampleResult } from "../exporters/sample-result.ts";
import { REPO } from "../helpers/vbench.ts";

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(REPO, "configs/grafana/vbench-prometheus.json"), "utf8")) as {
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
};

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Metric names and exposition label names vbench really exports (summaries also as _sum/_count). */
function exported(): { metrics: Set<string>; labels: Set<string> } {
  // A result with every optional family: goodput, achieved rate, failures, thresholds, a sweep variant.
  const r = sampleResult({ variant: "c8" });
  const live = new LiveRun();
  live.begin({ runId: "r", scenario: "s", variant: "c8", model: "m", backend: "b" });
  for (const rec of r.records) {
    live.onDispatch();
    live.onRecord(rec);
  }
  const text = renderPrometheus([r]) + renderLiveMetrics(live.snapshot(), new LiveAggregator());
  const metrics = new Set<string>();
  const labels = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      metrics.add(type[1]!);
      if (type[2] === "summary") metrics.add(`${type[1]}_sum`).add(`${type[1]}_count`);
    } else if (line && !line.startsWith("#")) {
      for (const m of line.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(m[1]!);
    }
  }
  return { metrics, labels };
}

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan"]);

/** Metric names in a PromQL expression: identifiers outside strings, label matchers and ranges, not called as functions. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ");
  const words = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].filter((m) => !/^\s*\(/.test(bare.slice(m.index! + m[0].length)));
  return words.map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
}

/** Each `metric{matchers}` selector of an expression. */
function selectors(expr: string): { metric: string; matchers: string }[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({ metric: m[1]!, matchers: m[2]! }));
}

describe("Grafana dashboard (Prometheus)", () => {
  const panels = allPanels(dashboard.panels);
  const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
  const { metrics, labels } = exported();

  test("the metric parser sees through functions, matchers, ranges and grouping", () => {
    expect(metricNames('sum by (scenario) (rate(vbench_a_total{x="y{z}"}[5m])) / on(scenario) vbench_b')).toEqual(["vbench_a_total", "vbench_b"]);
  });

  test("every panel query names only metric families vbench exports", () => {
    expect(queries.length).toBeGreaterThan(15);
    for (const q of queries) {
      const names = metricNames(q.expr);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        if (!metrics.has(name)) throw new Error(`panel "${q.panel}" queries ${name}, which vbench does not export (${q.expr})`);
      }
    }
  });

  test("every label a query matches on exists in the exposition, and every selector filters by $scenario and $model", () => {
    for (const q of queries) {
      for (const s of selectors(q.expr)) {
        for (const m of s.matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) {
          if (!labels.has(m[1]!)) throw new Error(`panel "${q.panel}" matches label ${m[1]}, which vbench never sets`);
        }
        expect(s.matchers).toContain('scenario=~"$scenario"');
        expect(s.matchers).toContain('model=~"$model"');
      }
    }
  });

  test("the panels cover throughput, all four latencies, success, thresholds, client-bound, steal and live metrics", () => {
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)));
    for (const name of [
      "vbench_request_throughput_requests_per_second", "vbench_output_throughput_tokens_per_second", "vbench_total_token_throughput_tokens_per_second",
      "vbench_ttft_seconds", "vbench_tpot_seconds", "vbench_itl_seconds", "vbench_e2el_seconds",
      "vbench_success_ratio", "vbench_threshold_passed", "vbench_client_bound", "vbench_client_steal_seconds",
      "vbench_live_requests_in_flight", "vbench_live_output_throughput_tokens_per_second", "vbench_live_ttft_seconds",
    ]) expect(used).toContain(name);
  });

  test("template variables query exported names; panels use the datasource variable; ids unique; schema 39", () => {
    expect(dashboard.schemaVersion).toBe(39);
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(Object.keys(vars)).toEqual(["datasource", "scenario", "model"]);
    for (const name of ["scenario", "model"]) {
      const m = /^label_values\((\w+)(?:\{[^}]*\})?, (\w+)\)$/.exec(vars[name]!.definition ?? "");
      expect(m).not.toBeNull();
      expect(metrics).toContain(m![1]!);
      expect(labels).toContain(m![2]!);
    }
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels.filter((x) => x.type !== "row")) {
      expect(p.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe("${datasource}");
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  });
});
