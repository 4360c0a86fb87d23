import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SHORT_SLICE_NS, setThreadSlice } from "../../src/base/thread-slice.ts";
import { spawnMockProcess } from "../../src/mock/spawn.ts";

// The probe first sets a 3 ms slice as its starting point (it may have inherited a short one from this
// test process). The kernel shows a thread's slice in /proc/thread-self/sched as se.slice from Linux 6.12 (EEVDF custom slices).
const kernelShowsSlices = existsSync("/proc/thread-self/sched") && /se\.slice/.test(readFileSync("/proc/thread-self/sched", "utf8"));

async function probe(env: Record<string, string> = {}, nice = 0, prefix: string[] = []): Promise<{ applied: boolean; before: number; after: number; worker: number; nice: number; policy: number }> {
  const cmd = [...prefix, process.execPath, join(import.meta.dir, "fixtures/slice-probe.ts")];
  const proc = Bun.spawn(nice ? ["nice", "-n", String(nice), ...cmd] : cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`slice probe exited ${code}: ${err}`);
  return JSON.parse(out);
}

describe("a short scheduler slice for the dispatcher", () => {
  test.skipIf(!kernelShowsSlices)("the kernel takes it for the main thread, and a worker started afterwards inherits it", async () => {
    const r = await probe();
    expect(r.applied).toBe(true);
    expect(r.before).toBe(3_000_000);
    expect(r.after).toBe(SHORT_SLICE_NS);
    expect(r.worker).toBe(SHORT_SLICE_NS);
    expect(r.nice).toBe(0);
  });

  test.skipIf(!kernelShowsSlices)("keeps the nice value it was started with", async () => {
    const r = await probe({}, 7);
    expect(r.applied).toBe(true);
    expect(r.after).toBe(SHORT_SLICE_NS);
    expect(r.nice).toBe(7);
  });

  // chrt needs root or CAP_SYS_NICE; `chrt -f 1 true` says whether this process may.
  const mayUseRealTime = Bun.which("chrt") !== null && Bun.spawnSync(["chrt", "-f", "1", "true"]).exitCode === 0;
  test.skipIf(!mayUseRealTime)("leaves a real-time policy the user started it with (chrt -f) alone", async () => {
    const r = await probe({ SLICE_PROBE_KEEP_POLICY: "1" }, 0, ["chrt", "-f", "1"]);
    expect(r.applied).toBe(false);
    expect(r.policy).toBe(1); // SCHED_FIFO
    const plain = await probe();
    expect(plain.policy).toBe(0);
  });

  test.skipIf(!kernelShowsSlices)("VBENCH_DEFAULT_SLICE=1 leaves the slice the thread had", async () => {
    const r = await probe({ VBENCH_DEFAULT_SLICE: "1" });
    expect(r.applied).toBe(false);
    expect(r.after).toBe(3_000_000);
    expect(r.worker).toBe(3_000_000);
  });

  test.skipIf(!kernelShowsSlices)("a simulator started by a client with the short slice goes back to the default", async () => {
    // As `run --mock` and `calibrate` do: the client's thread has the short slice when it starts the simulator.
    expect(setThreadSlice(SHORT_SLICE_NS)).toBe(true);
    const mock = await spawnMockProcess([process.execPath, join(import.meta.dir, "../mock/fixtures/mock-entry.ts")], {});
    try {
      const slice = Number(/se\.slice\s*:\s*(\d+)/.exec(readFileSync(`/proc/${mock.pid}/sched`, "utf8"))?.[1]);
      expect(slice).toBeGreaterThan(SHORT_SLICE_NS);
    } finally {
      await mock.stop();
      setThreadSlice(0);
    }
  });
});
