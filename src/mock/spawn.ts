/**
 * Run the simulator in a child process (`<execArgv...> mock <flags>`), so the
 * server's work never shares an event loop with the measuring client.
 */
import { ExitCode, VbenchError } from "../base/errors.ts";
import { mockOptionsToArgs } from "./flags.ts";
import type { MockOptions } from "./options.ts";

export interface SpawnedMock {
  url: string;
  pid: number;
  /** Resolves with the child's exit code (137 after die-after). */
  exited: Promise<number>;
  /** The last few KiB the child wrote to stderr. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnMockOptions {
  /** How long to wait for the URL line. Default 15 s. */
  startTimeoutMs?: number;
  /** Copy the child's stderr to ours as well as keeping its tail. Default false. */
  inheritStderr?: boolean;
}

const TAIL_BYTES = 4096;

export async function spawnMockProcess(
  execArgv: string[],
  options: Partial<MockOptions> = {},
  spawnOptions: SpawnMockOptions = {},
): Promise<SpawnedMock> {
  const cmd = [...execArgv, "mock", ...mockOptionsToArgs(options)];
  const child = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let tail = "";
  const decoder = new TextDecoder();
  // Keep draining stderr so a chatty child never blocks on a full pipe.
  void (async () => {
    for await (const bytes of child.stderr) {
      const s = decoder.decode(bytes, { stream: true });
      if (spawnOptions.inheritStderr) process.stderr.write(s);
      tail = (tail + s).slice(-TAIL_BYTES);
    }
  })().catch(() => {});

  const startError = (why: string): VbenchError =>
    new VbenchError("mock_start", `the simulator did not start: ${why}`, {
      exitCode: ExitCode.preflight,
      details: tail ? [`its stderr: ${tail.trim()}`] : [],
      hint: `command: ${cmd.join(" ")}`,
    });

  const reader = child.stdout.getReader();
  let line = "";
  const readLine = async (): Promise<string> => {
    const lineDecoder = new TextDecoder();
    for (;;) {
      const nl = line.indexOf("\n");
      if (nl >= 0) return line.slice(0, nl);
      const { done, value } = await reader.read();
      if (done) throw startError(`it exited (code ${await child.exited}) before printing its URL`);
      line += lineDecoder.decode(value, { stream: true });
    }
  };
  const timeoutMs = spawnOptions.startTimeoutMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(startError(`no URL line within ${timeoutMs} ms`)), timeoutMs);
  });
  let first: string;
  try {
    first = await Promise.race([readLine(), timeout]);
  } catch (e) {
    child.kill("SIGKILL");
    await child.exited;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  reader.releaseLock();
  let url: unknown;
  try {
    url = (JSON.parse(first) as { url?: unknown }).url;
  } catch {
    url = undefined;
  }
  if (typeof url !== "string") {
    child.kill("SIGKILL");
    await child.exited;
    throw startError(`unexpected first line on stdout: ${first.slice(0, 200)}`);
  }

  const stop = async (graceMs = 3000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await child.exited;
    clearTimeout(killer);
  };
  return { url, pid: child.pid, exited: child.exited, stderrTail: () => tail, stop };
}

/** How to start this same vbench in a child process: the compiled binary, or `bun src/cli.ts`. */
export function selfCommand(): string[] {
  const main = Bun.main;
  return main.startsWith("/$bunfs") || main.includes("~BUN") ? [process.execPath] : [process.execPath, main];
}
