/**
 * Build the single executable dist/vbench: `bun build --compile` of
 * src/cli.ts with bytecode (start-up 11–15 ms instead of 23–38 ms, measured
 * in TOOLCHAIN.md; bytecode needs --format=esm) and --splitting (each lazily
 * imported command keeps its own node: imports, so `vbench --help` does not
 * build node:crypto & co. at start: 53 → 40 ms, docs/performance.md). Offline: no cross-target,
 * the running Bun is the base binary. The version comes from package.json,
 * bundled through src/base/version.ts.
 */
import { mkdirSync, statSync } from "node:fs";

const outfile = process.env.VBENCH_OUTFILE ?? "dist/vbench";
mkdirSync("dist", { recursive: true });
const started = performance.now();
const proc = Bun.spawnSync(
  [process.execPath, "build", "--compile", "--bytecode", "--format=esm", "--splitting", "--minify-syntax", "--minify-whitespace", "src/cli.ts", "src/dispatch-worker.ts", "src/request-worker.ts", "src/release-clock-worker.ts", "--outfile", outfile],
  { stdout: "pipe", stderr: "pipe" },
);
const output = proc.stdout.toString() + proc.stderr.toString();
// `--bytecode` failures print a message but exit 0 (TOOLCHAIN.md): treat that text as a failure too.
if (proc.exitCode !== 0 || /Failed to generate bytecode|error:/i.test(output)) {
  process.stderr.write(output);
  process.stderr.write(`build failed (exit ${proc.exitCode})\n`);
  process.exit(1);
}
const check = Bun.spawnSync([outfile, "--version"], { stdout: "pipe", stderr: "pipe" });
if (check.exitCode !== 0) {
  process.stderr.write(`built ${outfile} but it does not run: ${check.stderr.toString()}\n`);
  process.exit(1);
}
const sizeMiB = statSync(outfile).size / 1048576;
process.stderr.write(`built ${outfile} (${check.stdout.toString().trim()}, ${sizeMiB.toFixed(0)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
