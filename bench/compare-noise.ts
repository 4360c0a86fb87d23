/**
 * Is `vbench compare --fail-on-regression` a gate worth keeping? On the
 * machine as it is, each round runs one scenario three times back to back
 * against the simulator (`vbench run --mock`, every run its own process):
 *
 *   a: simulator TTFT 50 ms   b: the same command again   c: simulator TTFT 65 ms
 *
 * and compares a→b (A/A: nothing changed, any regression is a false alarm)
 * and b→c (TTFT 30% slower: must be caught). The scenario is the demo's
 * (configs/demo.json): 64 requests of 256 prompt / 64 output tokens at
 * concurrency 8, simulator ITL 10 ms; about 7 s per run, 3–4 minutes for 10
 * rounds.
 *
 *   npx bun bench/compare-noise.ts [--pairs 10] [--keep DIR] [--from DIR]
 *
 * --pairs N   rounds (A/A pairs and detection pairs), default 10
 * --keep DIR  keep the runs in DIR/round-NN/{a,b,c} (default: a temporary directory, removed)
 * --from DIR  compare the runs kept by an earlier --keep again, without running anything
 *             (for trying another compare method on the same data)
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BINARY, benchArgs, machineLoad, report, requireBinary, runBinary, tempDir, writeScenario } from "./_lib.ts";

const SCENARIO = { backend: "openai-chat", dataset_type: "random", max_concurrency: 8, num_prompts: 64, random_input_len: 256, random_output_len: 64 };
const BASE_TTFT_MS = 50;
const SLOW_TTFT_MS = 65;

interface PairOutcome {
  /** Exit code of `compare --fail-on-regression` (6 = regression). */
  code: number;
  /** The statistics called regressed, with their relative change. */
  fired: string[];
}

type Statistic = { key: string; verdict: string; change_relative: number | null; method: string };

async function runScenario(dir: string, config: string, ttftMs: number): Promise<void> {
  const r = await runBinary(["run", "--mock", `--mock-args=--ttft-ms ${ttftMs}`, "--config", config, "--output-dir", dir]);
  if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
}

async function comparePair(baseline: string, candidate: string): Promise<PairOutcome> {
  const r = await runBinary(["compare", baseline, candidate, "--fail-on-regression", "--format", "json"]);
  if (r.code !== 0 && r.code !== 6) throw new Error(`${r.command} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  const doc = JSON.parse(r.stdout) as { scenarios: { statistics: Statistic[] }[] };
  const fired = doc.scenarios.flatMap((s) => s.statistics.filter((x) => x.verdict === "regressed").map((x) => `${x.key} ${x.change_relative === null ? "" : `${x.change_relative >= 0 ? "+" : ""}${(x.change_relative * 100).toFixed(1)}%`} (${x.method})`));
  return { code: r.code, fired };
}

function summary(label: string, outcomes: PairOutcome[]): string[] {
  const fired = outcomes.filter((o) => o.code === 6).length;
  const lines = [`${label}: --fail-on-regression fired in ${fired} of ${outcomes.length} pairs`];
  outcomes.forEach((o, i) => lines.push(`  pair ${String(i + 1).padStart(2)}: exit ${o.code}${o.fired.length ? `  ${o.fired.join(", ")}` : ""}`));
  return lines;
}

export async function benchCompareNoise(cli = benchArgs()): Promise<{ falseAlarms: number; caught: number; pairs: number }> {
  requireBinary();
  const from = cli.get("from");
  const pairs = Number(cli.get("pairs") ?? 10);
  const root = from ?? cli.get("keep") ?? tempDir("compare-noise");
  const loadBefore = machineLoad();
  const rounds: string[] = [];
  if (from) {
    for (let i = 1; existsSync(join(from, `round-${String(i).padStart(2, "0")}`, "c")); i++) rounds.push(join(from, `round-${String(i).padStart(2, "0")}`));
    if (rounds.length === 0) throw new Error(`no round-NN/{a,b,c} directories under ${from}`);
  } else {
    const config = await writeScenario(root, SCENARIO);
    for (let i = 1; i <= pairs; i++) {
      const dir = join(root, `round-${String(i).padStart(2, "0")}`);
      mkdirSync(dir, { recursive: true });
      // Back to back, as a user re-running a benchmark would: a, then the same again, then the slower server.
      await runScenario(join(dir, "a"), config, BASE_TTFT_MS);
      await runScenario(join(dir, "b"), config, BASE_TTFT_MS);
      await runScenario(join(dir, "c"), config, SLOW_TTFT_MS);
      process.stderr.write(`round ${i}/${pairs} done\n`);
      rounds.push(dir);
    }
  }
  const aa: PairOutcome[] = [];
  const ab: PairOutcome[] = [];
  for (const dir of rounds) {
    aa.push(await comparePair(join(dir, "a"), join(dir, "b")));
    ab.push(await comparePair(join(dir, "b"), join(dir, "c")));
  }
  const falseAlarms = aa.filter((o) => o.code === 6).length;
  const caught = ab.filter((o) => o.code === 6).length;
  report(
    "compare on noise (A/A) and on a 30% TTFT change",
    [
      `scenario: ${SCENARIO.num_prompts} requests, ${SCENARIO.random_input_len}/${SCENARIO.random_output_len} tokens, concurrency ${SCENARIO.max_concurrency}; simulator TTFT ${BASE_TTFT_MS} ms (${SLOW_TTFT_MS} ms for the slow side), ITL 10 ms`,
      ...summary(`A/A (same command twice)`, aa),
      ...summary(`TTFT ${BASE_TTFT_MS} → ${SLOW_TTFT_MS} ms`, ab),
      `false alarms ${falseAlarms}/${aa.length}, detected ${caught}/${ab.length}${from ? ` (runs from ${from})` : ""}`,
    ],
    `npx bun bench/compare-noise.ts --pairs ${rounds.length}${from ? ` --from ${from}` : ""}  (binary ${BINARY})`,
    `${loadBefore} at start, ${machineLoad()} at end`,
  );
  if (!from && !cli.get("keep")) rmSync(root, { recursive: true, force: true });
  return { falseAlarms, caught, pairs: rounds.length };
}

if (import.meta.main) await benchCompareNoise();
