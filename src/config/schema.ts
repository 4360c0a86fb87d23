/**
 * The scenario file's schema (spec/config.md), in valibot. Keys are the
 * seed's snake_case names. Lists accept the seed's comma strings or arrays.
 * A scenario's keys and their schemas come from the field table
 * (./fields.ts); this file adds the file's top level.
 */
import * as v from "valibot";
import { commaList, numberRecord, type AnySchema } from "./field.ts";
import { SCENARIO_FIELDS, type ScenarioKey } from "./fields.ts";

export { MAX_REQUESTS, MAX_TOKENS } from "./field.ts";

const keysOf = (section: string) => (Object.keys(SCENARIO_FIELDS) as ScenarioKey[]).filter((key) => SCENARIO_FIELDS[key].section === section);

/** Sampling fields passed through to the server as they are. */
export const SAMPLING_KEYS = keysOf("sampling") as ("temperature" | "top_p" | "top_k" | "min_p" | "repetition_penalty" | "frequency_penalty" | "presence_penalty" | "stop")[];

/** Dataset-specific keys, handed to the workload builder in `scenario.dataset`. */
export const DATASET_KEYS = keysOf("dataset");

type ScenarioFieldSchemas = { [K in ScenarioKey]: v.OptionalSchema<(typeof SCENARIO_FIELDS)[K]["schema"], undefined> };

/** Every key a scenario (or `defaults`) may carry, each optional. */
export const scenarioFields = Object.fromEntries(
  Object.entries(SCENARIO_FIELDS).map(([key, f]) => [key, v.optional(f.schema as AnySchema)]),
) as ScenarioFieldSchemas;

export const SCENARIO_KEYS = Object.keys(scenarioFields);

export const scenarioSchema = v.object(scenarioFields);

export const TOP_LEVEL_KEYS = ["name", "version", "description", "defaults", "scenarios", "thresholds", "plugins", "exporters", "exporter_options", "$schema"];

export const configFileSchema = v.object({
  name: v.optional(v.string("a string")),
  version: v.optional(v.string("a string")),
  description: v.optional(v.string("a string")),
  defaults: v.optional(scenarioSchema),
  scenarios: v.optional(v.array(scenarioSchema, "an array of scenarios")),
  thresholds: v.optional(numberRecord),
  plugins: v.optional(v.array(v.string("a file path"), "an array of file paths")),
  exporters: v.optional(commaList),
  exporter_options: v.optional(v.record(v.string(), v.record(v.string(), v.unknown()))),
});

export type ScenarioInput = v.InferOutput<typeof scenarioSchema>;
export type ConfigFile = v.InferOutput<typeof configFileSchema>;
