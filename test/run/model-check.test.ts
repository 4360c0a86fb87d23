/**
 * The served-model check and its override (model_check: false,
 * --no-model-check): llama-server accepts any model name and lists its
 * model file's path, so a name it does not list is not necessarily wrong.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import cac from "cac";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import { RUN_FLAGS, flagsToSources } from "../../src/config/cli-flags.ts";
import { resolveConfig } from "../../src/config/config.ts";
import { discoverModel } from "../../src/run/discovery.ts";
import { VbenchError } from "../../src/base/errors.ts";
import { startMockServer, type MockServer } from "../../src/mock/server.ts";
import { builtinRegistry } from "../helpers/registry.ts";

describe("discovery against the simulator (which lists vbench-mock)", () => {
  let mock: MockServer;
  beforeAll(async () => {
    mock = await startMockServer({ model: "vbench-mock" });
  });
  afterAll(() => mock.stop());

  const code = async (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof VbenchError ? e.code : String(e)));

  test("by default a model the server does not list stops the run", async () => {
    expect(await code(discoverModel(mock.url, openaiChat, "/models/tiny-random-llama.gguf", {}))).toBe("model_not_served");
  });

  test("with the check off the name is sent anyway, with a warning naming what the server lists", async () => {
    const found = await discoverModel(mock.url, openaiChat, "tiny-random-llama", {}, { checkModel: false });
    expect(found.model).toBe("tiny-random-llama");
    expect(found.warning).toContain('model check skipped (model_check: false / --no-model-check): sending model "tiny-random-llama"');
    expect(found.warning).toContain("vbench-mock");
  });

  test("a listed model needs no warning; no model given still takes the listed one", async () => {
    expect(await discoverModel(mock.url, openaiChat, "vbench-mock", {}, { checkModel: false })).toEqual({ models: ["vbench-mock"], model: "vbench-mock" });
    expect((await discoverModel(mock.url, openaiChat, "", {}, { checkModel: false })).model).toBe("vbench-mock");
  });

  test("a server without the listing route is only a warning with the check off", async () => {
    const noList = { ...openaiChat, discovery: { ...openaiChat.discovery, path: "/no-such-route" } };
    expect(await code(discoverModel(mock.url, noList, "m", {}))).toBe("discovery_http");
    expect((await discoverModel(mock.url, noList, "m", {}, { checkModel: false })).warning).toContain("HTTP 404");
  });

  test("an unreachable server fails either way", async () => {
    const closed = `http://127.0.0.1:${mock.port}`;
    await mock.stop();
    expect(await code(discoverModel(closed, openaiChat, "m", {}, { checkModel: false }))).toBe("unreachable");
  });
});

describe("the config key and the flag", () => {
  const registry = builtinRegistry();
  const dir = mkdtempSync(join(tmpdir(), "vbench-model-check-"));
  const configPath = join(dir, "c.json");
  writeFileSync(configPath, JSON.stringify({ scenarios: [{ name: "a" }, { name: "b", model_check: false }] }));

  /** Parse argv the way cli.ts does (cac with RUN_FLAGS), then resolve. */
  function resolve(argv: string[]) {
    const cli = cac("vbench");
    let options: Record<string, unknown> = {};
    const command = cli.command("run", "").action((o: Record<string, unknown>) => {
      options = o;
    });
    for (const flag of RUN_FLAGS) command.option(flag.syntax, flag.description);
    cli.parse(["bun", "vbench", "run", "--config", configPath, ...argv]);
    const plan = resolveConfig(flagsToSources(options, {}), registry);
    return plan.runs.map((r) => r.scenario.modelCheck);
  }

  test("on by default; model_check: false in the file turns it off for that scenario", () => {
    expect(resolve([])).toEqual([true, false]);
  });

  test("--no-model-check turns it off for every scenario", () => {
    expect(resolve(["--no-model-check"])).toEqual([false, false]);
  });

  test("a non-boolean value names the key", () => {
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ scenarios: [{ name: "a", model_check: "no" }] }));
    try {
      resolveConfig({ configPath: join(dir, "bad.json"), flags: {}, env: {}, select: [], plugins: [] }, registry);
      throw new Error("expected a config error");
    } catch (e) {
      expect(e).toBeInstanceOf(VbenchError);
      expect([(e as VbenchError).message, ...(e as VbenchError).details].join("\n")).toContain("model_check");
    }
  });
});
