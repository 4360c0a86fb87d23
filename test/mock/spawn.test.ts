import { describe, expect, test } from "bun:test";
import { parseFault } from "../../src/mock/faults.ts";
import { mockOptionsFromFlags, mockOptionsToArgs } from "../../src/mock/flags.ts";
import { resolveMockOptions } from "../../src/mock/options.ts";
import { spawnMockProcess } from "../../src/mock/spawn.ts";
import type { TruthSummary } from "../../src/mock/routes.ts";
import { VbenchError } from "../../src/base/errors.ts";
import { post } from "./helpers.ts";

const ENTRY = [process.execPath, `${import.meta.dir}/fixtures/mock-entry.ts`];

describe("flags", () => {
  test("options → args → cac-style flags → the same options", () => {
    const options = resolveMockOptions({
      ttftMs: 7,
      itlMs: 3,
      jitterMs: 1,
      tokensPerChunk: 2,
      maxConcurrency: 4,
      errorRate: 0.25,
      seed: 9,
      model: "x",
      exactPromptTokens: false,
      faults: [parseFault("cut=2@every:3"), parseFault("status=429@at:1")],
      dieAfter: 10,
    });
    const args = mockOptionsToArgs(options);
    // What cac would hand over (strings, camelCase keys, a repeated --fault as an array).
    const flags: Record<string, unknown> = { exactPromptTokens: true, fault: [] };
    for (let i = 0; i < args.length; i++) {
      const name = args[i].replace(/^--/, "");
      if (name === "no-exact-prompt-tokens") {
        flags.exactPromptTokens = false;
        continue;
      }
      const key = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      const value = args[++i];
      if (key === "fault") (flags.fault as string[]).push(value);
      else flags[key] = value;
    }
    expect(mockOptionsFromFlags(flags)).toEqual(options);
  });

  test("bad values are VbenchErrors", () => {
    expect(() => mockOptionsFromFlags({ ttftMs: "soon" })).toThrow(VbenchError);
    expect(() => mockOptionsFromFlags({ tokensPerChunk: 0 })).toThrow(VbenchError);
    expect(() => mockOptionsFromFlags({ errorRate: 2 })).toThrow(VbenchError);
    expect(() => mockOptionsFromFlags({ fault: "nope@all" })).toThrow(VbenchError);
  });
});

describe("spawnMockProcess", () => {
  test("starts a child, serves, stops on SIGTERM", async () => {
    const m = await spawnMockProcess(ENTRY, { ttftMs: 1, itlMs: 1, model: "child-model" });
    try {
      expect(m.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const models = (await (await fetch(`${m.url}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data[0].id).toBe("child-model");
      const r = await post(`${m.url}/v1/completions`, { prompt: "x", max_tokens: 3 });
      expect(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
      const sum = (await (await fetch(`${m.url}/_truth/summary`)).json()) as TruthSummary;
      expect(sum.count).toBe(1);
      expect(m.stderrTail()).toContain("serving child-model");
    } finally {
      await m.stop();
    }
    expect(await m.exited).toBe(0);
    expect(m.stderrTail()).toContain("stopped (SIGTERM)");
  });

  test("die-after exits the whole process mid-run", async () => {
    const m = await spawnMockProcess(ENTRY, { ttftMs: 0, itlMs: 50, dieAfter: 1 });
    try {
      // Request 0 streams slowly; request 1 kills the server while request 0 is mid-stream.
      const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e);
      const first = failure(post(`${m.url}/v1/completions`, { prompt: "x", max_tokens: 100, stream: true }).then((r) => r.text()));
      await new Promise((r) => setTimeout(r, 100));
      const second = failure(post(`${m.url}/v1/completions`, { prompt: "x", max_tokens: 1 }));
      expect(await m.exited).toBe(137);
      expect(await first).toBeInstanceOf(Error);
      expect(await second).toBeInstanceOf(Error);
    } finally {
      await m.stop();
    }
  });

  test("a child that fails to start is reported with its stderr", async () => {
    const err = await spawnMockProcess(ENTRY, { host: "256.0.0.1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VbenchError);
    expect((err as VbenchError).message).toContain("did not start");
  });
});
