/**
 * The event-loop lag a run reports is that of the loops that stamp reads
 * (src/engine/client-monitor.ts): each worker thread's, or the main thread's
 * with --workers 0. A plugin backend that holds its thread 60 ms on every
 * response stalls the loop that reads; the report must show it whichever
 * loop that is. Before the workers ran their own probe, a run on workers
 * reported the main thread's lag, which merges records and never saw such
 * a stall.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sharedMock, tempDir, vbench, writeConfig } from "../helpers/vbench.ts";

/** Longer than the probe's 20 ms period: a probe tick falls due inside every hold and runs at least HOLD_MS − 20 late. */
const HOLD_MS = 60;

const STALLING_BACKEND = `
import { defineBackend, PayloadKind } from "vbench/plugin";
export default defineBackend({
  name: "stalling",
  description: "test: holds its thread ${HOLD_MS} ms on every response",
  defaultEndpointPath: "/generate",
  discovery: { path: "/info", parseModels: (body) => [String(body.model_id)] },
  buildBody: ({ item }) => ({ inputs: item.prompt, parameters: { max_new_tokens: item.outputTokens, details: true } }),
  createParser() {
    const state = { textParts: [], ended: false };
    return {
      state,
      onPayload(payload) {
        const until = performance.now() + ${HOLD_MS};
        while (performance.now() < until) {}
        const body = JSON.parse(payload);
        state.textParts.push(body.generated_text);
        state.outputTokens = body.details.generated_tokens;
        state.ended = true;
        return PayloadKind.TokenAndDone;
      },
    };
  },
});
`;

function clientFigures(dir: string): { event_loop_lag_ms: { p50: number; p99: number; max: number; samples: number }; read_stalls: { over_5ms: number } } {
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    if (entry.endsWith("benchmark_results.json")) return JSON.parse(readFileSync(join(dir, entry), "utf8")).vbench.client;
  }
  throw new Error(`no benchmark_results.json under ${dir}`);
}

describe("event-loop lag is measured on the loops that stamp reads", () => {
  const mock = sharedMock({ ttftMs: 5, itlMs: 1 });

  for (const workers of ["2", "0"]) {
    test(`a backend holding its thread shows in the reported lag (--workers ${workers})`, async () => {
      const dir = tempDir("vbench-loop-lag-");
      writeFileSync(join(dir, "stalling.ts"), STALLING_BACKEND);
      const config = await writeConfig(dir, [{ name: "held", num_prompts: 16, max_concurrency: 2, random_input_len: 8, random_output_len: 4 }]);
      const out = join(dir, "out");
      const r = await vbench(["run", "--config", config, "--plugin", join(dir, "stalling.ts"), "--backend", "stalling", "--workers", workers, "--export", "json", "--base-url", mock.url, "--output-dir", out], { cwd: dir });
      expect(r.stderr).toContain("Successful requests:                     16");
      expect(r.code).toBe(0);
      const client = clientFigures(out);
      // The reads themselves were held (the stall is real), and the probe on the same loop saw it.
      expect(client.read_stalls.over_5ms).toBeGreaterThan(0);
      expect(client.event_loop_lag_ms.max).toBeGreaterThanOrEqual(HOLD_MS - 20 - 1);
      expect(client.event_loop_lag_ms.samples).toBeGreaterThan(0);
    });
  }
});
