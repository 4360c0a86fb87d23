/**
 * The scenario file on disk: read it, report JSON syntax errors with line
 * and column, validate it with valibot, name unknown keys with a suggestion,
 * and keep the valid parts of an invalid file so every problem is reported
 * at once. Precedence and resolution are src/config/config.ts's job.
 */
import * as v from "valibot";
import { existsSync, readFileSync } from "node:fs";
import { VbenchError } from "../base/errors.ts";
import { configFileSchema, scenarioFields, SCENARIO_KEYS, TOP_LEVEL_KEYS, type ConfigFile, type ScenarioInput } from "./schema.ts";
import { closestMatch } from "../base/suggest.ts";
import { isRecord } from "../base/json-values.ts";
import { parseJsonWithPosition } from "../base/json-position.ts";
import { envOf } from "./run-settings.ts";

export const DEFAULT_CONFIG_PATH = "configs/vllm_benchmark.json";

/** Read and parse the config file; missing default path means "no file". */
export function readConfigFile(sources: { configPath?: string; env: Record<string, string | undefined> }): { path: string | null; config: ConfigFile; problems: string[]; raw?: unknown } {
  const explicit = sources.configPath ?? sources.env[envOf("config")];
  const path = explicit ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(path)) {
    if (explicit) {
      throw new VbenchError("config_missing", `config file not found: ${path}`, {
        hint: "Check the path given with --config or CONFIG_PATH, or leave both unset to run one default scenario.",
      });
    }
    return { path: null, config: {}, problems: [] };
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new VbenchError("config_unreadable", `cannot read config file ${path}: ${(error as Error).message}`, { hint: "Check the file's permissions." });
  }
  const parsed = parseJsonWithPosition(text);
  if (!parsed.ok) {
    throw new VbenchError("config_not_json", `${path} is not valid JSON: ${parsed.message}`, { hint: "Fix the JSON syntax at that line and column." });
  }
  const problems = unknownKeyProblems(parsed.value, path);
  const result = v.safeParse(configFileSchema, parsed.value, { abortEarly: false });
  // One problem per key: Infinity is neither whole nor small enough, and saying so twice helps nobody.
  const seen = new Set<string>();
  for (const issue of result.success ? [] : result.issues) {
    const at = issuePath(issue);
    if (!seen.has(at)) problems.push(`${path}: ${at}: expected ${expectedText(issue)}, found ${foundText(issue)}`);
    seen.add(at);
  }
  return { path, config: result.success ? result.output : salvage(parsed.value), problems, raw: parsed.value };
}

/**
 * The valid parts of an invalid file, so the remaining checks (duplicate
 * names, unknown backends, thresholds) still run and every problem is
 * reported at once. Never executed: the problems already found stop the run.
 */
function salvage(value: unknown): ConfigFile {
  if (!isRecord(value)) return {};
  const part = <T>(schema: v.GenericSchema<unknown, T>, input: unknown): T | undefined => {
    const r = v.safeParse(schema, input);
    return r.success ? r.output : undefined;
  };
  // Field by field, so one wrong type does not hide the same scenario's unknown backend or threshold.
  const fields = (input: unknown): ScenarioInput => {
    const out: Record<string, unknown> = {};
    if (!isRecord(input)) return out;
    for (const [key, val] of Object.entries(input)) {
      const schema = scenarioFields[key as keyof typeof scenarioFields];
      if (schema && v.safeParse(schema, val).success) out[key] = val;
    }
    return out as ScenarioInput;
  };
  const scenarios = Array.isArray(value.scenarios) ? value.scenarios.map(fields) : undefined;
  const exporters = part(configFileSchema.entries.exporters, value.exporters);
  return { defaults: fields(value.defaults), scenarios, thresholds: part(configFileSchema.entries.thresholds, value.thresholds), exporters };
}

/** What was found, except under `headers`: any header value may be a secret. */
export function foundText(issue: v.BaseIssue<unknown>): string {
  const secret = (issue.path ?? []).some((item) => (item as { key: unknown }).key === "headers");
  return secret ? `a ${typeof issue.input} (value not shown: headers may hold secrets)` : issue.received;
}

/** Our schemas carry readable messages ("a number >= 1"); valibot's defaults start with "Invalid". */
export function expectedText(issue: v.BaseIssue<unknown>): string {
  return issue.message && !issue.message.startsWith("Invalid") ? issue.message : (issue.expected ?? issue.message);
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  }
  return out || "(top level)";
}

function unknownKeyProblems(value: unknown, file: string): string[] {
  const problems: string[] = [];
  if (!isRecord(value)) return [`${file}: (top level): expected a JSON object ({"scenarios": [...]}), found ${jsonKind(value)}`];
  const check = (obj: unknown, allowed: string[], where: string) => {
    if (!isRecord(obj)) return;
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const guess = closestMatch(key, allowed);
      problems.push(`${file}: ${where}${where ? "." : ""}${key}: unknown key${guess ? ` (did you mean "${guess}"?)` : ""}`);
    }
  };
  check(value, TOP_LEVEL_KEYS, "");
  check(value.defaults, SCENARIO_KEYS, "defaults");
  if (Array.isArray(value.scenarios)) value.scenarios.forEach((s, i) => check(s, SCENARIO_KEYS, `scenarios[${i}]`));
  return problems;
}

/** "an array", "null", "a string"...: what a JSON value is, as a user would say it. */
function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
