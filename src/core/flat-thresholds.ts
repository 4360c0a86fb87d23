/**
 * Threshold evaluation against a saved result's flat vLLM keys, for
 * `vbench standardize` on files written by vLLM or by an earlier run. (During
 * a run, src/core/thresholds.ts evaluates against the Summary; the key
 * grammar is the same, spec/output.md "Thresholds".)
 */
import { ExitCode, VbenchError } from "./errors.ts";

export interface FlatVerdict {
  key: string;
  limit: number;
  /** null when the result file does not contain the statistic. */
  measured: number | null;
  comparison: "<=" | ">=";
  passed: boolean;
}

// The grammar of src/core/thresholds.ts: min/max exist only in vbench's metric_stats, not in vLLM's keys.
function lookup(value: unknown, path: string[]): unknown {
  for (const key of path) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

const METRIC_KEY = /^(ttft|tpot|itl|e2el)_(mean|median|std|min|max|p\d+(?:\.\d+)?)_ms$/;

/** Where a threshold's measured value lives in the flat document, and how it compares. */
export function flatThresholdSource(key: string): { comparison: "<=" | ">="; read(raw: Record<string, unknown>): number | null } | undefined {
  const asNumber = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  if (key === "throughput_min") return { comparison: ">=", read: (raw) => asNumber(raw.output_throughput) };
  if (key === "success_rate") {
    return {
      comparison: ">=",
      read: (raw) => {
        const completed = asNumber(raw.completed);
        if (completed === null) return null;
        const errors = Array.isArray(raw.errors) ? (raw.errors as unknown[]) : [];
        const failed = asNumber(raw.failed) ?? errors.filter((e) => typeof e === "string" && e !== "").length;
        return completed + failed > 0 ? completed / (completed + failed) : 0;
      },
    };
  }
  const m = METRIC_KEY.exec(key);
  if (m && (m[2] === "min" || m[2] === "max")) {
    return { comparison: "<=", read: (raw) => asNumber(lookup(raw, ["vbench", "metric_stats", m[1], m[2]])) };
  }
  // ttft_p95_ms → p95_ttft_ms, tpot_mean_ms → mean_tpot_ms.
  if (m) return { comparison: "<=", read: (raw) => asNumber(raw[`${m[2]}_${m[1]}_ms`]) };
  return undefined;
}

/**
 * Evaluate every threshold. An unknown key or a non-numeric limit is a
 * configuration error; a statistic missing from the file fails its threshold
 * (measured null) rather than passing silently.
 */
export function evaluateFlatThresholds(raw: Record<string, unknown>, thresholds: Record<string, unknown>): FlatVerdict[] {
  const problems: string[] = [];
  const verdicts: FlatVerdict[] = [];
  for (const [key, limit] of Object.entries(thresholds)) {
    const source = flatThresholdSource(key);
    if (!source) {
      problems.push(`thresholds.${key}: unknown threshold key`);
      continue;
    }
    if (typeof limit !== "number" || !Number.isFinite(limit)) {
      problems.push(`thresholds.${key}: expected a number, found ${JSON.stringify(limit)}`);
      continue;
    }
    const measured = source.read(raw);
    const passed = measured !== null && (source.comparison === "<=" ? measured <= limit : measured >= limit);
    verdicts.push({ key, limit, measured, comparison: source.comparison, passed });
  }
  if (problems.length > 0) {
    throw new VbenchError("config_invalid", `invalid thresholds: ${problems[0]}`, {
      hint: "Threshold keys: ttft_p95_ms, tpot_mean_ms, throughput_min, success_rate, or {ttft|tpot|itl|e2el}_{mean|median|std|min|max|pNN}_ms.",
      exitCode: ExitCode.config,
      details: problems,
    });
  }
  return verdicts;
}
