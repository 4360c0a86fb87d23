/**
 * `vbench k8s-job --shards N --config FILE --image IMG [--start-in 90s]`:
 * print the ConfigMap and Indexed Job of a sharded run on stdout (YAML, for
 * `kubectl apply -f -`), with the run id and the common start filled in;
 * `--merge` prints the Job that merges the shards' results afterwards.
 * The scenario is resolved first, so a config a shard would refuse is
 * refused here, before anything reaches the cluster.
 */
import { readFileSync } from "node:fs";
import type { Registry } from "../plugin-host/registry.ts";
import { resolveConfig } from "../config/config.ts";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { newRunId } from "../run/run-info.ts";
import { parseRunId, parseStartAt, shardConcurrency } from "../config/shard.ts";
import { configMap, k8sName, mergeJob, mergedFolder, shardJob, type K8sJobOptions } from "../deploy/k8s-job.ts";
import { toYamlStream } from "../deploy/yaml.ts";

export interface K8sJobCommandOptions {
  shards?: unknown;
  config?: unknown;
  image?: unknown;
  runId?: unknown;
  startIn?: unknown;
  startAt?: unknown;
  namespace?: unknown;
  resultsClaim?: unknown;
  scenario?: unknown;
  baseUrl?: unknown;
  spread?: unknown;
  merge?: boolean;
  allowPartial?: boolean;
}

/** A ConfigMap holds at most 1 MiB. */
const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

function flagError(message: string, hint: string): VbenchError {
  return new VbenchError("bad_flag", message, { hint, exitCode: ExitCode.config });
}

/** `90s`, `2m`, `1h`, `500ms`, or plain seconds → ms. */
export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw flagError(`${flag}: expected a duration such as 90s, 2m or 1h, found "${text}"`, "Leave time for every pod to be scheduled, pull the image and warm up.");
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

function required(value: unknown, flag: string, example: string): string {
  if (value === undefined || value === "" || value === true) throw flagError(`k8s-job needs ${flag}`, `For example: vbench k8s-job ${example}`);
  return String(value);
}

const EXAMPLE = "--shards 3 --config configs/demo.json --image registry.example/vbench:0.1.0 --start-in 90s";

/** The common start: --start-at as given, else now + --start-in (default 90 s), in whole seconds. */
function commonStart(flags: K8sJobCommandOptions, now: number): string {
  if (flags.startAt !== undefined) return new Date(parseStartAt(String(flags.startAt), "--start-at")).toISOString();
  const inMs = parseDurationMs(String(flags.startIn ?? "90s"), "--start-in");
  return new Date(Math.ceil((now + inMs) / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function k8sJobOptions(flags: K8sJobCommandOptions, registry: Registry, now = Date.now()): K8sJobOptions {
  const shards = Number(required(flags.shards, "--shards", EXAMPLE));
  if (!Number.isInteger(shards) || shards < 1) throw flagError(`--shards: expected a whole number >= 1, found ${String(flags.shards)}`, EXAMPLE);
  const configPath = required(flags.config, "--config", EXAMPLE);
  const image = required(flags.image, "--image", EXAMPLE);
  const spread = String(flags.spread ?? "required");
  if (spread !== "required" && spread !== "preferred") throw flagError(`--spread: expected required or preferred, found "${spread}"`, "required: at most one shard per node; preferred: spread when the cluster can.");
  let configText: string;
  try {
    configText = readFileSync(configPath, "utf8");
  } catch (error) {
    throw new VbenchError("config_unreadable", `cannot read ${configPath}: ${errorMessage(error)}`, { hint: "Pass the scenario file the shards should run.", exitCode: ExitCode.config });
  }
  if (Buffer.byteLength(configText) > CONFIGMAP_LIMIT_BYTES) throw flagError(`${configPath} is larger than a ConfigMap holds (1 MiB)`, "Keep datasets out of the scenario file: put them on the results volume and name them by absolute path.");
  // Resolve as a shard would: the same errors now rather than in N pods later.
  const select = flags.scenario === undefined ? [] : [String(flags.scenario)];
  const plan = resolveConfig({ configPath, flags: flags.baseUrl === undefined ? {} : { base_url: String(flags.baseUrl) }, env: {}, select, plugins: [] }, registry);
  if (plan.runs.length !== 1) {
    throw flagError(`${configPath} plans ${plan.runs.length} runs; a sharded run with a common start runs one`, `Select one scenario with --scenario (${plan.runs.map((r) => r.scenario.name).join(", ")}), without sweeps.`);
  }
  shardConcurrency(plan.runs[0]!.scenario.maxConcurrency, { index: 0, count: shards });
  return {
    shards,
    runId: flags.runId === undefined ? newRunId() : parseRunId(String(flags.runId), "--run-id"),
    startAtIso: commonStart(flags, now),
    image,
    configText,
    resultsClaim: String(flags.resultsClaim ?? "vbench-results"),
    ...(flags.namespace !== undefined ? { namespace: String(flags.namespace) } : {}),
    ...(flags.scenario !== undefined ? { scenario: String(flags.scenario) } : {}),
    ...(flags.baseUrl !== undefined ? { baseUrl: String(flags.baseUrl) } : {}),
    spread,
    allowPartial: flags.allowPartial === true,
  };
}

export function runK8sJobCommand(flags: K8sJobCommandOptions, registry: Registry): number {
  const options = k8sJobOptions(flags, registry);
  const docs = flags.merge ? [mergeJob(options)] : [configMap(options), shardJob(options)];
  process.stdout.write(toYamlStream(docs as unknown as Record<string, unknown>[]));
  const name = k8sName(options.runId);
  const ns = options.namespace ? ` -n ${options.namespace}` : "";
  if (flags.merge) {
    process.stderr.write(`Merge Job ${name}-merge: results in ${mergedFolder(options.runId)} on claim ${options.resultsClaim}; follow it with: kubectl logs${ns} -f job/${name}-merge\n`);
  } else {
    process.stderr.write(
      `Run ${options.runId}: ${options.shards} shards start at ${options.startAtIso}. Apply now, then when the Job completed:\n` +
        `  kubectl wait${ns} --for=condition=complete job/${name} --timeout=24h\n` +
        `  vbench k8s-job --merge --run-id ${options.runId} --shards ${options.shards} --config ${String(flags.config)} --image ${options.image}${options.scenario ? ` --scenario ${options.scenario}` : ""}${ns ? ` --namespace ${options.namespace}` : ""} | kubectl apply -f -\n`,
    );
  }
  return ExitCode.ok;
}
