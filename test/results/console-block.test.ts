import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { summarize } from "../../src/results/metrics.ts";
import { formatExtras, formatResultBlock, pyCenter, pyFixed, sanitizeForTerminal } from "../../src/results/console-block.ts";
import { evaluateThresholds } from "../../src/results/thresholds.ts";
import { client, record, scenario } from "./summary-fixtures.ts";

const SEED_BLOCK = readFileSync(new URL("./fixtures/report/seed-result-block.txt", import.meta.url), "utf8").trimEnd();

/**
 * The seed's sample run: 1 request, rate inf, max_concurrency 1, 1024 tokens
 * in and out. Its ITL percentiles come from 1024 gaps (a chat stream: a
 * role-only first message, then 1024 token messages), laid out so each
 * percentile position lands on a plateau of the seed's value; the top ten gaps
 * absorb the remainder so TTFT + Σgaps = E2EL = 15126.62 ms.
 */
function seedRecord() {
  const ttftMs = 47.19;
  const e2elMs = 15126.62;
  const plateaus: [number, number][] = [
    [511, 14.33], // indices 0..510 (p25 at h = 255.75)
    [256, 14.62], // ..766 (p50 at 511.5)
    [153, 15.01], // ..919 (p75 at 767.25)
    [51, 15.71], // ..970 (p90 at 920.7)
    [41, 16.34], // ..1011 (p95 at 971.85)
    [2, 20.46], // ..1013 (p99 at 1012.77)
  ];
  const gaps: number[] = [];
  for (const [count, value] of plateaus) for (let i = 0; i < count; i++) gaps.push(value);
  const rest = (e2elMs - ttftMs - gaps.reduce((a, b) => a + b, 0)) / 10;
  for (let i = 0; i < 10; i++) gaps.push(rest);
  const sentMs = 0.5;
  const chunks = [sentMs + ttftMs];
  for (const gap of gaps) chunks.push(chunks[chunks.length - 1]! + gap);
  return { record: record({ scheduled: 0, sent: sentMs, chunks, out: 1024, input: 1024 }), rest };
}

const seedScenario = scenario({ maxConcurrency: 1, requestRate: Infinity, metricPercentiles: [25, 50, 75, 90, 95, 99] });

describe("golden: the seed's sample block", () => {
  const { record: r, rest } = seedRecord();
  // 15.1286 s: the duration that gives the seed's 67.69 and 135.37 tok/s and prints as 15.13.
  const summary = summarize([r], seedScenario, client({ benchStartMs: 0, benchEndMs: 15128.6 }));
  const block = formatResultBlock(summary, seedScenario);

  test("the construction is sound", () => {
    expect(rest).toBeGreaterThanOrEqual(20.46); // the top gaps stay sorted above the P99 plateau
    expect(summary.metrics.itl!.count).toBe(1024);
  });

  test("every row vLLM printed matches character by character, trailing spaces included", () => {
    const vbenchOnly = ["Failed requests:", "Peak output token throughput (tok/s):", "Peak concurrent requests:"];
    const shared = block.split("\n").filter((line) => !vbenchOnly.some((label) => line.startsWith(label)));
    expect(shared).toEqual(SEED_BLOCK.split("\n"));
  });

  test("vbench's added rows sit where vLLM's newer versions put them", () => {
    const lines = block.split("\n");
    expect(lines[2]).toBe(`${"Failed requests:".padEnd(40)} ${"0".padEnd(10)}`);
    expect(lines[3]!.startsWith("Maximum request concurrency:")).toBe(true);
    expect(lines[8]!.startsWith("Output token throughput (tok/s):")).toBe(true);
    expect(lines[9]!.startsWith("Peak output token throughput (tok/s):")).toBe(true);
    expect(lines[10]).toBe(`${"Peak concurrent requests:".padEnd(40)} ${"1.00".padEnd(10)}`);
    expect(lines[11]!.startsWith("Total Token throughput (tok/s):")).toBe(true);
  });
});

describe("Python formatting", () => {
  test("centring puts the odd fill character on the right", () => {
    expect(pyCenter(" Serving Benchmark Result ", 50, "=")).toBe("============ Serving Benchmark Result ============");
    expect(pyCenter("Time to First Token", 50, "-")).toBe("---------------Time to First Token----------------");
    expect(pyCenter("x".repeat(60), 50, "-")).toHaveLength(60);
  });

  test("{:.2f}: round-half-even on exact binary ties, nan/inf spelled like Python", () => {
    expect(pyFixed(0.125)).toBe("0.12"); // exact tie: JS toFixed says 0.13
    expect(pyFixed(0.375)).toBe("0.38");
    expect(pyFixed(-0.125)).toBe("-0.12");
    expect(pyFixed(2.675)).toBe("2.67"); // binary value is below the tie
    expect(pyFixed(1.005)).toBe("1.00");
    expect(pyFixed(15126.62)).toBe("15126.62");
    expect(pyFixed(-0)).toBe("-0.00");
    expect(pyFixed(1e22)).toBe("10000000000000000000000.00");
    expect(pyFixed(Number.NaN)).toBe("nan");
    expect(pyFixed(-Infinity)).toBe("-inf");
  });
});

describe("conditional rows", () => {
  const records = [record({ sent: 0, chunks: [10, 20, 30], out: 3 }), record({ sent: 5, chunks: [40], out: 1 })];

  test("rate only when finite, concurrency only when set, goodput only with SLOs; sections in vLLM's order", () => {
    const sc = scenario({ requestRate: 10, percentileMetrics: ["e2el", "ttft"], metricPercentiles: [99.9], goodput: { ttft: 20 } });
    const block = formatResultBlock(summarize(records, sc, client()), sc);
    expect(block).toContain(`${"Request rate configured (RPS):".padEnd(40)} ${"10.00".padEnd(10)}`);
    expect(block).not.toContain("Maximum request concurrency:");
    expect(block).toContain(`${"Request goodput (req/s):".padEnd(40)} ${"1.00".padEnd(10)}`);
    const sections = block.split("\n").filter((l) => l.startsWith("-"));
    expect(sections).toEqual([pyCenter("Time to First Token", 50, "-"), pyCenter("End-to-end Latency", 50, "-")]);
    expect(block).toContain("P99.9 TTFT (ms):");
    expect(block.split("\n").at(-1)).toBe("=".repeat(50));
  });

  test("inf rate: no rate row, no goodput row", () => {
    const block = formatResultBlock(summarize(records, scenario(), client()), scenario());
    expect(block).not.toContain("Request rate configured");
    expect(block).not.toContain("goodput");
  });
});

describe("extras", () => {
  test("sanitizeForTerminal strips escapes and control characters", () => {
    expect(sanitizeForTerminal("\x1b[31mred\x1b[0m\r\nnext\x07 \x1b]0;title\x07done")).toBe("red next done");
    expect(sanitizeForTerminal("a".repeat(300))).toHaveLength(200);
  });

  test("failures, client-bound warning and threshold verdicts", () => {
    const records = [
      record({ index: 0, sent: 0, chunks: [10, 20], out: 2 }),
      record({ index: 1, sent: 1, fail: { category: "http", message: "HTTP 500: \x1b[2Jboom\ncrash" } }),
    ];
    const sc = scenario({ requestRate: 5, thresholds: { ttft_p95_ms: 5, success_rate: 0.5 } });
    const summary = summarize(records, sc, client({ eventLoopLagMs: new Float64Array(60).fill(55) }));
    const text = formatExtras(summary, sc, evaluateThresholds(sc.thresholds, summary));
    expect(text).toContain("!!! client-bound: results not trustworthy (event-loop lag p99");
    expect(text).toContain("Failures by category:                    http 1");
    expect(text).toContain("  #1 http: HTTP 500: boom crash");
    expect(text).not.toContain("\x1b");
    expect(text).toContain("  FAIL ttft_p95_ms: measured 10, limit <= 5");
    expect(text).toContain("  PASS success_rate: measured 0.5, limit >= 0.5");
    expect(text).toContain("1 of 2 FAILED");
    expect(text).toContain("E2EL incl. queue (ms):");
    expect(text).toContain("(configured 5.00)");
  });

  test("server vs tokenizer counts are compared only where both exist: a tokenizer count of 0 (no text came back) is not a difference", () => {
    const records = [
      record({ sent: 0, chunks: [10, 20, 30, 40], out: 4, tokenizerOut: 0 }),
      record({ sent: 0, chunks: [10, 20, 30, 40], out: 4, tokenizerOut: 4 }),
      record({ sent: 0, chunks: [10, 20, 30, 40], out: 4, tokenizerOut: 6 }),
      record({ sent: 0, chunks: [10, 20, 30, 40], out: 4 }),
    ];
    const summary = summarize(records, scenario(), client());
    expect(summary.extras.tokenSources).toEqual({ server: 4, tokenizer: 0, mismatchMeanAbs: 1, mismatchCount: 1, mismatchCompared: 2 });
    expect(formatExtras(summary, scenario(), [])).toContain("Server vs tokenizer count:               differs on 1 requests, mean |diff| 1.00 tokens");
    // No text kept for any request: nothing to compare, so no comparison line (it read "differs on 2 requests, mean |diff| 4.00").
    const textless = summarize([record({ sent: 0, chunks: [10, 20, 30, 40], out: 4, tokenizerOut: 0 }), record({ sent: 0, chunks: [10, 20, 30, 40], out: 4, tokenizerOut: 0 })], scenario(), client());
    expect(textless.extras.tokenSources).toEqual({ server: 2, tokenizer: 0, mismatchMeanAbs: null, mismatchCount: 0, mismatchCompared: 0 });
    const text = formatExtras(textless, scenario(), []);
    expect(text).toContain("Output token count source:               server 2, tokenizer 0");
    expect(text).not.toContain("Server vs tokenizer count");
  });

  test("client queue time only under a concurrency limit: in an open-loop run it would repeat the dispatch lag", () => {
    const records = [record({ scheduled: 0, dispatched: 3, sent: 3, chunks: [10, 20] }), record({ scheduled: 200, dispatched: 201, sent: 201, chunks: [210, 220] })];
    const open = scenario({ requestRate: 5 });
    const openText = formatExtras(summarize(records, open, client()), open, []);
    expect(openText).not.toContain("Client queue time");
    expect(openText).toContain("Dispatch lag (ms):                       mean 2.00, p50 2.00");
    const limited = scenario({ requestRate: 5, maxConcurrency: 1 });
    expect(formatExtras(summarize(records, limited, client()), limited, [])).toContain("Client queue time (ms):                  mean 2.00, p50 2.00");
    // At rate inf the line says what the lag is there: the burst's send time (not judged for client-bound).
    expect(openText).not.toContain("time to send the burst");
    const burst = scenario();
    expect(formatExtras(summarize(records, burst, client()), burst, [])).toMatch(/Dispatch lag \(ms\): +mean [\d.]+.* \(rate inf: time to send the burst\)/);
  });

  test("a calm run has no warning, no failures section, no thresholds section", () => {
    const records = [record({ sent: 0, chunks: [10, 20], out: 2 })];
    const summary = summarize(records, scenario(), client());
    const text = formatExtras(summary, scenario(), []);
    expect(text).not.toContain("client-bound");
    expect(text).not.toContain("Failures");
    expect(text).not.toContain("Thresholds");
    expect(text).not.toContain("E2EL incl. queue"); // rate inf: queue time already says it
    expect(text).toContain("Values per statistic:                    TTFT 1, TPOT 1, ITL 1, E2EL 1");
  });
});
