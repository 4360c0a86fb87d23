/**
 * What one setting is: the shape of an entry of the field table
 * (./fields.ts) and the valibot pieces its schemas are built from. A setting
 * is written once, here-shaped, and everything else (the scenario schema,
 * `run --help`, the environment mapping, precedence, the documentation's
 * tables) is derived from the table.
 */
import * as v from "valibot";

/**
 * Requests (and streams, warmups, sessions) per scenario at most: 2^31 - 1,
 * so every request index fits the Int32Arrays that lengths and analyses are
 * kept in. A larger count is a typo (at 10,000 requests/s this is 2.5 days);
 * for longer runs use `duration`.
 */
export const MAX_REQUESTS = 2 ** 31 - 1;
/** Tokens of one prompt or answer at most: 2^24, beyond any served context window. */
export const MAX_TOKENS = 2 ** 24;

export const wholeNumber = v.pipe(v.number("a number"), v.integer("a whole number"));
export const bounded = (min: number, max: number) => v.pipe(wholeNumber, v.minValue(min, `a number >= ${min}`), v.maxValue(max, `a number <= ${max}`));
export const positiveInt = bounded(1, MAX_REQUESTS);
export const tokenCount = bounded(1, MAX_TOKENS);
export const nonNegativeTokens = bounded(0, MAX_TOKENS);
export const positiveNumber = v.pipe(v.number("a number"), v.finite("a finite number"), v.gtValue(0, "a number > 0"));
export const infOrPositive = v.union([positiveNumber, v.literal("inf")], 'a number > 0 or "inf"');
export const commaList = v.union([v.string(), v.array(v.union([v.string(), v.number()]))], "a comma-separated string or an array");
export const stringRecord = v.record(v.string(), v.string("a string"));
export const numberRecord = v.record(v.string(), v.number("a number"));
export const str = (what = "a string") => v.string(what);
export const numberSchema = () => v.number("a number");
export const bool = () => v.boolean("true or false");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySchema = v.GenericSchema<any, any>;

/**
 * How a value written as text (an environment variable, a flag) becomes
 * what the schema expects: `number` ("inf" stays "inf", non-numbers stay
 * text so the schema reports them), `boolean` ("true" or "1"), `text` (kept
 * as text even where cac read a number: comma lists and SLOs).
 */
export type TextForm = "number" | "boolean" | "text";

/** Groups of the documentation's tables and of `run --help`, in this order. */
export const SECTIONS = ["input", "scenario", "sampling", "dataset", "sweep", "output", "shard", "process"] as const;
export type Section = (typeof SECTIONS)[number];

/** One setting. A scenario key when `schema` is set; a run setting (output directory, shards...) otherwise. */
export interface Field<S extends AnySchema | undefined = AnySchema | undefined> {
  /** Valibot schema of a scenario key's value (the scenario file, `defaults`, a flag or a variable). */
  schema: S;
  section: Section;
  /** What it does: the `--help` line and the documentation's "meaning". */
  help: string;
  /** cac syntax of its `vbench run` flag, e.g. `--max-concurrency <n>`. */
  flag?: string;
  /** The environment variable that sets it. */
  env?: string;
  /** Built-in value of a scenario key (the lowest precedence level). */
  default?: unknown;
  /** The default as said to people, when `default` does not say it (or there is none to fill in). */
  defaultText?: string;
  /** Unit of a number (`s`, `ms`, `tokens`, `requests/s`). */
  unit?: string;
  /** How text from a flag or variable is converted; strings stay strings without it. */
  text?: TextForm;
  /** Said in the documentation only (where it is read, what it goes with). */
  note?: string;
}

/** An entry of the table; the identity keeps each schema's type for ScenarioInput. */
export function field<S extends AnySchema>(f: Field<S>): Field<S> {
  return f;
}

/** A run setting (no scenario key): read by its own code (src/config/cli-flags.ts, shard.ts, the engine). */
export function setting(f: Omit<Field<undefined>, "schema">): Field<undefined> {
  return { schema: undefined, ...f };
}

/** A flag's or variable's text as the schema expects it (see {@link TextForm}). */
export function fromText(form: TextForm | undefined, value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (form === "number") {
    if (value.trim().toLowerCase() === "inf") return "inf";
    const n = Number(value);
    return value.trim() === "" || Number.isNaN(n) ? value : n;
  }
  if (form === "boolean") return value === "true" || value === "1";
  return value;
}

/** The default as documentation and `--help` say it. */
export function defaultText(f: Field): string | undefined {
  if (f.defaultText !== undefined) return f.defaultText;
  return f.default === undefined ? undefined : String(f.default);
}

/** cac's option name of a flag: `--max-concurrency <n>` → `maxConcurrency`, `--no-model-check` → `modelCheck`. */
export function optionName(flag: string): string {
  const name = flag.split(" ")[0]!.replace(/^--(no-)?/, "");
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
