/**
 * Precedence: flag > environment > scenario > `defaults` > built-in. The
 * built-in level and the environment mapping are read off the field table
 * (./fields.ts); flags and variables arrive as text and are converted as
 * their field says, then validated with the scenario schema like the file.
 */
import * as v from "valibot";
import { fromText } from "./field.ts";
import { SCENARIO_FIELDS, type ScenarioKey } from "./fields.ts";
import { scenarioSchema, type ScenarioInput } from "./schema.ts";
import { expectedText, foundText } from "./file.ts";

const ENTRIES = Object.entries(SCENARIO_FIELDS) as [ScenarioKey, (typeof SCENARIO_FIELDS)[ScenarioKey]][];

/** The built-in level: every scenario key's `default` in the table. */
export const BUILTIN: ScenarioInput = Object.fromEntries(ENTRIES.flatMap(([key, f]) => (f.default === undefined ? [] : [[key, f.default]])));

/** Environment variables of the seed's container interface that set scenario keys. */
export const ENV_TO_KEY: Record<string, keyof ScenarioInput> = Object.fromEntries(ENTRIES.flatMap(([key, f]) => (f.env ? [[f.env, key]] : [])));

const KEY_TO_ENV: Record<string, string> = Object.fromEntries(Object.entries(ENV_TO_KEY).map(([env, key]) => [key, env]));

/** How a problem names the flag of a key: as the table spells it (`--endpoint` for endpoint_path), else the key with dashes. */
export function flagName(key: string): string {
  const flag = SCENARIO_FIELDS[key as ScenarioKey]?.flag;
  return flag ? flag.split(" ")[0]! : `--${key.replace(/_/g, "-")}`;
}

export function envName(key: string): string {
  return `environment ${KEY_TO_ENV[key] ?? key}`;
}

/** Validate one override layer (flags or environment) with the scenario schema. */
function validateLayer(layer: Record<string, unknown>, describe: (key: string) => string, problems: string[]): ScenarioInput {
  const typed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(layer)) if (value !== undefined) typed[key] = fromText(SCENARIO_FIELDS[key as ScenarioKey]?.text, value);
  const result = v.safeParse(scenarioSchema, typed, { abortEarly: false });
  if (result.success) return result.output;
  const bad = new Set<string>();
  for (const issue of result.issues) {
    const key = String((issue.path?.[0] as { key: unknown } | undefined)?.key ?? "");
    if (!bad.has(key)) problems.push(`${describe(key)}: expected ${expectedText(issue)}, found ${foundText(issue)}`);
    bad.add(key);
  }
  // Keep the valid keys, so their own problems (an unknown backend, say) are reported too.
  return Object.fromEntries(Object.entries(typed).filter(([key]) => !bad.has(key))) as ScenarioInput;
}

/** The environment and flag levels, validated; their problems are added to `problems`. */
export function overrideLayers(flags: Record<string, unknown>, env: Record<string, string | undefined>, problems: string[]): { envLayer: ScenarioInput; flagLayer: ScenarioInput } {
  const envLayerRaw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_TO_KEY)) if (env[name]) envLayerRaw[key] = env[name];
  const envLayer = validateLayer(envLayerRaw, envName, problems);
  const flagLayer = validateLayer(flags, flagName, problems);
  return { envLayer, flagLayer };
}

/** Levels of one scenario, lowest first: built-in, `defaults`, the scenario, environment, flags. */
export const LEVEL = { builtin: 0, defaults: 1, scenario: 2, env: 3, flag: 4 } as const;

/**
 * One scenario's keys merged by precedence, and where each came from, as
 * the user wrote it: a flag, a variable, or the file's JSON path.
 */
export function mergeLevels(layers: ScenarioInput[], file: string, where: string, hasFile: boolean) {
  const merged: ScenarioInput = Object.assign({}, ...layers);
  const levelOf = (key: keyof ScenarioInput) => layers.findLastIndex((l) => l[key] !== undefined);
  // The endpoint path follows the backend when the backend was set at a higher level than the path.
  if (levelOf("endpoint_path") < levelOf("backend")) merged.endpoint_path = undefined;
  const place = (key: string) => {
    const level = levelOf(key as keyof ScenarioInput);
    if (level === LEVEL.flag) return flagName(key);
    if (level === LEVEL.env) return envName(key);
    if (level === LEVEL.defaults) return `${file}: defaults.${key}`;
    // Without a file, a key that is missing can only be given as a flag.
    return level < LEVEL.scenario && !hasFile ? flagName(key) : `${where}.${key}`;
  };
  return { merged, levelOf, place };
}
