/**
 * During the measured run the runtime's helper threads (the JIT's compile
 * threads, its warm-up thread, the allocator's scavenger) run under
 * SCHED_IDLE, so they never take the CPU from a thread that stamps reads
 * (src/base/thread-slice.ts); the threads that send and read keep their
 * policy. Read from the kernel: /proc/<pid>/task/<tid>/stat of the running
 * binary, against the simulator on 127.0.0.1. After the run they get their
 * normal policy back where the kernel allows it (CAP_SYS_NICE).
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, readRunFile, requireBinary, writeConfig, sharedMock, sharedDir } from "../helpers/vbench.ts";
import { RUNTIME_HELPER_THREADS } from "../../src/base/thread-slice.ts";

const mock = sharedMock({ ttftMs: 5, itlMs: 2 });
const dir = sharedDir("vbench-helper-threads-");

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** Each thread of `pid` as name → the policies seen (field 41 of stat). */
function threadPolicies(pid: number, seen: Map<string, Set<number>>): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return; // exited
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const policy = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[41 - 3]);
      const key = tid === String(pid) ? "(main)" : name;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(policy);
    } catch {
      // the thread ended between the listing and the read
    }
  }
}

test.skipIf(process.platform !== "linux")("the run's helper threads are SCHED_IDLE; the main thread is not", async () => {
  requireBinary();
  // ~2 s of streaming on the main thread (--workers 0), long enough to look at its threads many times.
  const config = await writeConfig(dir, [{ name: "h", backend: "openai", dataset_type: "random", random_input_len: 8, random_output_len: 200, num_prompts: 64, max_concurrency: 8, tokenizer: "gpt2" }]);
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", VBENCH_WORKERS: "0" };
  const proc = Bun.spawn([BINARY, "run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out")], { env, stdout: "pipe", stderr: "pipe" });
  const seen = new Map<string, Set<number>>();
  let exited = false;
  const done = proc.exited.then((code) => ((exited = true), code));
  while (!exited) {
    threadPolicies(proc.pid, seen);
    await Bun.sleep(10);
  }
  expect(await done).toBe(0);
  const helpers = [...seen].filter(([name]) => RUNTIME_HELPER_THREADS.has(name));
  expect(helpers.length).toBeGreaterThan(0);
  // Every helper thread was turned idle at some point (before the run each is still SCHED_OTHER).
  for (const [name, policies] of helpers) expect({ name, idle: policies.has(SCHED_IDLE) }).toEqual({ name, idle: true });
  // The thread that sends and stamps reads never was.
  expect([...seen.get("(main)")!]).toEqual([SCHED_OTHER]);
  const log = readRunFile(join(dir, "out"), ".log");
  const line = /runtime helper threads under SCHED_IDLE during the run: (.*JITWorker.*); back to normal after it: (\d+) of (\d+)/.exec(log);
  expect(line).not.toBeNull();
  // Giving a thread its normal policy back needs CAP_SYS_NICE: as root (CI), every one is back after the run.
  if (process.getuid?.() === 0) expect(line![2]).toBe(line![3]!);
});
