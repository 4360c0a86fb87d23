/**
 * The default worker count follows the CPUs vbench may use (its affinity
 * mask): with one CPU the engine runs on the main thread, with two in two
 * worker threads (src/engine/workers.ts says why). The binary under taskset
 * against the simulator on 127.0.0.1.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { readRunFile, vbench, writeConfig, sharedMock, sharedDir } from "../helpers/vbench.ts";

const mock = sharedMock({ ttftMs: 2, itlMs: 1 });
const dir = sharedDir("vbench-workers-default-");

const hasTaskset = Bun.which("taskset") !== null;
const cpus = navigator.hardwareConcurrency;

/** Run a small closed loop under `taskset -c cpuList`; the debug log's engine line and the records' worker ids. */
async function runPinned(cpuList: string): Promise<{ engine: string; workers: Set<number> }> {
  const out = join(dir, cpuList.replace(",", "-"));
  const config = await writeConfig(dir, [{ name: "w", backend: "openai", dataset_type: "random", random_input_len: 8, random_output_len: 8, num_prompts: 64, max_concurrency: 8, tokenizer: "gpt2" }]);
  const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out], { wrap: (cmd) => ["taskset", "-c", cpuList, ...cmd] });
  expect(r.code).toBe(0);
  const log = readRunFile(out, ".log");
  const records = readRunFile(out, "requests.jsonl").trim().split("\n").map((l) => JSON.parse(l) as { worker: number });
  expect(records).toHaveLength(64);
  return { engine: /engine: [^\n]*/.exec(log)?.[0] ?? "(no engine line)", workers: new Set(records.map((x) => x.worker)) };
}

test.skipIf(!hasTaskset)("one usable CPU: the engine runs on the main thread", async () => {
  const { engine, workers } = await runPinned("0");
  expect(engine).toBe("engine: the main thread (--workers 0, or the default with one usable CPU)");
  expect([...workers]).toEqual([0]);
});

test.skipIf(!hasTaskset || cpus < 2)("two usable CPUs: two worker threads, both sending", async () => {
  const { engine, workers } = await runPinned("0,1");
  expect(engine).toBe("engine: 2 worker threads");
  expect([...workers].sort()).toEqual([0, 1]);
});
