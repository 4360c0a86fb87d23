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
 * The clock's share is the process's CPU less the receiver's (the main
 * thread only waits). Needs cc for the C case.
 */
import { join } from "node:path";
import { createReleaseClock } from "../src/engine/release-clock.ts";
import { runSchedule } from "../src/engine/schedule.ts";
import { benchArgs, buildCHelper, machineLoad, REPO, report } from "./_lib.ts";

export interface WakeCost {
  wakes: number;
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
  const ready = said();
  receiver.postMessage({ port: port2, count }, [port2]);
  await ready;
  const result = said() as Promise<{ wakes: number; repeats: number; receiverUs: number }>;
  const schedule = runSchedule({ count, rateRps: rate, burstiness: Infinity, rampUp: null, seed: 0 });
  const before = process.cpuUsage();
  clock.startPorts(schedule.spec, performance.timeOrigin + performance.now() + 20, [port1]);
  const { wakes, repeats, receiverUs } = await result;
  const used = process.cpuUsage(before);
  clock.stop();
  await receiver.terminate();
  return { wakes, repeats, receiverUs, clockUs: (used.user + used.system) / wakes - receiverUs };
}

/** bench/release-wake.c: the same hop in C. */
export function cWakeCost(rate: number, count: number): WakeCost | string {
  const command = buildCHelper("release-wake", "the C case");
  if (typeof command === "string") return command;
  const run = Bun.spawnSync([...command, String(count), String(1000 / rate)], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`release-wake exited ${run.exitCode}: ${run.stderr.toString()}`);
  const [clockUs, receiverUs] = run.stdout.toString().trim().split(" ").map(Number) as [number, number];
  return { wakes: count, repeats: 0, clockUs, receiverUs };
}

if (import.meta.main) {
  const args = benchArgs();
  const rate = Number(args.get("rate") ?? 2000);
  const count = Math.round(rate * Number(args.get("seconds") ?? 5));
  const line = (name: string, c: WakeCost | string) =>
    typeof c === "string" ? `${name}: skipped (${c})` : `${name}: clock ${c.clockUs.toFixed(1)} µs, receiver ${c.receiverUs.toFixed(1)} µs, together ${(c.clockUs + c.receiverUs).toFixed(1)} µs per wake (${c.wakes} wakes)`;
  const lines = [line("C (clock_nanosleep → eventfd → epoll_wait)", cWakeCost(rate, count)), line("vbench's release clock (Atomics.wait → MessagePort)", await vbenchWakeCost(rate, count))];
  report(`release wake: CPU per wake at ${rate} releases/s, a clock thread waking another`, lines, `npx bun bench/release-wake.ts --rate ${rate} --seconds ${count / rate}`, machineLoad());
}
