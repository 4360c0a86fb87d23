#!/usr/bin/env bun
/**
 * vbench's entry point: cac commands. The ONLY place that exits or maps
 * errors to exit codes (STYLE rule 4). Heavy modules are imported inside the
 * command actions so `vbench --help` starts fast.
 */
import { cac } from "cac";
import { VERSION, versionLine } from "./base/version.ts";
import { ExitCode, VbenchError } from "./base/errors.ts";
import { RUN_FLAGS, runFlagHelp } from "./config/cli-flags.ts";
import { mockFlagDefinitions } from "./mock/flags.ts";
import { flagAsTyped, printError } from "./commands/print-error.ts";
import { loadRegistry, toList } from "./commands/load-registry.ts";
import { withoutTopJitTier } from "./base/jit-tier.ts";

withoutTopJitTier();

const cli = cac("vbench");

function exitNow(code: number): never {
  process.exit(code);
}

/** Render an error (src/commands/print-error.ts) and exit with its code. */
function fail(error: unknown): never {
  exitNow(printError(error, () => (cli.matchedCommand?.options ?? cli.globalCommand.options).map((o) => flagAsTyped(o.names))));
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return (...args: A) => {
    fn(...args).then(
      (code) => exitNow(code ?? 0),
      (error) => fail(error),
    );
  };
}

function addRunFlags(command: ReturnType<typeof cli.command>) {
  for (const flag of RUN_FLAGS) command.option(flag.syntax, runFlagHelp(flag));
  return command;
}

addRunFlags(cli.command("run", "Run the scenarios of a scenario file against a server (or the built-in simulator with --mock)"))
  .option("--mock", "Start the built-in simulator in a child process on a free loopback port and benchmark it")
  .option("--mock-args <flags>", 'Flags for the simulator, e.g. "--ttft-ms 50 --itl-ms 10" (see `vbench mock --help`)')
  .option("--repeat <n>", "Run each scenario n times; report each run and the mean of every metric with a 95% confidence interval", { default: 1 })
  .action(action(async (options: Record<string, unknown>) => (await import("./commands/run.ts")).runFromFlags(options)));

addRunFlags(cli.command("validate", "Check everything run checks before sending (scenario file, flags, plugins, tokenizer, dataset files, output directories) and print the resolved scenarios as JSON on stdout; sends nothing")).action(action(async (options: Record<string, unknown>) => (await import("./commands/validate.ts")).runValidateCommand(options)));

const mockCommand = cli.command("mock", "Start the built-in simulated inference server (OpenAI and TGI APIs) on 127.0.0.1; prints {\"url\": ...} on stdout");
for (const f of mockFlagDefinitions) {
  mockCommand.option(f.flag, f.description, f.default === undefined || f.flag.startsWith("--no-") ? undefined : { default: f.default });
  // cac gives a --no- flag the default true and shows "(default: true)" beside the flag that turns it off; its description says the default instead.
  if (f.flag.startsWith("--no-")) mockCommand.options.at(-1)!.config.default = undefined;
}
mockCommand.action(action(async (options: Record<string, unknown>) => (await import("./commands/mock.ts")).runMockCommand(options)));

cli
  .command("plugins", "List the built-in and loaded plugins")
  .option("--plugin <file>", "Load a plugin file (repeatable)")
  .option("--config <file>", "Scenario file whose `plugins` to load [env CONFIG_PATH]")
  .action(action(async (options: Record<string, unknown>) => (await import("./commands/plugins.ts")).runPluginsCommand(options)));

cli
  .command("export <raw>", "Re-render results from a raw.msgpack file without re-running")
  .option("--format <formats>", "Comma list of exporters: json, csv, prometheus, ...", { default: "csv" })
  .option("--out-dir <dir>", "Where to write (default: the raw file's folder)")
  .option("--plugin <file>", "Load a plugin file (repeatable)")
  .action(
    action(async (raw: string, options: Record<string, unknown>) => {
      const registry = await loadRegistry(toList(options.plugin));
      const { runExportCommand } = await import("./commands/export.ts");
      await runExportCommand(raw, { format: String(options.format), outDir: options.outDir as string | undefined }, registry);
      return ExitCode.ok;
    }),
  );

cli
  .command("merge [...shardDirs]", "Merge the shards of a sharded run (vbench run --shard I/N) into one result over every request, in the layout of `vbench run`")
  .option("--output-dir <dir>", "Where to write the merged result")
  .option("--allow-partial", "Merge even when shards are missing; the result is marked partial")
  .option("--export <list>", "Exporters to write", { default: "json,csv,msgpack,prometheus" })
  .action(
    action(async (shardDirs: string[], options: Record<string, unknown>) => {
      if (options.outputDir === undefined) throw new VbenchError("bad_flag", "merge needs --output-dir", { hint: "vbench merge out/shard-0 out/shard-1 --output-dir out/merged" });
      const registry = await loadRegistry([]);
      const { runMergeCommand } = await import("./commands/merge.ts");
      return runMergeCommand(shardDirs, { outputDir: String(options.outputDir), allowPartial: Boolean(options.allowPartial), format: toList(options.export).join(",") }, registry);
    }),
  );

cli
  .command("k8s-job", "Print the Kubernetes manifests (ConfigMap + Indexed Job) of a sharded run with a common start; --merge prints the merge Job")
  .option("--shards <n>", "Shards (pods), each on its own node")
  .option("--config <file>", "Scenario file, stored in the ConfigMap")
  .option("--image <image>", "Container image with vbench (docker/vllm-benchmark.Dockerfile)")
  .option("--run-id <id>", "Run id shared by the shards (default: a random vb-xxxxxxxx)")
  .option("--start-in <duration>", "Common start this long from now, e.g. 90s, 2m (default 90s)")
  .option("--start-at <time>", "Common start as an RFC 3339 UTC time instead of --start-in")
  .option("--scenario <name>", "The scenario to run when the file has several")
  .option("--base-url <url>", "Server base URL for the shards (else the file's base_url)")
  .option("--namespace <ns>", "Namespace of the objects")
  .option("--results-claim <name>", "PersistentVolumeClaim (ReadWriteMany) for the results", { default: "vbench-results" })
  .option("--spread <how>", "Pod anti-affinity: required (one shard per node) or preferred", { default: "required" })
  .option("--merge", "Print the Job that merges the shards' results (apply it after the shards' Job completed)")
  .option("--allow-partial", "With --merge: merge the shards that left results even if some failed (the result is marked partial)")
  .action(
    action(async (options: Record<string, unknown>) => {
      const registry = await loadRegistry([]);
      const { runK8sJobCommand } = await import("./commands/k8s-job.ts");
      return runK8sJobCommand(options, registry);
    }),
  );

cli
  .command("standardize <results>", "Turn a benchmark_results.json (vbench's or vLLM's own) into the standardized pipeline document")
  // The seed's script spells them with underscores: both work, so its command line runs unchanged.
  .option("--output-file, --output_file <file>", "Where to write the standardized JSON (default: stdout)")
  .option("--task-name, --task_name <name>", "task_name in the document", { default: "vllm_benchmark" })
  .option("--config-path, --config_path <file>", "Scenario file whose thresholds to evaluate")
  .option("--scenario <name>", "The config's scenario the result belongs to, for its own thresholds (vLLM's result files do not name it)")
  .option("--check", "Exit 4 when any threshold fails (a CI gate, as analyze --check)")
  .action(
    action(async (results: string, options: Record<string, unknown>) => {
      const { runStandardizeCommand } = await import("./commands/standardize.ts");
      const { passed } = await runStandardizeCommand(results, {
        outputFile: options.outputFile as string | undefined,
        taskName: String(options.taskName),
        configPath: options.configPath as string | undefined,
        scenario: options.scenario === undefined ? undefined : String(options.scenario),
      });
      // A converter by default, as the seed's script: the verdict is in the document and on stderr.
      return options.check && !passed ? ExitCode.threshold : ExitCode.ok;
    }),
  );

cli
  .command("analyze <path>", "Summarize result files (vbench's or vLLM's) under a file or directory: statistics, thresholds, trends")
  .option("--format <format>", "table (stderr), json or csv (stdout or --out)", { default: "table" })
  .option("--out <file>", "Write json/csv here instead of stdout")
  .option("--config <file>", "Apply this scenario file's thresholds to runs saved without them")
  .option("--check", "Exit 4 when any threshold fails (a CI gate)")
  .option("--verbose", "Say which files were skipped and why")
  .action(
    action(async (path: string, options: Record<string, unknown>) => {
      const { runAnalyzeCommand } = await import("./commands/analyze.ts");
      return runAnalyzeCommand(path, { format: String(options.format) as "table" | "json" | "csv", out: options.out as string | undefined, config: options.config as string | undefined, check: Boolean(options.check), verbose: Boolean(options.verbose) });
    }),
  );

cli
  .command("compare <baseline> <candidate>", "Compare two runs (files or directories) per scenario and metric: improved, regressed or within noise")
  .option("--format <format>", "table (stderr) or json (stdout or --out)", { default: "table" })
  .option("--out <file>", "Write the JSON here")
  .option("--fail-on-regression", "Exit 6 when any metric regressed (a CI gate)")
  .option("--alpha <a>", "Family-wise error rate per scenario; each interval is Bonferroni-adjusted (docs/analysis.md)", { default: 0.05 })
  .option("--tolerance <t>", "Practical floor: regressed only when the whole interval lies beyond this relative change (without an interval: the change itself)", { default: 0.05 })
  .option("--tail-tolerance <t>", "The floor for a p99 judged from one run a side (tails move most between runs; docs/analysis.md)", { default: 0.2 })
  .option("--resamples <n>", "Bootstrap resamples (at least 1000)", { default: 4000 })
  .option("--seed <n>", "Seed of the resampling", { default: 0 })
  .option("--verbose", "Say which files were skipped and why")
  .action(
    action(async (baseline: string, candidate: string, options: Record<string, unknown>) => {
      const { runCompareCommand } = await import("./commands/compare.ts");
      return runCompareCommand(baseline, candidate, {
        format: String(options.format) as "table" | "json",
        out: options.out as string | undefined,
        failOnRegression: Boolean(options.failOnRegression),
        alpha: Number(options.alpha),
        tolerance: Number(options.tolerance),
        tailTolerance: Number(options.tailTolerance),
        resamples: Number(options.resamples),
        seed: Number(options.seed),
        verbose: Boolean(options.verbose),
      });
    }),
  );

cli
  .command("aggregate", "Collect every standardized result under a directory into one JSON (and CSV) document")
  .option("--results-dir <dir>", "Where to look (e.g. benchmark_results/parsed)")
  .option("--out <file>", "The JSON document to write; the CSV goes beside it")
  .option("--include-vllm-benchmark", "Accepted for the seed's command line (vLLM-format results are always included)")
  .option("--verbose", "Say which files were skipped and why")
  .action(
    action(async (options: Record<string, unknown>) => {
      const { runAggregateCommand } = await import("./commands/aggregate.ts");
      return runAggregateCommand({ resultsDir: options.resultsDir as string | undefined, out: options.out as string | undefined, includeVllmBenchmark: Boolean(options.includeVllmBenchmark), verbose: Boolean(options.verbose) });
    }),
  );

cli
  .command("report <path>", "Write one self-contained HTML report (charts, no network) of the results under a path")
  .option("--out <file>", "Where to write", { default: "report.html" })
  .option("--title <text>", "Page title")
  .option("--verbose", "Say which files were skipped and why")
  .action(
    action(async (path: string, options: Record<string, unknown>) => {
      const { runReportCommand } = await import("./commands/report.ts");
      return runReportCommand(path, { out: String(options.out), title: options.title as string | undefined, verbose: Boolean(options.verbose) });
    }),
  );

addRunFlags(cli.command("search", "Find the highest request rate (or concurrency) at which goodput SLOs hold, by a bounded search of short runs"))
  .option("--by <what>", "rate or concurrency", { default: "rate" })
  .option("--fraction <f>", "Share of requests that must meet every SLO", { default: 0.9 })
  .option("--min <x>", "Lower bound of the search (default: 1)")
  .option("--max <x>", "Upper bound of the search (default: 10000 req/s or 4096 streams)")
  .option("--step-duration <s>", "Seconds per step (default for --by rate: 10)")
  .option("--step-prompts <n>", "Requests per step (default for --by concurrency: 4 x concurrency, at least 16)")
  .option("--max-steps <n>", "Steps at most", { default: 12 })
  .option("--tolerance <f>", "Rates: stop when the bracket is within this fraction of the best rate", { default: 0.05 })
  .option("--out <file>", "Write the JSON here instead of stdout")
  .option("--mock", "Search against the built-in simulator")
  .option("--mock-args <flags>", "Flags for the simulator")
  .action(action(async (options: Record<string, unknown>) => (await import("./commands/search.ts")).searchFromFlags(options)));

cli
  .command("calibrate", "Find this machine's client ceiling: streams at which measured TTFT/ITL stay within 1 ms / 0.2 ms of the simulator's truth")
  .option("--max-streams <n>", "Largest stream count tried", { default: 4096 })
  .option("--output-tokens <n>", "Output tokens per request", { default: 256 })
  .option("--itl-ms <ms>", "Simulator time per token", { default: 10 })
  .option("--ttft-ms <ms>", "Simulator time to first token", { default: 50 })
  .option("--tokens-per-chunk <n>", "Simulator tokens per chunk (default: chosen per level to keep the simulator cheap)")
  .option("--all-levels", "Keep going after the first failing level")
  .option("--no-refine", "Bisection between the last level within and the first outside, to a quarter; --no-refine skips it (the ceiling then only to a factor of 4)")
  .option("--workers <n>", "Worker threads that run the load engine (default: the CPUs vbench may use, none with one CPU; 0: the main thread)")
  .option("--output-dir <dir>", "Keep each level's records here (default: a temporary directory, removed)")
  .option("--out <file>", "Write the JSON here instead of stdout")
  .option("--wire", "Judge against a packet capture of the loopback interface (tcpdump; root or CAP_NET_RAW) instead of the simulator's own record")
  .action(action(async (options: Record<string, unknown>) => (await import("./commands/calibrate.ts")).calibrateFromFlags(options)));

cli.help();
cli.version(VERSION);
// cac would print `bun-${process.version}`: the Node.js version Bun emulates, not the Bun that results record.
cli.outputVersion = () => console.info(versionLine());

/**
 * Values the flag parser would take for flags of their own, joined as
 * `--flag=value`: `--mock-args "--ttft-ms 50"`, and a negative number after
 * a flag that takes a value (`--num-prompts -1`), which would otherwise be
 * read as the unknown flag `-1` instead of reaching validation.
 */
function joinFlagValues(argv: string[]): string[] {
  const takesValue = new Set(cli.commands.flatMap((c) => c.options).filter((o) => o.required).map((o) => /^--[\w-]+/.exec(o.rawName)?.[0]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const joins = next !== undefined && takesValue.has(arg) && (arg === "--mock-args" || /^-(\d|\.\d|inf)/i.test(next));
    if (joins) out.push(`${arg}=${argv[++i]}`);
    else out.push(arg);
  }
  return out;
}

try {
  cli.parse(joinFlagValues(process.argv), { run: false });
  if (!cli.matchedCommand && cli.args.length > 0) {
    throw new VbenchError("unknown_command", `unknown command "${cli.args[0]}"`, { hint: "Commands: run, validate, mock, plugins, export, standardize, analyze, compare, aggregate, report, search, calibrate, merge, k8s-job. See `vbench --help`." });
  }
  if (!cli.matchedCommand && !cli.options.help && !cli.options.version) cli.outputHelp();
  else if (cli.matchedCommand) await cli.runMatchedCommand();
} catch (error) {
  fail(error);
}
