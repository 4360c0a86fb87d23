import { join } from "node:path";
import type { ResolvedScenario } from "../../src/core/types.ts";

export const FIXTURES = join(import.meta.dir, "../fixtures/datasets");

/** A resolved scenario with vLLM's defaults and small lengths; override what a test needs. */
export function scenario(overrides: Partial<ResolvedScenario> = {}): ResolvedScenario {
  return {
    name: "t",
    description: "",
    backend: "openai-chat",
    endpointPath: "/v1/chat/completions",
    baseUrl: "http://127.0.0.1:1",
    model: "m",
    servedModel: "m",
    tokenizer: "gpt2",
    datasetType: "random",
    dataset: {},
    maxConcurrency: null,
    numPrompts: 10,
    requestRate: Infinity,
    burstiness: 1,
    rampUp: null,
    durationS: null,
    randomInputLen: 32,
    randomOutputLen: 8,
    randomRangeRatio: 0,
    randomPrefixLen: 0,
    percentileMetrics: ["ttft", "tpot", "itl", "e2el"],
    metricPercentiles: [50, 99],
    goodput: {},
    seed: 0,
    sampling: {},
    extraBody: {},
    headers: {},
    timeoutS: 60,
    idleTimeoutS: 30,
    warmups: 0,
    thresholds: {},
    exporters: [],
    saveGeneratedText: false,
    ...overrides,
  };
}
