/** The timing model of one generation, driven by hand (no real timers): due times are exact. */
import { describe, expect, test } from "bun:test";
import { createRng } from "../../src/base/rng.ts";
import { Generation } from "../../src/mock/generation.ts";
import type { Slots, SlotUser } from "../../src/mock/slots.ts";
import { createTokenText } from "../../src/mock/text.ts";
import type { TickJob, Ticker } from "../../src/mock/ticker.ts";
import { TruthStore } from "../../src/mock/truth.ts";
import { createWire } from "../../src/mock/wire.ts";

interface Run {
  /** Due times relative to the slot start, ms. */
  dueMs: number[];
  body: string;
}

/** The slot is granted at this time, so due times are exact. */
const START_MS = 1000;

async function drive(outputTokens: number, tokensPerChunk: number, jitterMs: number, seed: number): Promise<Run> {
  const truth = new TruthStore();
  let job: TickJob | undefined;
  let firstDue = NaN;
  const ticker = {
    schedule(j: TickJob, due: number) {
      job = j;
      firstDue = due;
    },
    cancel() {},
  } as unknown as Ticker;
  const slots = { acquire: (u: SlotUser) => u.begin(START_MS), release() {} } as unknown as Slots;
  const gen = new Generation(
    { ticker, truth, slots },
    {
      wire: createWire({ kind: "completion", index: 0, model: "m", text: createTokenText(0), outputTokens, promptTokens: 1, includeUsage: false }),
      stream: true,
      outputTokens,
      tokensPerChunk,
      ttftMs: 50,
      itlMs: 10,
      jitterMs,
      rng: createRng(seed, "test"),
      fault: undefined,
      truth: truth.add(0, "", "/v1/completions", 0),
    },
  );
  const reader = gen.streamResponse({}).body!.getReader();
  const first = reader.read(); // starts pull(): the request takes its slot and schedules chunk 0
  await Promise.resolve();
  expect(job).toBeDefined();
  const dueMs: number[] = [];
  for (let due = firstDue; !Number.isNaN(due); due = job!.run(due)) dueMs.push(due - START_MS);
  let body = "";
  const decoder = new TextDecoder();
  for (let r = await first; !r.done; r = await reader.read()) body += typeof r.value === "string" ? r.value : decoder.decode(r.value);
  return { dueMs, body };
}

describe("generation timing", () => {
  test("chunk 0 is the first token alone at TTFT; later chunks go out at their last token", async () => {
    const r = await drive(10, 3, 0, 0);
    expect(r.dueMs.map((d) => Math.round(d * 1000) / 1000)).toEqual([50, 80, 110, 140]);
    expect(r.body.split("data: ").length - 1).toBe(4 + 1); // 4 chunks + [DONE]
  });

  test("one token per chunk: TTFT then one gap of itlMs per token", async () => {
    const r = await drive(4, 1, 0, 0);
    expect(r.dueMs.map((d) => Math.round(d * 1000) / 1000)).toEqual([50, 60, 70, 80]);
  });

  test("jitter: every gap within ±jitter, repeatable for a seed, different for another", async () => {
    const a = await drive(40, 1, 4, 1);
    expect(a.dueMs[0]).toBeGreaterThanOrEqual(50 - 4);
    expect(a.dueMs[0]).toBeLessThanOrEqual(50 + 4);
    const gaps = a.dueMs.slice(1).map((d, i) => d - a.dueMs[i]);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(10 - 4);
      expect(g).toBeLessThanOrEqual(10 + 4);
    }
    expect(new Set(gaps.map((g) => g.toFixed(6))).size).toBeGreaterThan(10);
    const b = await drive(40, 1, 4, 1);
    expect(b.dueMs.slice(1).map((d, i) => d - b.dueMs[i])).toEqual(gaps);
    const c = await drive(40, 1, 4, 2);
    expect(c.dueMs.slice(1).map((d, i) => d - c.dueMs[i])).not.toEqual(gaps);
  });
});
