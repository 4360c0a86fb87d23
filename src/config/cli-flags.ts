/**
 * The flags of `vbench run` / `vbench validate`, read off the field table
 * (./fields.ts): each flag's scenario key, environment variable and default
 * are written there once, so `--help`, precedence and the documentation
 * cannot drift apart.
 */
import type { ConfigSources } from "./config.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { defaultText, optionName, type TextForm } from "./field.ts";
import { FIELD_TABLE } from "./fields.ts";
import { envOf, RUN_SETTINGS, runSetting } from "./run-settings.ts";

export interface RunFlag {
  /** cac syntax, e.g. `--max-concurrency <n>`. */
  syntax: string;
  /** Option name as cac camel-cases it. */
  option: string;
  /** Scenario key it sets (flag > env > scenario > defaults > built-in), if any. */
  key?: string;
  env?: string;
  defaultText?: string;
  description: string;
  /** How its text becomes the key's value (./field.ts). */
  text?: TextForm;
}

export const RUN_FLAGS: RunFlag[] = FIELD_TABLE.flatMap(({ key, field: f }) =>
  f.flag ? [{ syntax: f.flag, option: optionName(f.flag), key, env: f.env, defaultText: defaultText(f), description: f.help, text: f.text }] : [],
);

export function runFlagHelp(f: RunFlag): string {
  const env = f.env ? ` [env ${f.env}]` : "";
  const def = f.defaultText ? ` (default: ${f.defaultText})` : "";
  return `${f.description}${env}${def}`;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Flags → config sources (scenario keys typed later by the config's coercion and schema). */
export function flagsToSources(options: Record<string, unknown>, env: Record<string, string | undefined>): ConfigSources {
  const flags: Record<string, unknown> = {};
  for (const f of RUN_FLAGS) {
    if (!f.key) continue;
    const value = options[f.option];
    if (value === undefined) continue;
    // cac gives a `--no-...` flag's option true unless it was passed: only its false overrides the config.
    if (f.syntax.startsWith("--no-") && value !== false) continue;
    // cac turns numeric text into numbers and repeated flags into arrays: keep the last, as text for lists.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    flags[f.key] = f.text === "text" ? String(last) : last;
  }
  const headers = list(options.header);
  if (headers.length) {
    const parsed: Record<string, string> = {};
    for (const h of headers) {
      const colon = h.indexOf(":");
      if (colon <= 0) {
        throw new VbenchError("bad_header", `--header "${h.slice(0, 40)}": expected "Name: value"`, { hint: 'For example --header "X-Team: inference".', exitCode: ExitCode.config });
      }
      parsed[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    flags.headers = parsed;
  }
  const exporters = options.export === undefined ? undefined : list(options.export).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  // A Pushgateway URL (flag or environment) is enough to push: the exporter joins whichever list applies.
  const extraExporters = options.pushGateway !== undefined || env[envOf("push_gateway")] ? ["pushgateway"] : [];
  const sweep = (v: unknown) => (v === undefined ? undefined : list(v).join(","));
  return {
    configPath: options.config === undefined ? undefined : String(options.config),
    flags,
    env,
    select: list(options.scenario),
    exporters,
    extraExporters,
    concurrencyLevels: sweep(options.concurrencyLevels),
    requestRates: sweep(options.requestRates),
    plugins: list(options.plugin),
  };
}

export function outputDirs(options: Record<string, unknown>, env: Record<string, string | undefined>): { outputDir: string; parsedDir: string } {
  const outputDir = String(runSetting("output_dir", options, env) ?? RUN_SETTINGS.output_dir.defaultText);
  const parsedDir = String(runSetting("parsed_dir", options, env) ?? `${outputDir.replace(/\/+$/, "")}/parsed`);
  return { outputDir, parsedDir };
}

/** Exporter options from flags or the environment (flag > environment > the file's `exporter_options`). */
export function exporterOptionsFromFlags(options: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const clickhouseUrl = runSetting("clickhouse_url", options, env);
  if (clickhouseUrl) out.clickhouse = { url: String(clickhouseUrl) };
  const pushUrl = runSetting("push_gateway", options, env);
  if (pushUrl) out.pushgateway = { url: String(pushUrl) };
  return out;
}

/** --metrics-port / METRICS_PORT; undefined when live metrics are off. */
export function metricsPort(options: Record<string, unknown>, env: Record<string, string | undefined>): number | undefined {
  const raw = runSetting("metrics_port", options, env);
  if (raw === undefined || raw === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new VbenchError("metrics_port", `--metrics-port must be a port number 0-65535, got ${String(raw)}`, { hint: "0 picks a free port.", exitCode: ExitCode.config });
  }
  return port;
}
