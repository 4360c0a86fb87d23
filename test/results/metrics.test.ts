import { describe, expect, test } from "bun:test";
import { CLIENT_BOUND_MS, summarize } from "../../src/results/metrics.ts";
import { client, record, scenario } from "./summary-fixtures.ts";

/**
 * A: 3 messages, 3 tokens: TTFT 100, E2EL 130, TPOT 30/2 = 15, gaps 10, 20.
 * B: 2 messages, 5 tokens (one message carries several): TTFT 30, E2EL 40, TPOT 10/4 = 2.5, gap 10.
 * C: 1 token: TTFT 50, E2EL 50, no TPOT, no gap.
 * D: an HTTP failure finishing at 5000 ms.
 */
function smallRun() {
  return [
    record({ index: 0, sent: 0, chunks: [100, 110, 130], out: 3, input: 10, tokenizerOut: 3 }),
    record({ index: 1, sent: 50, chunks: [80, 90], out: 5, input: 20, tokenizerOut: 4 }),
    record({ index: 2, sent: 10, chunks: [60], out: 1, input: 30, source: "tokenizer" }),
    record({ index: 3, sent: 20, done: 5000, out: 7, input: 1000, fail: { category: "http", message: "HTTP 500" } }),
  ];
}

describe("vLLM-named metrics", () => {
  const s = summarize(smallRun(), scenario(), client({ benchStartMs: 0, benchEndMs: 5000 }));

  test("counts, duration including the failure, throughputs over successes", () => {
    expect(s.completed).toBe(3);
    expect(s.failed).toBe(1);
    expect(s.total).toBe(4);
    expect(s.durationS).toBe(5);
    expect(s.totalInputTokens).toBe(60);
    expect(s.totalOutputTokens).toBe(9);
    expect(s.requestThroughput).toBeCloseTo(0.6, 12);
    expect(s.outputThroughput).toBeCloseTo(1.8, 12);
    expect(s.totalTokenThroughput).toBeCloseTo(69 / 5, 12);
    expect(s.requestGoodput).toBeNull();
  });

  test("TTFT and E2EL per successful request; failures excluded", () => {
    expect(s.metrics.ttft!.count).toBe(3);
    expect(s.metrics.ttft!.mean).toBe(60);
    expect(s.metrics.ttft!.median).toBe(50);
    expect(s.metrics.e2el!.mean).toBeCloseTo((130 + 40 + 50) / 3, 12);
  });

  test("TPOT: only outputs longer than 1 token, each request weighing the same", () => {
    expect(s.metrics.tpot!.count).toBe(2);
    expect(s.metrics.tpot!.mean).toBe(8.75); // (15 + 2.5) / 2, not the token-weighted 40/6
  });

  test("ITL pools every gap of every request", () => {
    const itl = s.metrics.itl!;
    expect(itl.count).toBe(3);
    expect(itl.mean).toBeCloseTo(40 / 3, 12);
    expect(itl.median).toBe(10);
    expect(itl.max).toBe(20);
    expect(Object.keys(itl.percentiles)).toEqual(["p50", "p99"]);
  });

  test("peak concurrency over [sentAt, endAt) of successes", () => {
    expect(s.maxConcurrentRequests).toBe(3); // at t=50: A [0,130), C [10,60), B [50,90)
  });

  test("failures by category with samples", () => {
    expect(s.failures.byCategory).toEqual({ http: 1 });
    expect(s.failures.samples).toEqual([{ index: 3, category: "http", message: "HTTP 500" }]);
  });

  test("token sources and server/tokenizer mismatch", () => {
    expect(s.extras.tokenSources).toEqual({ server: 2, tokenizer: 1, mismatchMeanAbs: 0.5, mismatchCount: 1, mismatchCompared: 2 });
  });
});

test("goodput: every SLO met; a 1-token output has TPOT 0", () => {
  const s = summarize(smallRun(), scenario({ goodput: { ttft: 50, tpot: 10 } }), client({ benchEndMs: 5000 }));
  // A fails ttft (100 > 50); B passes (30, 2.5); C passes (50 ≤ 50, TPOT 0).
  expect(s.requestGoodput).toBeCloseTo(2 / 5, 12);
  const e2el = summarize(smallRun(), scenario({ goodput: { e2el: 45 } }), client({ benchEndMs: 5000 }));
  expect(e2el.requestGoodput).toBeCloseTo(1 / 5, 12); // only B (40)
});

test("peak concurrency: a departure precedes an arrival at the same instant", () => {
  const chain = [
    record({ sent: 0, chunks: [5, 10] }),
    record({ sent: 10, chunks: [15, 20] }),
    record({ sent: 20, chunks: [30] }),
  ];
  expect(summarize(chain, scenario(), client()).maxConcurrentRequests).toBe(1);
  const overlap = [record({ sent: 0, chunks: [10] }), record({ sent: 5, chunks: [10] }), record({ sent: 10, chunks: [20] })];
  expect(summarize(overlap, scenario(), client()).maxConcurrentRequests).toBe(2);
});

test("peak output token throughput counts tokens spread over messages, in 1 s bins from the first sentAt", () => {
  const records = [
    record({ sent: 0, chunks: [500, 1500], out: 4 }), // 2 tokens in bin 0, 2 in bin 1
    record({ sent: 100, chunks: [1100, 1200, 2100], out: 6 }), // 2, 2 in bin 1; 2 in bin 2
    record({ sent: 50, fail: { category: "timeout", message: "t" }, out: 100 }),
  ];
  const s = summarize(records, scenario(), client({ benchEndMs: 3000 }));
  expect(s.maxOutputTokensPerS).toBe(6); // bin 1: 2 + 4 (vLLM's message count would say 3)
});

test("selection: only chosen metrics and percentiles; threshold-only statistics beside them", () => {
  const sc = scenario({
    percentileMetrics: ["e2el", "ttft"],
    metricPercentiles: [25],
    thresholds: { itl_p95_ms: 50, ttft_p90_ms: 100, tpot_mean_ms: 10 },
  });
  const s = summarize(smallRun(), sc, client({ benchEndMs: 5000 }), { extraPercentiles: [75] });
  expect(Object.keys(s.metrics).sort()).toEqual(["e2el", "ttft"]);
  expect(Object.keys(s.metrics.ttft!.percentiles)).toEqual(["p25", "p75"]);
  expect(s.thresholdStats.itl!.percentiles.p95).toBeCloseTo(19, 12); // [10,10,20]: h = 1.9
  expect(s.thresholdStats.ttft!.percentiles.p90).toBeCloseTo(90, 12); // [30,50,100]: h = 1.8
  expect(s.thresholdStats.tpot!.mean).toBe(8.75);
  expect(s.thresholdStats.e2el).toBeUndefined();
});

test("empty run: zeros, no division by zero", () => {
  const s = summarize([], scenario(), client({ benchStartMs: 0, benchEndMs: 0 }));
  expect(s.completed).toBe(0);
  expect(s.requestThroughput).toBe(0);
  expect(s.maxOutputTokensPerS).toBe(0);
  expect(s.maxConcurrentRequests).toBe(0);
  expect(s.metrics.ttft!.count).toBe(0);
  expect(s.extras.achievedRateRps).toBeNull();
});

test("the first three failures of each category, by index; all counted by category", () => {
  const order = [6, 2, 5, 0, 3, 1, 4];
  const records = order.map((i) =>
    record({ index: i, sent: i, fail: { category: i % 2 === 0 ? "timeout" : "connect", message: `m${i}` } }),
  );
  const s = summarize(records, scenario(), client());
  expect(s.failures.byCategory).toEqual({ timeout: 4, connect: 3 });
  // timeout: 0, 2, 4 (6 is the fourth); connect: 1, 3, 5 — in index order overall.
  expect(s.failures.samples.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5]);
  const rare = summarize([...records, record({ index: 9, sent: 9, fail: { category: "http", message: "m9" } })], scenario(), client());
  expect(rare.failures.samples.map((f) => f.category)).toContain("http");
});

describe("client extras", () => {
  test("queue time, dispatch lag only for requests that found a free slot, E2EL incl. queue", () => {
    const records = [
      record({ index: 0, scheduled: 0, dispatched: 2, sent: 2.5, chunks: [50, 100] }),
      record({ index: 1, scheduled: 0, dispatched: 100, sent: 100, chunks: [150, 200] }), // waited for the slot
      record({ index: 2, scheduled: 300, dispatched: 301, sent: 301, chunks: [350, 400] }),
    ];
    const s = summarize(records, scenario({ maxConcurrency: 1 }), client({ benchEndMs: 400 }));
    const x = s.extras;
    expect(x.clientQueueMs.count).toBe(3);
    expect(x.clientQueueMs.max).toBe(100);
    expect(x.dispatchLagMs.count).toBe(2);
    expect(x.dispatchLagMs.max).toBe(2);
    expect(x.dispatchLagMs.min).toBe(1);
    expect(x.sendLagMs.max).toBe(0.5);
    expect(x.e2elInclQueueMs.max).toBe(200); // request 1: 200 − 0
    expect(x.drainS).toBeCloseTo(0.099, 12);
    // Without a concurrency limit every request's lateness is the dispatcher's.
    const open = summarize(records, scenario(), client({ benchEndMs: 400 }));
    expect(open.extras.dispatchLagMs.count).toBe(3);
  });

  test("achieved rate equals the configured rate for a perfect vLLM-normalised schedule", () => {
    // 10 requests at 10 rps: offsets k/r for k = 1..N, the last exactly at N/r = 1 s after t0.
    const perfect = Array.from({ length: 10 }, (_, k) => record({ index: k, sent: 100 * (k + 1), chunks: [100 * (k + 1) + 5] }));
    const s = summarize(perfect, scenario({ requestRate: 10 }), client({ benchEndMs: 1005 }));
    expect(s.extras.achievedRateRps).toBeCloseTo(10, 12);
    expect(s.extras.configuredRateRps).toBe(10);
    const late = perfect.map((r, k) => ({ ...r, dispatchedAtMs: 125 * (k + 1) }));
    expect(summarize(late, scenario({ requestRate: 10 }), client({ benchEndMs: 1300 })).extras.achievedRateRps).toBeCloseTo(8, 12);
    expect(summarize(perfect.slice(0, 1), scenario(), client()).extras.achievedRateRps).toBeNull();
  });

  test("event-loop lag, CPU, and the client-bound flag", () => {
    const records = [record({ sent: 0, chunks: [10] })];
    const calm = summarize(records, scenario(), client({ eventLoopLagMs: new Float64Array([0.1, 0.2, 0.3]), clientCpuS: 1.5 }));
    expect(calm.extras.clientBound).toBe(false);
    expect(calm.extras.clientBoundReason).toBeUndefined();
    expect(calm.extras.clientCpuS).toBe(1.5);
    expect(calm.extras.configuredRateRps).toBe("inf");

    const busy = summarize(records, scenario(), client({ eventLoopLagMs: new Float64Array([0.1, 0.2, 10]) }));
    expect(busy.extras.eventLoopLagMs.p50).toBe(0.2);
    expect(busy.extras.eventLoopLagMs.p99).toBeCloseTo(0.2 + 0.98 * 9.8, 12);
    expect(busy.extras.eventLoopLagMs.max).toBe(10);
    expect(busy.extras.eventLoopLagMs.samples).toBe(3);
    // Three samples are one pause, not a saturated client: the loop criterion needs 50 (1 s).
    expect(busy.extras.clientBound).toBe(false);
    const saturated = summarize(records, scenario(), client({ eventLoopLagMs: Float64Array.from({ length: 60 }, (_, i) => (i < 50 ? 0.1 : 10)) }));
    expect(saturated.extras.clientBound).toBe(true);
    expect(saturated.extras.clientBoundReason).toContain("event-loop lag p99");
    expect(saturated.extras.clientBoundReason).not.toContain("steal");
    expect(busy.extras.clientBoundReason).toBeUndefined();
    // Pooled from two workers' probes, 60 samples are 0.6 s of run: still too short to judge.
    const pooled = summarize(records, scenario(), client({ eventLoopLagMs: Float64Array.from({ length: 60 }, (_, i) => (i < 50 ? 0.1 : 10)), eventLoopLoops: 2 }));
    expect(pooled.extras.clientBound).toBe(false);
    const pooledLonger = summarize(records, scenario(), client({ eventLoopLagMs: Float64Array.from({ length: 120 }, (_, i) => (i < 100 ? 0.1 : 10)), eventLoopLoops: 2 }));
    expect(pooledLonger.extras.clientBound).toBe(true);
    // Steal rides along with a verdict (never makes one), from one /proc/stat tick on.
    const lags = Float64Array.from({ length: 60 }, (_, i) => (i < 50 ? 0.1 : 10));
    const stolen = summarize(records, scenario(), client({ eventLoopLagMs: lags, stealMs: 640 }));
    expect(stolen.extras.stealMs).toBe(640);
    expect(stolen.extras.clientBoundReason).toMatch(/^event-loop lag p99 [\d.]+ ms > 5 ms; the hypervisor took 640 ms of the client's CPUs during the run \(steal\)$/);
    expect(summarize(records, scenario(), client({ eventLoopLagMs: lags, stealMs: 0 })).extras.clientBoundReason).not.toContain("steal");
    const calmStolen = summarize(records, scenario(), client({ stealMs: 640 }));
    expect(calmStolen.extras.clientBound).toBe(false);
    expect(calmStolen.extras.stealMs).toBe(640);
    expect(calm.extras.stealMs).toBeNull();

    const late = [record({ scheduled: 0, dispatched: CLIENT_BOUND_MS + 1, sent: CLIENT_BOUND_MS + 1, chunks: [20] })];
    const lateRun = summarize(late, scenario({ requestRate: 10 }), client());
    expect(lateRun.extras.clientBound).toBe(true);
    expect(lateRun.extras.clientBoundReason).toContain("dispatch lag");
    expect(summarize(late, scenario({ requestRate: 10 }), client({ dispatchLagBoundMs: 10 })).extras.clientBound).toBe(false);
    // At rate inf the same lag is the time a burst takes to send: reported, not a verdict on the client.
    const burst = summarize(late, scenario(), client());
    expect(burst.extras.dispatchLagMs.percentiles.p99).toBe(CLIENT_BOUND_MS + 1);
    expect(burst.extras.clientBound).toBe(false);
  });
});

test("a tiny value budget switches series to HDR and says so", () => {
  const s = summarize(smallRun(), scenario(), client({ benchEndMs: 5000 }), { valueBudget: 1 });
  expect(s.metrics.itl!.exact).toBe(false);
  expect(s.metrics.itl!.count).toBe(3);
  expect(s.metrics.itl!.mean).toBeCloseTo(40 / 3, 12);
});
