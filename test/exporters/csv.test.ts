import { describe, expect, test } from "bun:test";
import Papa from "papaparse";
import { cell, renderRequestsCsv, renderSummaryCsv, REQUEST_COLUMNS } from "../../plugins/exporters/csv.ts";
import { requestLatencies } from "../../src/results/result-docs.ts";
import { sampleResult, stats } from "./sample-result.ts";

function parse(text: string): Record<string, string>[] {
  const out = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  expect(out.errors).toEqual([]);
  return out.data;
}

function close(cellText: string, expected: number): void {
  expect(Math.abs(Number(cellText) - expected)).toBeLessThanOrEqual(5e-7);
}

describe("requests.csv", () => {
  test("RFC 4180: header row, CRLF line ends, quoting of commas, quotes and newlines", () => {
    const text = renderRequestsCsv(sampleResult());
    expect(text.split("\r\n")[0]).toBe(REQUEST_COLUMNS.join(","));
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text).toContain('"HTTP 500: {""error"": ""boom, ""bad""\nsecond line""}"');
    const rows = parse(text);
    expect(rows.length).toBe(5);
    expect(rows[2].error_message).toBe(sampleResult().records[2].error!.message);
    expect(rows[2].error_message).toContain(',');
    expect(rows[2].error_message).toContain('"');
    expect(rows[2].error_message).toContain("\n");
    expect(rows[2].error_category).toBe("http");
    expect(rows[2].success).toBe("false");
  });

  test("parses back to the same numbers (ms, plain, no units); empty cells where n/a", () => {
    const r = sampleResult();
    const rows = parse(renderRequestsCsv(r));
    for (const rec of r.records) {
      const row = rows[rec.index];
      const l = requestLatencies(rec);
      expect(row.index).toBe(String(rec.index));
      expect(row.request_id).toBe(rec.requestId);
      expect(row.input_tokens).toBe(String(rec.inputTokens));
      expect(row.output_tokens).toBe(String(rec.outputTokens));
      expect(row.token_source).toBe(rec.outputTokenSource);
      close(row.queue_ms, rec.dispatchedAtMs - rec.scheduledAtMs);
      close(row.sent_offset_s, rec.sentAtMs / 1000);
      if (!rec.success) {
        for (const c of ["ttft_ms", "tpot_ms", "e2el_ms", "itl_mean_ms", "itl_p50_ms", "itl_max_ms"]) expect(row[c]).toBe("");
        continue;
      }
      close(row.ttft_ms, l.ttftMs);
      close(row.e2el_ms, l.e2elMs);
      if (rec.outputTokens > 1) close(row.tpot_ms, l.tpotMs);
      else expect(row.tpot_ms).toBe("");
      if (l.itlMs.length) {
        close(row.itl_mean_ms, l.itlMs.reduce((a, b) => a + b, 0) / l.itlMs.length);
        close(row.itl_max_ms, Math.max(...l.itlMs));
      }
    }
    // Record 4's six gaps sorted: 13, 14, 14.5, 14.75, 15, 17.25 → median 14.625.
    expect(rows[4].itl_p50_ms).toBe("14.625");
    expect(rows[0].ttft_ms).toBe("31.5");
  });

  test("cells: fixed rounding, no -0, inf, empty for NaN", () => {
    expect(cell(1 / 3)).toBe("0.333333");
    expect(cell(2)).toBe("2");
    expect(cell(-1e-9)).toBe("0");
    expect(cell(Infinity)).toBe("inf");
    expect(cell(NaN)).toBe("");
    expect(cell(null)).toBe("");
    expect(cell(true)).toBe("true");
  });
});

describe("summary.csv", () => {
  test("one row per result (sweep variants as rows), union of metric columns, numbers round-trip", () => {
    const a = sampleResult({ variant: "c1" });
    const b = sampleResult({ variant: "c8" });
    const c = sampleResult({ scenario: { name: "tail", percentileMetrics: ["ttft"], metricPercentiles: [50, 99.9], requestRate: 4 } });
    c.summary.metrics = { ttft: stats(4, 40, 8, [50, 99.9]) };
    const text = renderSummaryCsv([a, b, c]);
    const rows = parse(text);
    expect(rows.map((r) => [r.scenario, r.variant])).toEqual([["basic_performance", "c1"], ["basic_performance", "c8"], ["tail", ""]]);
    const header = text.split("\r\n")[0].split(",");
    expect(header).toContain("p99.9_ttft_ms");
    expect(header.indexOf("p99_ttft_ms")).toBeLessThan(header.indexOf("p99.9_ttft_ms"));
    for (const col of ["request_throughput", "output_throughput", "total_token_throughput", "request_goodput", "duration_s", "success_rate", "passed", "mean_e2el_ms", "std_itl_ms", "p95_tpot_ms", "median_ttft_ms"]) {
      expect(header).toContain(col);
    }
    close(rows[0].output_throughput, a.summary.outputThroughput);
    close(rows[0].p95_tpot_ms, a.summary.metrics.tpot!.percentiles.p95);
    expect(rows[0].request_rate).toBe("inf");
    expect(rows[2].request_rate).toBe("4");
    expect(rows[0].success_rate).toBe("0.8");
    expect(rows[0].passed).toBe("false");
    expect(rows[0].thresholds_failed).toBe("success_rate");
    expect(rows[0]["p99.9_ttft_ms"]).toBe("");
    close(rows[2]["p99.9_ttft_ms"], c.summary.metrics.ttft!.percentiles["p99.9"]);
    expect(rows[2].mean_tpot_ms).toBe("");
    expect(renderSummaryCsv([a, b, c])).toBe(text);
  });

  test("a sweep's points name the swept parameter and value (one series); other rows leave them empty", () => {
    const points = [1, 8, 4].map((c) => sampleResult({ variant: `c${c}`, scenario: { maxConcurrency: c } }));
    const other = sampleResult({ scenario: { name: "tail" } });
    const rows = parse(renderSummaryCsv([...points, other]));
    expect(rows.map((r) => [r.variant, r.sweep_parameter, r.sweep_value])).toEqual([
      ["c1", "max_concurrency", "1"],
      ["c8", "max_concurrency", "8"],
      ["c4", "max_concurrency", "4"],
      ["", "", ""],
    ]);
  });
});
