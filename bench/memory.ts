/**
 * Memory of a long run: 1,000,000 short requests (1 output token, no wait at
 * the simulator) through the compiled binary, closed loop at high concurrency.
 * Prints the vbench process's peak RSS (/usr/bin/time's maximum resident set,
 * i.e. the kernel's VmHWM) and checks that requests.jsonl holds one line per
 * request.
 *
 *   npx bun bench/memory.ts [--requests 1000000] [--concurrency 256]
 */
import { createReadStream, statSync } from "node:fs";
import { benchArgs, findFile, machineLoad, readResults, report, runBinary, startSimulator, tempDir, writeScenario } from "./_lib.ts";

export interface MemoryFigure {
  requests: number;
  completed: number;
  failed: number;
  linesOnDisk: number;
  fileMiB: number;
  peakRssMiB: number | null;
  wallS: number;
  requestsPerS: number;
  command: string;
  load: string;
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

export async function benchMemory(args = benchArgs()): Promise<MemoryFigure> {
  const requests = Number(args.get("requests") ?? 1_000_000);
  const concurrency = Number(args.get("concurrency") ?? 256);
  const mock = await startSimulator({ ttftMs: 0, itlMs: 0 });
  try {
    const dir = tempDir("memory");
    const scenario = { backend: "openai", random_input_len: 8, random_output_len: 1, num_prompts: requests, max_concurrency: concurrency, request_rate: "inf" };
    const config = await writeScenario(dir, scenario);
    const load = machineLoad();
    const run = await runBinary(["run", "--config", config, "--base-url", mock.url, "--output-dir", `${dir}/out`], { measureRss: true });
    if (run.code !== 0) throw new Error(`vbench exited ${run.code}: ${run.stderr.slice(-2000)}`);
    const doc = readResults(`${dir}/out`);
    const jsonl = findFile(`${dir}/out`, "requests.jsonl");
    const figure: MemoryFigure = {
      requests,
      completed: doc.completed as number,
      failed: doc.failed as number,
      linesOnDisk: await countLines(jsonl),
      fileMiB: statSync(jsonl).size / 1048576,
      peakRssMiB: run.peakRssKiB === null ? null : run.peakRssKiB / 1024,
      wallS: run.wallMs / 1000,
      requestsPerS: requests / (doc.duration as number),
      command: `${run.command.replace(config, "scenario.json").replace(mock.url, "$SIM").replace(`${dir}/out`, "out")}  # scenario.json: ${JSON.stringify(scenario)}; simulator: vbench mock --ttft-ms 0 --itl-ms 0`,
      load,
    };
    report(`memory: ${requests.toLocaleString("en-US")} requests`, formatMemory(figure), figure.command, figure.load);
    return figure;
  } finally {
    await mock.stop();
  }
}

export function formatMemory(f: MemoryFigure): string[] {
  const rss = f.peakRssMiB === null ? "unknown (/usr/bin/time missing)" : `${f.peakRssMiB.toFixed(0)} MiB (${((f.peakRssMiB / 1024) * 100).toFixed(0)}% of 1 GiB)`;
  return [
    `peak RSS of the vbench process: ${rss}`,
    `records: ${f.completed} completed, ${f.failed} failed; requests.jsonl has ${f.linesOnDisk} lines (${f.linesOnDisk === f.requests ? "every record on disk" : `MISSING ${f.requests - f.linesOnDisk}`}), ${f.fileMiB.toFixed(0)} MiB`,
    `wall ${f.wallS.toFixed(1)} s for the whole command; ${Math.round(f.requestsPerS)} requests/s during the run`,
  ];
}

if (import.meta.main) await benchMemory();
