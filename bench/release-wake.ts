/**
 * What one release wake costs: vbench's steady arrivals are timed by a
 * release clock thread that sleeps to each due time and posts a wake to the
 * dispatch thread that sends it (src/engine/release-clock.ts), because Bun's
 * own timers fire on whole milliseconds. Both threads pay for that hop on
 * every release. This prints the CPU each pays per wake:
 *
 * - vbench's release clock (createReleaseClock, the real worker) waking a
 *   thread that only counts (bench/release-wake-receiver.ts);
 * - the same hop in C (bench/release-wake.c: clock_nanosleep, an eventfd,
 *   epoll_wait), the machine's floor for a clock on another thread.
 *
 *   npx bun bench/release-wake.ts [--rate 2000] [--seconds 5]
 *
 * Each thread's CPU comes from /proc/self/task: the clock's is the thread
 * that used the most besides the receiver and the main thread, and what the
 * rest of the process used (the main thread waiting, the JIT, the collector)
 * is printed beside it. Needs cc for the C case.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createReleaseClock } from "../src/engine/release-clock.ts";
import { runSchedule } from "../src/engine/schedule.ts";
import { benchArgs, buildCHelper, machineLoad, REPO, report } from "./_lib.ts";
import { threadCpuUs } from "./scale-probe.ts";

export interface WakeCost {
  wakes: number;
  /** CPU per wake of the process's other threads (vbench's case; 0 for C, whose figures are its two threads'). */
  restUs: number;
  /** Wakes that announced no release past the previous one's (vbench's clock only). */
  repeats: number;
  clockUs: number;
  receiverUs: number;
}

/** vbench's release clock posting `count` steady releases at `rate` to a thread that counts them. */
export async function vbenchWakeCost(rate: number, count: number): Promise<WakeCost> {
  const clock = await createReleaseClock();
  if (!clock) throw new Error("no release clock: worker threads are unavailable");
  const receiver = new Worker(join(REPO, "bench/release-wake-receiver.ts"));
  const { port1, port2 } = new MessageChannel();
  const said = (): Promise<unknown> => new Promise((resolve) => receiver.addEventListener("message", (e) => resolve(e.data), { once: true }));
  const ready = said() as Promise<{ tid: number }>;
  receiver.postMessage({ port: port2, count }, [port2]);
  const { tid: receiverTid } = await ready;
  const result = said() as Promise<{ wakes: number; repeats: number; receiverUs: number }>;
  const schedule = runSchedule({ count, rateRps: rate, burstiness: Infinity, rampUp: null, seed: 0 });
  const before = threadsCpuUs();
  clock.startPorts(schedule.spec, performance.timeOrigin + performance.now() + 20, [port1]);
  const { wakes, repeats, receiverUs } = await result;
  const after = threadsCpuUs();
  clock.stop();
  await receiver.terminate();
  const used = [...after].map(([tid, us]) => [tid, us - (before.get(tid) ?? 0)] as const).filter(([tid]) => tid !== receiverTid);
  const [clockTid, clockUsed] = used.filter(([tid]) => tid !== process.pid).reduce((a, b) => (b[1] > a[1] ? b : a));
  const rest = used.filter(([tid]) => tid !== clockTid).reduce((n, [, us]) => n + us, 0);
  return { wakes, repeats, receiverUs, clockUs: clockUsed / wakes, restUs: rest / wakes };
}

/** Each thread of this process: its CPU so far in µs. */
function threadsCpuUs(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      out.set(Number(tid), threadCpuUs(`/proc/self/task/${tid}/stat`));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** bench/release-wake.c: the same hop in C. */
export function cWakeCost(rate: number, count: number): WakeCost | string {
  const command = buildCHelper("release-wake", "the C case");
  if (typeof command === "string") return command;
  const run = Bun.spawnSync([...command, String(count), String(1000 / rate)], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`release-wake exited ${run.exitCode}: ${run.stderr.toString()}`);
  const [clockUs, receiverUs] = run.stdout.toString().trim().split(" ").map(Number) as [number, number];
  return { wakes: count, repeats: 0, clockUs, receiverUs, restUs: 0 };
}

if (import.meta.main) {
  const args = benchArgs();
  const rate = Number(args.get("rate") ?? 2000);
  const count = Math.round(rate * Number(args.get("seconds") ?? 5));
  const line = (name: string, c: WakeCost | string) =>
    typeof c === "string"
      ? `${name}: skipped (${c})`
      : `${name}: clock ${c.clockUs.toFixed(1)} µs, receiver ${c.receiverUs.toFixed(1)} µs, together ${(c.clockUs + c.receiverUs).toFixed(1)} µs per wake (${c.wakes} wakes)` +
        (c.restUs > 0 ? `; the rest of the process ${c.restUs.toFixed(1)} µs per wake` : "");
  const lines = [line("C (clock_nanosleep → eventfd → epoll_wait)", cWakeCost(rate, count)), line("vbench's release clock (Atomics.wait → MessagePort)", await vbenchWakeCost(rate, count))];
  report(`release wake: CPU per wake at ${rate} releases/s, a clock thread waking another`, lines, `npx bun bench/release-wake.ts --rate ${rate} --seconds ${count / rate}`, machineLoad());
}
