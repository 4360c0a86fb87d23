/**
 * A short scheduler slice for the threads that must wake on time (Linux 6.12+).
 *
 * On a busy machine the dispatcher and the socket reader are runnable but
 * waiting for a core behind other threads (the server, the runtime's JIT,
 * GC and allocator threads): measured with `perf sched` at 1000 req/s on two
 * cores, the main thread waited over 0.75 ms for a CPU 61 times in 10 s, up to
 * 4.7 ms (docs/performance.md). The EEVDF scheduler gives a task that asks
 * for a short slice an early deadline, so it preempts sooner when it wakes.
 * Asking for one (sched_setattr with SCHED_OTHER and sched_runtime) needs no
 * privilege and changes no priority: the thread still gets its fair share of
 * CPU, in shorter turns.
 *
 * Best effort: on other systems, older kernels or without bun:ffi it does
 * nothing and says so in its return value.
 */

import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";

/** The slice asked for, in ns (the kernel accepts 0.1 ms to 100 ms; its default here is 1.4 ms). */
export const SHORT_SLICE_NS = 100_000;

const SYS_SCHED_SETATTR_X64 = 314;
const SYS_SCHED_SETATTR_ARM64 = 274;
/** sizeof(struct sched_attr), SCHED_ATTR_SIZE_VER1. */
const SCHED_ATTR_SIZE = 56;

let mainThreadResult: boolean | undefined;

/**
 * Ask once for a short slice for the main thread (threads it starts later, such as the
 * release clock's worker, inherit it); true when the kernel took it.
 */
export function shortSliceForMainThread(): boolean {
  // A user who started us with a real-time policy (chrt) chose it: setting the slice would undo it.
  mainThreadResult ??= process.env.VBENCH_DEFAULT_SLICE === "1" || threadPolicy() !== SCHED_OTHER ? false : setThreadSlice(SHORT_SLICE_NS);
  return mainThreadResult;
}

const SCHED_OTHER = 0;

/** The calling thread's scheduling policy (0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR...); SCHED_OTHER where /proc cannot say. */
export function threadPolicy(): number {
  try {
    // Field 41 of stat; the fields after the command name (which may hold spaces) start at field 3.
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    const policy = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[41 - 3]);
    return Number.isInteger(policy) ? policy : SCHED_OTHER;
  } catch {
    return SCHED_OTHER;
  }
}

/** Set the calling thread's slice (0: back to the kernel's default); true when the kernel took it. */
export function setThreadSlice(sliceNs: number): boolean {
  return schedSetattr(SCHED_OTHER, sliceNs);
}

const SCHED_IDLE = 5;

/**
 * Run the calling thread under SCHED_IDLE: it gets a core only when no
 * normal thread of the machine wants it (the request producer, which works
 * ahead of the schedule: src/engine/request-producer.ts). No privilege is
 * needed to lower one's own policy. True when the kernel took it.
 */
export function idleThread(): boolean {
  return schedSetattr(SCHED_IDLE, 0);
}

/**
 * The runtime's helper threads that compete with the threads stamping reads
 * for their CPU: the JIT's compile threads, its warm-up thread and the
 * allocator's scavenger. Seen with `perf sched` (pinned, 1024 streams, one
 * run): they preempted the main thread 1,034 times, for 197 ms in all, 44
 * times over 1 ms (up to a 4 ms scheduler tick), the JIT's threads most.
 */
export const RUNTIME_HELPER_THREADS: ReadonlySet<string> = new Set(["JITWorker", "JSCWarmUp", "mi-scavenger"]);

/**
 * Put this process's runtime helper threads (RUNTIME_HELPER_THREADS) under
 * SCHED_IDLE: they then run only on a CPU no normal thread wants, so a compile
 * waits for the event loop to sleep instead of taking its CPU. Threads in
 * `seen` are not looked at again (the JIT starts its threads on demand: call
 * this again to catch new ones). Returns the threads it idled.
 */
export function idleRuntimeHelpers(seen: Set<number>): { tid: number; name: string }[] {
  const idled: { tid: number; name: string }[] = [];
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return idled;
  }
  for (const entry of tids) {
    const tid = Number(entry);
    if (seen.has(tid)) continue;
    seen.add(tid);
    let name: string;
    try {
      name = readFileSync(`/proc/self/task/${entry}/comm`, "utf8").trim();
    } catch {
      continue; // the thread ended
    }
    if (RUNTIME_HELPER_THREADS.has(name) && schedSetattr(SCHED_IDLE, 0, tid)) idled.push({ tid, name });
  }
  return idled;
}

/**
 * Give idled threads their normal policy back after the run, so compiles
 * are not starved while a busy main thread summarises a long run on one CPU.
 * The kernel allows it only with CAP_SYS_NICE (root in most containers) or
 * a RLIMIT_NICE that permits it; elsewhere the threads stay idle. Returns
 * how many the kernel took back.
 */
export function restoreThreads(tids: readonly number[]): number {
  let restored = 0;
  for (const tid of tids) if (schedSetattr(SCHED_OTHER, 0, tid)) restored++;
  return restored;
}

/**
 * Idle the runtime's helper threads now and every `scanMs` after (the JIT
 * starts its compile threads on demand) until `end()`, which gives them back
 * (restoreThreads) and returns the log line saying what was done.
 */
export function idleRuntimeHelpersUntilEnd(scanMs: number): { end(): string } {
  const seen = new Set<number>();
  const idled = idleRuntimeHelpers(seen);
  const scan = setInterval(() => idled.push(...idleRuntimeHelpers(seen)), scanMs);
  return {
    end() {
      clearInterval(scan);
      const restored = restoreThreads(idled.map((t) => t.tid));
      return `runtime helper threads under SCHED_IDLE during the run: ${idled.length ? countNames(idled.map((t) => t.name)) : "none"}; back to normal after it: ${restored} of ${idled.length}`;
    },
  };
}

/** ["JITWorker", "JITWorker", "JSCWarmUp"] → "JITWorker×2, JSCWarmUp". */
function countNames(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n > 1 ? `${name}×${n}` : name)).join(", ");
}

/** sched_setattr on thread `tid` (0: the calling thread); true when the kernel took it. */
function schedSetattr(policy: number, sliceNs: number, tid = 0): boolean {
  if (process.platform !== "linux") return false;
  const number = process.arch === "x64" ? SYS_SCHED_SETATTR_X64 : process.arch === "arm64" ? SYS_SCHED_SETATTR_ARM64 : 0;
  if (number === 0) return false;
  try {
    // Loaded here only: bun:ffi is not needed by any other command.
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { syscall: { args: [FFIType.i64, FFIType.i64, FFIType.ptr, FFIType.i64], returns: FFIType.i64 } });
    try {
      const attr = new Uint8Array(SCHED_ATTR_SIZE);
      const view = new DataView(attr.buffer);
      view.setUint32(0, SCHED_ATTR_SIZE, true); // size
      view.setUint32(4, policy, true); // no flags
      // The call sets the nice value too: keep the one the user started us with (`nice -n 10 vbench ...`).
      view.setInt32(16, getPriority(), true);
      view.setBigUint64(24, BigInt(sliceNs), true); // sched_runtime: the slice
      return libc.symbols.syscall(number, tid, ptr(attr), 0) === 0n;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}
