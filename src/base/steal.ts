/**
 * Steal time: how long the hypervisor ran something else while a vCPU of this
 * virtual machine had work to do (/proc/stat, the 8th figure of each `cpuN`
 * line). No process in the guest causes it or sees it any other way, and
 * every timestamp taken across it is late by it: on this project's 2-vCPU
 * machine one pinned run lost 1.5 s of 15 on the client's CPU, and its
 * event-loop probe read 5 ms at p99 (docs/performance.md, "Steal time").
 * Linux only; elsewhere, or where the kernel reports none, the readings are empty.
 */
import { readFileSync } from "node:fs";

/** /proc/stat counts in USER_HZ, which the kernel fixes at 100 on x86 and arm64 whatever its tick rate (sysconf(_SC_CLK_TCK)). */
const USER_HZ = 100;

/** Steal worth naming beside a verdict, ms: one /proc/stat tick (10 ms), so any steal the kernel counted at all. */
export const STEAL_WORTH_NAMING_MS = 1000 / USER_HZ;

/** Steal time of each CPU since boot, in ms, indexed by CPU number; empty where /proc/stat cannot be read. */
export function stealMsPerCpu(stat = readText("/proc/stat")): number[] {
  const perCpu: number[] = [];
  for (const m of stat.matchAll(/^cpu(\d+)((?: \d+){8})/gm)) perCpu[Number(m[1])] = (Number(m[2]!.trim().split(" ")[7]) * 1000) / USER_HZ;
  return perCpu;
}

/** Steal of each CPU since `before` (a stealMsPerCpu() reading), in ms. */
export function stealSincePerCpu(before: readonly number[]): number[] {
  return stealMsPerCpu().map((now, cpu) => now - (before[cpu] ?? now));
}

/** The CPUs this process may run on (its affinity, /proc/self/status), or null where that cannot be read. */
export function allowedCpus(status = readText("/proc/self/status")): number[] | null {
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (!list) return null;
  const cpus: number[] = [];
  for (const part of list.split(",")) {
    const [from, to = from] = part.split("-").map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to)) return null;
    for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** Steal since `before` (a stealMsPerCpu() reading) summed over `cpus` (null: every CPU), in ms; null where none was reported. */
export function stealSinceMs(before: readonly number[], cpus: readonly number[] | null): number | null {
  const since = stealSincePerCpu(before);
  const chosen = (cpus ?? since.map((_, cpu) => cpu)).filter((cpu) => since[cpu] !== undefined);
  return chosen.length === 0 ? null : chosen.reduce((sum, cpu) => sum + since[cpu]!, 0);
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
