/**
 * The commands that send load (run, search, calibrate) run with the
 * JavaScript engine's top compiler tier (JavaScriptCore's FTL) off. Its
 * compiles run on background threads in the first seconds of a run, and on a
 * client pinned to one CPU, or with the CPUs shared with the server, they
 * take that CPU from the thread that stamps reads: 0.40–0.55 s of compile
 * threads' CPU in a 5 s run of 1024 streams. The code they make was 3% faster
 * per stream message (bench/client-cpu.ts: 1.47 against 1.52 µs), not enough
 * to win that back in any run this tool makes: pinned, 1024 streams, two
 * pairs in a quiet spell, mean TTFT against the wire went from +1.71..+1.74
 * to +0.77..+0.81 ms, p99 ITL from +5.28..+5.85 to +1.23..+1.82 ms; in
 * noisy spells the pairs overlapped (docs/performance.md).
 *
 * The runtime reads its engine options from the environment once, as the
 * process starts, so the process replaces itself (execve: same pid, same
 * arguments, CPU affinity and open files) with BUN_JSC_useFTLJIT=false
 * added. A user who sets BUN_JSC_useFTLJIT themselves keeps their choice.
 */

/** Commands whose timing the compile threads would disturb. */
const LOAD_COMMANDS = new Set(["run", "search", "calibrate"]);

const FTL_OPTION = "BUN_JSC_useFTLJIT";

/**
 * What to exec: the program and its arguments. A compiled binary's process.argv is
 * ["bun", "/$bunfs/root/vbench", ...args] and its program is execPath itself; from source it is
 * [bun, src/cli.ts, ...args], with the runtime's own flags (`bun --smol src/cli.ts`) in execArgv.
 */
export function execArgs(execPath: string, argv: string[], compiled: boolean, execArgv: string[] = []): string[] {
  return compiled ? [execPath, ...argv.slice(2)] : [execPath, ...execArgv, ...argv.slice(1)];
}

/** The run log's line on the tier, from the environment the engine read as the process started. */
export function jitTierNote(env: NodeJS.ProcessEnv = process.env): string {
  const value = env[FTL_OPTION];
  if (value === "false") return "jit: top tier (FTL) off";
  return value === undefined ? "jit: top tier (FTL) on (this process could not restart itself without it)" : `jit: ${FTL_OPTION}=${value}, as set in the environment`;
}

/** Replace this process with one whose JIT has no FTL tier, when the command sends load and the user chose nothing. Returns only when it did not. */
export function withoutTopJitTier(env: NodeJS.ProcessEnv = process.env): void {
  const command = process.argv.slice(2).find((arg) => !arg.startsWith("-"));
  if (command === undefined || !LOAD_COMMANDS.has(command) || env[FTL_OPTION] !== undefined) return;
  const execve = (process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== "function") return;
  const compiled = Bun.main.startsWith("/$bunfs/");
  try {
    execve(process.execPath, execArgs(process.execPath, process.argv, compiled, process.execArgv), { ...env, [FTL_OPTION]: "false" });
  } catch {
    // The exec failed (a runtime without it, a seccomp filter): run as we are.
  }
}
