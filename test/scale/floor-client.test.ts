/**
 * The floor clients of bench/scale-wire.ts (bench/floor-client.c, and
 * bench/floor-client.ts raw and with vbench's pipeline and release clock)
 * are measuring instruments: they must run the same closed loop vbench runs
 * and write records scale-compare.ts reads. Run here against the simulator
 * on 127.0.0.1 (correctness only; their timing is what the bench reports).
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN_FLOOR, BUN_PIPELINE, buildFloorClient } from "../../bench/scale-wire.ts";
import { scaleRecordFromLine } from "../../bench/scale-compare.ts";
import { peakOverlap } from "../../src/results/sweeps.ts";
import { sharedDir, sharedMock } from "../helpers/vbench.ts";

const STREAMS = 8;
const PROMPTS = 24;
const OUTPUT = 32;
const mock = sharedMock({ ttftMs: 5, itlMs: 1, tokensPerChunk: 4 });
const dir = sharedDir("vbench-floor-client-");
writeFileSync(join(dir, "body.json"), JSON.stringify({ model: "vbench-mock", prompt: "the cat sat", max_tokens: OUTPUT, ignore_eos: true, stream: true, stream_options: { include_usage: true } }));

async function runFloor(command: string[], name: string, rate?: number) {
  const out = join(dir, `${name}.jsonl`);
  const proc = Bun.spawn([...command, new URL(mock.url).port, String(STREAMS), String(PROMPTS), join(dir, "body.json"), out, ...(rate ? [String(rate)] : [])], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  const said = JSON.parse(stdout) as { cpu_s: number; probe_late_ms: number[] };
  expect(said.cpu_s).toBeGreaterThan(0);
  return { records: readFileSync(out, "utf8").trim().split("\n").map(scaleRecordFromLine), probeLateMs: said.probe_late_ms };
}

for (const [name, command] of [
  ["floor-client.c", () => buildFloorClient()],
  ["floor-client.ts", () => BUN_FLOOR],
  ["floor-client.ts --pipeline --release-clock", () => BUN_PIPELINE],
] as const) {
  test(`${name}: every request once, a stamp per token message, at most ${STREAMS} in flight`, async () => {
    const cmd = command();
    if (typeof cmd === "string") throw new Error(cmd); // no C compiler: .ci/run installs gcc
    const { records, probeLateMs } = await runFloor(cmd, name);
    expect(records.map((r) => r.requestId)).toEqual(Array.from({ length: PROMPTS }, (_, i) => `floor-${i}`));
    // The simulator sends the first token alone, then 4 per message: 1 + ceil(31 / 4) token messages.
    const messages = 1 + Math.ceil((OUTPUT - 1) / 4);
    for (const r of records) {
      expect(r.success).toBe(true);
      expect(r.chunkAtMs).toHaveLength(messages);
      expect(r.chunkAtMs[0]!).toBeGreaterThan(r.sentAtMs + 4); // TTFT 5 ms at the simulator
      for (let k = 1; k < messages; k++) expect(r.chunkAtMs[k]!).toBeGreaterThanOrEqual(r.chunkAtMs[k - 1]!);
      // The wall-clock send time is the run clock's, shifted by one offset for all records.
      expect(r.sentEpochMs - r.sentAtMs).toBeCloseTo(records[0]!.sentEpochMs - records[0]!.sentAtMs, 3);
    }
    expect(Math.abs(records[0]!.sentEpochMs - Date.now())).toBeLessThan(60_000);
    // A closed loop: the first STREAMS at t0, never more than STREAMS in flight.
    expect(records.slice(0, STREAMS).every((r) => r.sentAtMs < 50)).toBe(true);
    const starts = Float64Array.from(records, (r) => r.sentAtMs);
    const ends = Float64Array.from(records, (r) => r.chunkAtMs.at(-1)!);
    expect(peakOverlap(starts, ends)).toBe(STREAMS);
    // The event-loop probe (a 20 ms timer re-armed as it fires) ran over the measured run only: at most one firing per 20 ms of it.
    expect(probeLateMs.length).toBeGreaterThan(0);
    expect(probeLateMs.length).toBeLessThanOrEqual(Math.max(...ends) / 20 + 1);
    for (const late of probeLateMs) expect(late).toBeGreaterThanOrEqual(0);
  });

  // Stream time here is 5 + 31 ms: at 400 req/s (one every 2.5 ms) about 14.4 would be in flight, so the limit of 8 binds.
  test(`${name} with RATE: request i never sent before i / RATE, in order, at most ${STREAMS} in flight`, async () => {
    const cmd = command();
    if (typeof cmd === "string") throw new Error(cmd);
    const RATE = 400;
    const { records } = await runFloor(cmd, `${name}-steady`, RATE);
    expect(records.map((r) => r.requestId)).toEqual(Array.from({ length: PROMPTS }, (_, i) => `floor-${i}`));
    const starts = Float64Array.from(records, (r) => r.sentAtMs);
    const ends = Float64Array.from(records, (r) => r.chunkAtMs.at(-1)!);
    // Reached and never exceeded: more were due than the limit allows.
    expect(peakOverlap(starts, ends)).toBe(STREAMS);
    for (let i = 0; i < PROMPTS; i++) {
      expect(starts[i]!).toBeGreaterThanOrEqual((i * 1000) / RATE - 0.01); // never before its due time (not all at t0)
      if (i > 0) expect(starts[i]!).toBeGreaterThanOrEqual(starts[i - 1]!); // in order
    }
  });
}
