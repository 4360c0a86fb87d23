/**
 * Property test of the configuration validator: whatever the file, the flags
 * and the environment hold, resolveConfig returns a plan or throws one
 * VbenchError with exit code 2 listing its problems, never another exception
 * (a TypeError would reach users as "internal error").
 *
 * Inputs are biased towards the real keys so the deep checks (backends,
 * thresholds, sweeps, goodput, ramp-up) run, not only the top-level type check.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, type ConfigSources } from "../../src/config/config.ts";
import { SCENARIO_KEYS } from "../../src/config/schema.ts";
import { ExitCode, VbenchError } from "../../src/base/errors.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const FC = { seed: 777, numRuns: 400 };
const registry = builtinRegistry();
const dir = mkdtempSync(join(tmpdir(), "vbench-config-fuzz-"));
let n = 0;

/** Values a key might plausibly (or implausibly) be given. */
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("inf", "", "openai", "tgi", "openai-chat", "random", "linear", "ttft:200,tpot:50", "25,50,99", "ttft,itl", "/v1/completions", "http://127.0.0.1:1", "gpt2"),
  fc.double(),
  fc.integer({ min: -5, max: 2000 }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.oneof(fc.constantFrom("ttft_p95_ms", "success_rate", "throughput_min", "ttft", "type", "Authorization"), fc.string({ maxLength: 6 })), fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.integer())),
);
const sometimes = <T>(arb: fc.Arbitrary<T>, none: T) => fc.oneof({ weight: 3, arbitrary: fc.constant(none) }, { weight: 1, arbitrary: arb });

/** A valid value per key: most generated values are valid, so whole plans resolve and the deep checks run. */
const VALID: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.constantFrom("a", "b", "c", "d", "e", "f"),
  backend: fc.constantFrom("openai-chat", "openai", "tgi"),
  num_prompts: fc.integer({ min: 1, max: 100 }),
  max_concurrency: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(null)),
  request_rate: fc.oneof(fc.constant("inf"), fc.double({ min: 0.5, max: 100, noNaN: true })),
  burstiness: fc.oneof(fc.constant("inf"), fc.double({ min: 0.5, max: 5, noNaN: true })),
  duration: fc.integer({ min: 1, max: 10 }),
  random_input_len: fc.integer({ min: 1, max: 100 }),
  random_output_len: fc.integer({ min: 1, max: 100 }),
  random_range_ratio: fc.double({ min: 0, max: 0.9, noNaN: true }),
  timeout_s: fc.integer({ min: 1, max: 100 }),
  warmups: fc.integer({ min: 0, max: 3 }),
  seed: fc.nat(1000),
  goodput: fc.constantFrom("ttft:200", "ttft:200,tpot:50", "e2el:1000"),
  percentile_metrics: fc.constantFrom("ttft,itl", "ttft,tpot,itl,e2el", "e2el"),
  metric_percentiles: fc.constantFrom("50,99", "99.9", "25,50,75"),
  thresholds: fc.constantFrom({ ttft_p95_ms: 100 }, { success_rate: 0.9 }, { throughput_min: 1, e2el_p99_ms: 5 }),
  headers: fc.constantFrom({ "X-Api-Key": "k" }, {}),
  temperature: fc.double({ min: 0, max: 2, noNaN: true }),
};
/** Ramp-up keys come together (or, rarely, some missing). */
const rampArb = fc.record(
  { ramp_up_strategy: fc.constantFrom("linear", "exponential"), ramp_up_start_rps: fc.integer({ min: 1, max: 10 }), ramp_up_end_rps: fc.integer({ min: 1, max: 10 }) },
  { requiredKeys: [] },
).map((r) => (Object.keys(r).length === 3 || Math.abs(r.ramp_up_start_rps ?? 0) % 5 === 0 ? r : {}));
const fieldArb = (key: string) => fc.oneof({ weight: 40, arbitrary: VALID[key]! }, { weight: 1, arbitrary: valueArb });
const scenarioArb = fc.oneof(
  {
    weight: 30,
    arbitrary: fc
      .tuple(fc.record(Object.fromEntries(Object.keys(VALID).map((k) => [k, fieldArb(k)])), { requiredKeys: ["name"] }), sometimes(rampArb, {}))
      .map(([fields, ramp]) => ({ ...fields, ...ramp })),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...SCENARIO_KEYS), fc.string({ maxLength: 10 })), valueArb, { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const fileArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        scenarios: fc.oneof({ weight: 8, arbitrary: fc.array(scenarioArb, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: valueArb }),
        defaults: sometimes(scenarioArb, {}),
        thresholds: fieldArb("thresholds"),
        exporters: fc.oneof({ weight: 20, arbitrary: fc.constantFrom("json", "json,csv", ["csv", "msgpack"], "csv,xlsx") }, { weight: 1, arbitrary: valueArb }),
        description: fc.oneof({ weight: 20, arbitrary: fc.string({ maxLength: 10 }) }, { weight: 1, arbitrary: valueArb }),
      },
      { requiredKeys: ["scenarios"] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ raw: s })) },
);
/** Flags and environment arrive as strings (cac may make numbers): mostly plausible, sometimes junk. */
const textArb = (valid: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const flagsArb = sometimes(fc.record(
  {
    max_concurrency: textArb(["1", "4", "0", "-1"]),
    num_prompts: textArb(["3", "10"]),
    request_rate: textArb(["inf", "2.5", "0"]),
    backend: textArb(["tgi", "openai", "vllm"]),
    goodput: textArb(["ttft:100", "tpot:x"]),
    save_generated_text: textArb(["true", "1"]),
  },
  { requiredKeys: [] },
), {});
const envArb = sometimes(fc.record(
  {
    MODEL_ENDPOINT: textArb(["http://127.0.0.1:1", "http://[::1]:80/", "not a url"]),
    REQUEST_RATE: textArb(["inf", "3"]),
    MODEL_NAME: textArb(["m"]),
    DURATION: textArb(["2", "0"]),
    CONCURRENCY_LEVELS: textArb(["1,2", "0", "1.5"]),
  },
  { requiredKeys: [] },
), {});

test("random files, flags and environment: a plan or a VbenchError (exit 2), never another exception", () => {
  let plans = 0;
  let rejected = 0;
  fc.assert(
    fc.property(fileArb, flagsArb, envArb, fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom("1,2", "0", "x", "inf") }), (content, flags, env, rates) => {
      const path = join(dir, `c${n++}.json`);
      const raw = (content as { raw?: unknown })?.raw;
      writeFileSync(path, typeof raw === "string" ? raw : JSON.stringify(content));
      const sources: ConfigSources = { configPath: path, flags, env: { ...env, CONFIG_PATH: undefined }, select: [], plugins: [], requestRates: rates };
      try {
        const plan = resolveConfig(sources, registry);
        plans++;
        expect(plan.runs.length).toBeGreaterThan(0);
        for (const { scenario } of plan.runs) {
          expect(Object.isFrozen(scenario)).toBe(true);
          expect(scenario.numPrompts).toBeGreaterThanOrEqual(1);
          expect(registry.hasBackend(scenario.backend)).toBe(true);
        }
      } catch (error) {
        if (!(error instanceof VbenchError)) throw error;
        rejected++;
        expect(error.exitCode).toBe(ExitCode.config);
        expect(error.message.length).toBeGreaterThan(0);
      }
    }),
    FC,
  );
  // The inputs exercise both outcomes, so the deep checks behind a valid file ran too.
  expect(plans).toBeGreaterThan(20);
  expect(rejected).toBeGreaterThan(20);
});
