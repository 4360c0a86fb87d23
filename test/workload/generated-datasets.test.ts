import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as v from "valibot";
import { createRng } from "../../src/base/rng.ts";
import { drawLengths } from "../../src/workload/lengths.ts";
import { DATASET_OPTION_KEYS, buildWorkload, syntheticOptionsSchema } from "../../src/workload/index.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";
import { FIXTURES, built, scenario } from "./helpers.ts";
import { rejection } from "../helpers/errors.ts";

const gpt2 = await loadTokenizer("gpt2");

const failure = rejection;

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

describe("dispatch", () => {
  test("random through buildWorkload: scenario lengths, ignore_eos, exact tokens", async () => {
    const w = built(await buildWorkload(scenario({ randomInputLen: 20, randomOutputLen: 7, randomPrefixLen: 5 }), gpt2, 12));
    expect(w.items).toHaveLength(12);
    expect(w.ignoreEos).toBe(true);
    for (const item of w.items) {
      expect(item.inputTokens).toBe(25);
      expect(gpt2.encode(item.prompt)).toHaveLength(25);
      expect(item.outputTokens).toBe(7);
    }
  });

  test("an unknown dataset type lists the known ones", async () => {
    const e = await failure(buildWorkload(scenario({ dataset: { type: "sharegtp" } as never }), gpt2, 1));
    expect(e.code).toBe("dataset_unknown");
    expect(e.hint).toContain("random, synthetic, jsonl, sharegpt, trace, prefix");
  });


  test("zero requests build an empty workload without reading the dataset", async () => {
    const w = built(await buildWorkload(scenario({ dataset: { type: "jsonl", dataset_path: join(FIXTURES, "prompts.jsonl") } }), gpt2, 0));
    expect(w.items).toEqual([]);
  });

  test("option keys are exported for the config loader", () => {
    for (const key of ["dataset_path", "input_distribution", "num_prefix_groups", "prefix_len", "time_scale", "sessions"]) {
      expect(DATASET_OPTION_KEYS).toContain(key);
    }
  });
});

describe("synthetic", () => {
  test("the schema accepts the four distributions and rejects bad ones", () => {
    const ok = [
      { type: "fixed", value: 10 },
      { type: "uniform", min: 1, max: 5 },
      { type: "normal", mean: 100, stdev: 10, min: 50, max: 150 },
      { type: "lognormal", mean: 100, stdev: 50 },
    ];
    for (const d of ok) expect(v.safeParse(syntheticOptionsSchema, { input_distribution: d }).success).toBe(true);
    const bad = [
      { type: "fixed", value: 0 },
      { type: "uniform", min: 5, max: 1 },
      { type: "normal", mean: 100 },
      { type: "zipf", s: 1 },
      { type: "fixed", value: 3, extra: 1 },
    ];
    for (const d of bad) expect(v.safeParse(syntheticOptionsSchema, { input_distribution: d }).success).toBe(false);
  });

  test("lengths follow the distributions; prompts have exactly the drawn length", async () => {
    const dataset = {
      input_distribution: { type: "uniform" as const, min: 10, max: 20 },
      output_distribution: { type: "normal" as const, mean: 30, stdev: 10, min: 25, max: 35 },
    };
    const w = built(await buildWorkload(scenario({ dataset: { type: "synthetic", ...dataset } }), gpt2, 200));
    expect(w.ignoreEos).toBe(true);
    const ins = w.items.map((i) => i.inputTokens);
    expect(Math.min(...ins)).toBe(10);
    expect(Math.max(...ins)).toBe(20);
    for (const item of w.items) expect(gpt2.encode(item.prompt)).toHaveLength(item.inputTokens);
    const outs = w.items.map((i) => i.outputTokens);
    expect(Math.min(...outs)).toBe(25); // clipped
    expect(Math.max(...outs)).toBe(35);
    expect(outs.filter((o) => o === 25 || o === 35).length).toBeGreaterThan(40); // ~62% of N(30,10) lies outside ±5
  });

  test("lognormal mean/stdev describe the lengths themselves", () => {
    const lens = drawLengths(createRng(1, "t"), 20000, { type: "lognormal", mean: 500, stdev: 200 });
    expect(Math.abs(mean(lens) - 500)).toBeLessThan(10);
    const sd = Math.sqrt(mean(Array.from(lens, (x) => (x - 500) ** 2)));
    expect(Math.abs(sd - 200)).toBeLessThan(15);
  });

  test("defaults to fixed lengths from the scenario; invalid options list every problem", async () => {
    const w = built(await buildWorkload(scenario({ dataset: { type: "synthetic" }, randomInputLen: 9, randomOutputLen: 3 }), gpt2, 3));
    expect(w.items.map((i) => [i.inputTokens, i.outputTokens])).toEqual([[9, 3], [9, 3], [9, 3]]);
    const e = await failure(
      buildWorkload(
        scenario({ dataset: { type: "synthetic", input_distribution: { type: "fixed" }, output_distribution: 5 } as never }),
        gpt2,
        1,
      ),
    );
    expect(e.code).toBe("dataset_invalid");
    expect(e.details.length).toBeGreaterThanOrEqual(2);
    expect(e.details.join("\n")).toContain("input_distribution");
    expect(e.details.join("\n")).toContain("output_distribution");
  });
});

describe("trace", () => {
  const trace = (n: number, extra: Record<string, unknown> = {}) =>
    buildWorkload(scenario({ dataset: { type: "trace", dataset_path: join(FIXTURES, "trace.jsonl"), ...extra } }), gpt2, n).then(built);

  test("offsets come from the timestamps, divided by time_scale", async () => {
    const w = await trace(5, { time_scale: 2 });
    expect(Array.from(w.offsetsMs ?? [])).toEqual([0, 125, 125, 500, 1250]);
    expect(w.ignoreEos).toBe(true);
    expect(w.notes).toEqual([]);
    expect(Array.from((await trace(5)).offsetsMs ?? [])).toEqual([0, 250, 250, 1000, 2500]);
  });

  test("input_len records get exact-length prompts; text records keep their prompt", async () => {
    const w = await trace(5);
    expect(w.items.map((i) => i.inputTokens)).toEqual([12, 40, gpt2.encode("A prompt given as text in the trace.").length, 3, 25]);
    expect(w.items.map((i) => i.outputTokens)).toEqual([5, 9, 7, 8, 1]); // 8: the scenario's random_output_len
    for (const item of w.items) expect(gpt2.encode(item.prompt)).toHaveLength(item.inputTokens);
    expect(w.items[2].prompt).toBe("A prompt given as text in the trace.");
  });

  test("replays at most the records it has, with a note", async () => {
    const fewer = await trace(2);
    expect(fewer.items).toHaveLength(2);
    expect(fewer.offsetsMs).toHaveLength(2);
    expect(fewer.notes[0]).toContain("replaying 2 of its 5 records");
    const more = await trace(9);
    expect(more.items).toHaveLength(5);
    expect(more.notes[0]).toContain("replaying 5 of its 5 records (9 requested)");
  });

  test("a bad time_scale is rejected", async () => {
    expect((await failure(trace(1, { time_scale: 0 }))).code).toBe("dataset_invalid");
  });
});

describe("prefix groups", () => {
  test("each request is its group's prefix plus its own suffix; groups are balanced", async () => {
    const dataset = { num_prefix_groups: 3, prefix_len: 16, suffix_len: 8 };
    const w = built(await buildWorkload(scenario({ dataset: { type: "prefix", ...dataset }, randomRangeRatio: 0.5 }), gpt2, 30));
    expect(w.ignoreEos).toBe(true);
    const groups = Array.from({ length: w.count }, (_, g) => w.groupOf!(g));
    expect(groups).toHaveLength(30);
    for (let g = 0; g < 3; g++) expect(groups.filter((x) => x === g)).toHaveLength(10);
    expect(groups.slice(0, 9)).not.toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]); // shuffled
    const prefixOf = (i: number) => gpt2.decode(gpt2.encode(w.items[i].prompt).slice(0, 16));
    const prefixes = new Map<number, string>();
    w.items.forEach((item, i) => {
      const g = groups[i];
      if (!prefixes.has(g)) prefixes.set(g, prefixOf(i));
      expect(item.prompt.startsWith(prefixes.get(g) as string)).toBe(true);
      expect(gpt2.encode(item.prompt)).toHaveLength(item.inputTokens);
      expect(item.inputTokens).toBeGreaterThanOrEqual(16 + 4);
      expect(item.inputTokens).toBeLessThanOrEqual(16 + 12);
    });
    expect(new Set(prefixes.values()).size).toBe(3);
    expect(new Set(w.items.map((i) => i.prompt)).size).toBe(30);
  });
});

describe("sessions", () => {
  test("sessions × turns user turns, dealt in order, with the think time", async () => {
    const dataset = { type: "random" as const, sessions: 3, turns: 4, think_time_ms: 250 };
    const w = built(await buildWorkload(scenario({ dataset, randomInputLen: 6 }), gpt2, 1000));
    expect(w.sessions?.plan).toHaveLength(3);
    expect(w.sessions?.thinkTimeMs).toBe(250);
    for (const s of w.sessions?.plan ?? []) expect(s.turns).toHaveLength(4);
    expect(w.items).toHaveLength(12);
    expect(w.items[5]).toBe(w.sessions?.plan[1].turns[1] as (typeof w.items)[number]);
    expect(w.items.every((i) => i.inputTokens === 6)).toBe(true);
  });

  test("sessions over a file dataset, and not over a trace", async () => {
    const dataset = { dataset_path: join(FIXTURES, "prompts.jsonl"), sessions: 2, turns: 2 };
    const w = built(await buildWorkload(scenario({ dataset: { type: "jsonl", ...dataset } }), gpt2, 1));
    expect(w.sessions?.plan.map((s) => s.turns.length)).toEqual([2, 2]);
    expect(w.sessions?.thinkTimeMs).toBe(0);
    const traceDataset = { dataset_path: join(FIXTURES, "trace.jsonl"), sessions: 1, turns: 2 };
    const e = await failure(buildWorkload(scenario({ dataset: { type: "trace", ...traceDataset } }), gpt2, 1));
    expect(e.code).toBe("dataset_invalid");
  });

  test("sessions without turns (or think time alone) is an error", async () => {
    for (const dataset of [{ sessions: 2 }, { turns: 3 }, { think_time_ms: 10 }]) {
      const e = await failure(buildWorkload(scenario({ dataset: { type: "random", ...dataset } }), gpt2, 1));
      expect(e.code).toBe("dataset_invalid");
    }
  });
});
