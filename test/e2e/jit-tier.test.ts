/**
 * Load commands run with the JIT's top tier (FTL) off (src/base/jit-tier.ts):
 * the binary restarts itself with BUN_JSC_useFTLJIT=false unless the user set
 * it. The binary against the simulator on 127.0.0.1; the run log says which
 * tier the process started with.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { readRunFile, vbench, writeConfig, sharedMock, sharedDir } from "../helpers/vbench.ts";
import { execArgs } from "../../src/base/jit-tier.ts";

const mock = sharedMock({ ttftMs: 2, itlMs: 1 });
const dir = sharedDir("vbench-jit-tier-");

async function runLogJitLine(name: string, env: Record<string, string> = {}): Promise<string> {
  const out = join(dir, name);
  const config = await writeConfig(dir, [{ name: "j", backend: "openai", dataset_type: "random", random_input_len: 8, random_output_len: 8, num_prompts: 16, max_concurrency: 4, tokenizer: "gpt2" }]);
  const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out], { env });
  expect(r.code).toBe(0);
  // The restarted process printed the result block, as ever.
  expect(r.stderr).toContain("Successful requests:");
  const log = readRunFile(out, ".log");
  return /jit: [^\n]*/.exec(log)?.[0] ?? "(no jit line)";
}

test("`vbench run` restarts itself without the top tier", async () => {
  expect(await runLogJitLine("default")).toBe("jit: top tier (FTL) off");
});

test("a user's own BUN_JSC_useFTLJIT is kept", async () => {
  expect(await runLogJitLine("user", { BUN_JSC_useFTLJIT: "true" })).toBe("jit: BUN_JSC_useFTLJIT=true, as set in the environment");
});

test("the restart's arguments: the binary's own, or the runtime's and the script's", () => {
  expect(execArgs("/opt/vbench", ["bun", "/$bunfs/root/vbench", "run", "--config", "s.json"], true)).toEqual(["/opt/vbench", "run", "--config", "s.json"]);
  expect(execArgs("/usr/bin/bun", ["/usr/bin/bun", "src/cli.ts", "run", "--mock"], false)).toEqual(["/usr/bin/bun", "src/cli.ts", "run", "--mock"]);
  expect(execArgs("/usr/bin/bun", ["/usr/bin/bun", "src/cli.ts", "run"], false, ["--smol"])).toEqual(["/usr/bin/bun", "--smol", "src/cli.ts", "run"]);
});
