/**
 * `vbench mock`: run the built-in simulated inference server until SIGINT or
 * SIGTERM. Stdout carries exactly one line, `{"url":"http://127.0.0.1:PORT"}`,
 * once the server listens (a parent process reads it to learn the port);
 * everything for humans goes to stderr.
 */
import { mockOptionsFromFlags } from "../mock/flags.ts";
import { describeMockOptions } from "../mock/options.ts";
import { startMockServer } from "../mock/server.ts";
import { setThreadSlice } from "../base/thread-slice.ts";
import { fileRoom } from "../base/open-files.ts";

export { mockFlagDefinitions, mockOptionsFromFlags, mockOptionsToArgs, type MockFlag } from "../mock/flags.ts";

/** Exit code of a process ended by the die-after fault (as if killed by SIGKILL). */
export const DIE_EXIT_CODE = 137;

/** Below this open-file limit the simulator says how many connections it can hold (hard limits of 1024 and 4096 are common). */
const LOW_FILE_LIMIT = 16_384;

/**
 * Start the simulator, print the URL line, and serve until SIGINT/SIGTERM;
 * resolves with the exit code once the server has stopped (cli.ts exits).
 * The die-after fault resolves at once with DIE_EXIT_CODE, the server left
 * as it is: the exit that follows drops every connection, a server killed
 * mid-run (that is the fault's purpose).
 */
export async function runMockCommand(flags: Readonly<Record<string, unknown>>): Promise<number> {
  const options = mockOptionsFromFlags(flags);
  // Started by a client (run --mock, calibrate), this process inherits the client's short scheduler slice.
  // The simulator stands in for a server and competes for the CPU on default terms (given the short slice,
  // it made the client's schedule fidelity worse: docs/performance.md).
  setThreadSlice(0);
  let died: () => void = () => {};
  const dead = new Promise<"die">((resolve) => (died = () => resolve("die")));
  const server = await startMockServer(options, {
    onDie: () => {
      process.stderr.write(`vbench mock: die-after ${options.dieAfter} reached, exiting\n`);
      died();
    },
  });
  const stopped = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.stdout.write(JSON.stringify({ url: server.url }) + "\n");
  process.stderr.write(`vbench mock: serving ${options.model} at ${server.url} (${describeMockOptions(options)})\n`);
  // A connection past the open-file limit is never accepted: its client waits out its timeout with no answer.
  const room = fileRoom(false);
  if (room && room.limit < LOW_FILE_LIMIT) {
    process.stderr.write(`vbench mock: this process may open ${room.limit} files (ulimit -n): connections beyond ~${room.free} at once wait unanswered; raise the limit for more\n`);
  }
  const signal = await Promise.race([stopped, dead]);
  if (signal === "die") return DIE_EXIT_CODE;
  await server.stop();
  process.stderr.write(`vbench mock: stopped (${signal})\n`);
  return 0;
}
