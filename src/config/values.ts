/**
 * Parsers of the scenario values written as text: comma lists, sweep lists
 * and goodput SLOs. Each reports a bad value with what is wrong with it and
 * the form expected, never a bare "NaN".
 */
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { ScenarioInput } from "./schema.ts";
import { MAX_REQUESTS } from "./schema.ts";

export function parseList(value: string | (string | number)[]): string[] {
  const items = Array.isArray(value) ? value.map(String) : value.split(",");
  return items.map((s) => s.trim()).filter(Boolean);
}

/** CONCURRENCY_LEVELS / --request-rates: positive numbers (whole for levels), "inf" allowed for rates. */
export function parseSweep(value: string | undefined, label: string, integers: boolean, problems: string[]): number[] | null {
  if (value === undefined || value.trim() === "") return null;
  const out: number[] = [];
  for (const item of parseList(value)) {
    const n = item.toLowerCase() === "inf" && !integers ? Infinity : Number(item);
    if (!(n > 0) || (integers && !Number.isInteger(n))) problems.push(`${label}: expected ${integers ? "positive whole numbers" : 'positive numbers or "inf"'}, found "${item}"`);
    else if (integers && n > MAX_REQUESTS) problems.push(`${label}: expected whole numbers <= ${MAX_REQUESTS}, found "${item}"`);
    else out.push(n);
  }
  return out;
}

const SLO_METRICS = ["ttft", "tpot", "e2el"] as const;
const SLO_FORM = '"<metric>:<milliseconds>" with metric ttft, tpot or e2el, e.g. "ttft:200,tpot:50"';

/** Goodput SLOs: `"ttft:200,tpot:50"` (vLLM's `--goodput ttft:200 tpot:50`), a list, or an object. */
export function parseGoodput(value: ScenarioInput["goodput"], where: string, problems: string[]): ResolvedScenario["goodput"] {
  const out: ResolvedScenario["goodput"] = {};
  if (value === undefined) return out;
  const pairs: [string, unknown, string][] =
    typeof value === "string" || Array.isArray(value)
      ? (Array.isArray(value) ? value : value.split(/[\s,]+/)).filter(Boolean).map((item) => {
          const colon = item.indexOf(":");
          const key = (colon < 0 ? item : item.slice(0, colon)).trim().toLowerCase();
          return [key, colon < 0 ? undefined : item.slice(colon + 1).trim(), `"${item}"`];
        })
      : Object.entries(value).map(([key, ms]) => [key, ms, `"${key}": ${JSON.stringify(ms)}`]);
  for (const [key, raw, written] of pairs) {
    if (!SLO_METRICS.includes(key as (typeof SLO_METRICS)[number])) {
      problems.push(`${where}: ${written}: unknown SLO metric "${key}"; expected ${SLO_FORM}`);
      continue;
    }
    const ms = typeof raw === "string" && raw !== "" ? Number(raw) : raw;
    if (raw === undefined || raw === "") problems.push(`${where}: ${written}: no milliseconds given for ${key}; expected ${SLO_FORM}`);
    else if (typeof ms !== "number" || Number.isNaN(ms)) problems.push(`${where}: ${written}: ${JSON.stringify(raw)} is not a number of milliseconds; expected ${SLO_FORM}`);
    else if (!(ms > 0) || !Number.isFinite(ms)) problems.push(`${where}: ${written}: the limit must be a finite number of milliseconds > 0, found ${ms}`);
    else out[key as (typeof SLO_METRICS)[number]] = ms;
  }
  return out;
}
