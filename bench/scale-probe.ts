/**
 * What the client process did with its threads during a bench/scale-wire.ts
 * run: CPU per thread (sampled from /proc while it runs), and whether a
 * VBENCH_WORKERS request was honoured (from what the binary wrote).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface ThreadCpu {
  name: string;
  threads: number;
  cpuS: number;
  /** Each thread's CPU, in the order they started (vbench's Worker threads: the request producer, the release clocks, the dispatch workers). */
  eachS: number[];
}

const TICKS_PER_S = 100; // USER_HZ on Linux

/** A thread's name and CPU so far (utime + stime, in clock ticks of 1/TICKS_PER_S s) from the text of its /proc stat file. */
export function threadStat(stat: string): { name: string; ticks: number } {
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  // Fields after the name start at field 3 (state): utime is field 14, stime 15.
  return { name: stat.slice(stat.indexOf("(") + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** A thread's CPU so far in µs, from its /proc stat file (e.g. /proc/thread-self/stat). */
export function threadCpuUs(statPath: string): number {
  return (threadStat(readFileSync(statPath, "utf8")).ticks * 1e6) / TICKS_PER_S;
}

/** Sample /proc/<pid>/task (and its child processes') every 250 ms; stop() returns CPU per thread name (the last sample: up to 250 ms missing). */
export function sampleThreads(pid: number): { stop(): ThreadCpu[] } {
  const seen = new Map<string, { name: string; ticks: number; tid: number }>();
  // The process's threads, and its child processes' (worker processes, if the build uses them), by "pid/tid".
  const sampleProcess = (p: number, prefix: string, depth: number) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return; // exited, or not Linux
    }
    for (const tid of tids) {
      try {
        const { name, ticks } = threadStat(readFileSync(`/proc/${p}/task/${tid}/stat`, "utf8"));
        seen.set(`${p}/${tid}`, { name: prefix + name, ticks, tid: Number(tid) });
        if (depth < 2) for (const child of readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").split(" ").filter(Boolean)) sampleProcess(Number(child), "child process: ", depth + 1);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  };
  const sample = () => sampleProcess(pid, "", 0);
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop() {
      clearInterval(timer);
      const byName = new Map<string, ThreadCpu>();
      for (const { name, ticks } of [...seen.values()].sort((a, b) => a.tid - b.tid)) {
        const t = byName.get(name) ?? { name, threads: 0, cpuS: 0, eachS: [] };
        t.threads++;
        t.cpuS += ticks / TICKS_PER_S;
        t.eachS.push(ticks / TICKS_PER_S);
        byName.set(name, t);
      }
      return [...byName.values()].sort((a, b) => b.cpuS - a.cpuS);
    },
  };
}

/** Where the result JSON mentions workers (key paths with their values). */
function workerKeys(value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const here = path ? `${path}.${key}` : key;
    if (/worker|thread/i.test(key) && !/validation_workers/.test(key)) out.push(`${here}=${JSON.stringify(v)}`);
    else workerKeys(v, here, out);
  }
}

/** Whether the binary honoured VBENCH_WORKERS: the result JSON first, then the debug log; otherwise what the threads show. */
export function workerEvidence(doc: unknown, outDir: string, asked: number, threads: ThreadCpu[]): string {
  const keys: string[] = [];
  workerKeys(doc, "", keys);
  if (keys.length) return `asked ${asked}; the result JSON says ${keys.slice(0, 4).join(", ")}`;
  const logLines: string[] = [];
  for (const entry of readdirSync(outDir, { recursive: true }) as string[]) {
    if (!entry.endsWith(".log")) continue;
    for (const line of readFileSync(join(outDir, entry), "utf8").split("\n")) if (/VBENCH_WORKERS|\bworkers?\b/i.test(line)) logLines.push(line.trim().slice(0, 160));
  }
  if (logLines.length) return `asked ${asked}; the debug log says: ${logLines.slice(0, 3).join(" | ")}`;
  const busy = threads.filter((t) => t.cpuS >= 0.2).map((t) => `${t.name}×${t.threads} ${t.cpuS.toFixed(2)} s`);
  return `asked ${asked}; NOT honoured by this build as far as can be seen (no "worker" in the result JSON or the debug log; threads with ≥0.2 s CPU: ${busy.join(", ") || "none"})`;
}
