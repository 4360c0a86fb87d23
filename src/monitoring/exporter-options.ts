/**
 * Validate an exporter's `exporter_options.<name>` with its valibot schema,
 * reporting every problem at once with its key path.
 */
import * as v from "valibot";
import { ExitCode, VbenchError } from "../base/errors.ts";

export function parseExporterOptions<S extends v.GenericSchema>(name: string, schema: S, options: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, options ?? {}, { abortEarly: false });
  if (parsed.success) return parsed.output;
  const problems = parsed.issues.map((issue) => {
    const path = issue.path?.map((p) => String((p as { key: unknown }).key)).join(".") ?? "";
    const expected = issue.message && !issue.message.startsWith("Invalid") ? issue.message : (issue.expected ?? issue.message);
    return `exporter_options.${name}${path ? `.${path}` : ""}: expected ${expected}, found ${issue.received}`;
  });
  throw new VbenchError(`${name}_options`, `invalid ${name} exporter options`, {
    details: problems,
    hint: "Fix the listed keys in the scenario file's exporter_options.",
    exitCode: ExitCode.config,
  });
}
