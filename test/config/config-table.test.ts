/**
 * docs/configuration.md carries the settings tables generated from the field
 * table (src/config/fields.ts, run-settings.ts); this keeps the two in step,
 * and shows the check failing on a changed document.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { configTables, DOC_PATH, END, FIX_COMMAND, START, withTables } from "../../scripts/config-table.ts";
import { FIELD_TABLE } from "../../src/config/fields.ts";
import { RUN_FLAGS } from "../../src/config/cli-flags.ts";
import { ENV_TO_KEY, flagName } from "../../src/config/config.ts";
import { SCENARIO_KEYS } from "../../src/config/schema.ts";

/** The drift check: the document is what regenerating it would write. */
function drift(doc: string): string | null {
  return doc === withTables(doc) ? null : `docs/configuration.md differs from the field table; run: ${FIX_COMMAND}`;
}

describe("docs/configuration.md's settings tables", () => {
  test(`are the field table's (regenerate: ${FIX_COMMAND})`, () => {
    const doc = readFileSync(DOC_PATH, "utf8");
    expect(drift(doc), `run ${FIX_COMMAND}`).toBeNull();
    expect(doc).toContain(configTables());
  });

  test("the check fails on a changed default, a dropped row and an added row", () => {
    const doc = readFileSync(DOC_PATH, "utf8");
    expect(drift(doc.replace("| `1024` |", "| `2048` |"))).toContain(FIX_COMMAND);
    expect(drift(doc.replace(/\n\| `MODEL_ENDPOINT` [^\n]*/, ""))).toContain(FIX_COMMAND);
    expect(drift(doc.replace(END, `| \`NEW_VARIABLE\` | | | | |\n${END}`))).toContain(FIX_COMMAND);
    // Text outside the markers is the writer's own.
    expect(drift(doc.replace("# Configuration", "# Configuration!"))).toBeNull();
    expect(() => withTables(doc.replace(START, ""))).toThrow("markers are missing");
  });

  test("name every scenario key, every flag of `vbench run` and every variable it maps", () => {
    const tables = configTables();
    for (const key of SCENARIO_KEYS) expect(tables).toContain(`| \`${key}\` |`);
    for (const flag of RUN_FLAGS) expect(tables).toContain(`\`${flag.syntax}\``);
    for (const name of Object.keys(ENV_TO_KEY)) expect(tables).toContain(`| \`${name}\` |`);
  });
});

describe("the field table", () => {
  test("every row has help text; flags and variables are unique", () => {
    const flags = FIELD_TABLE.flatMap((r) => (r.field.flag ? [r.field.flag.split(" ")[0]] : []));
    const envs = FIELD_TABLE.flatMap((r) => (r.field.env ? [r.field.env] : []));
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
    for (const row of FIELD_TABLE) expect(row.field.help.length, row.name).toBeGreaterThan(0);
  });

  test("a problem with a flag names the flag as typed (--endpoint, not the key's --endpoint-path)", () => {
    expect(flagName("endpoint_path")).toBe("--endpoint");
    expect(flagName("max_concurrency")).toBe("--max-concurrency");
    for (const flag of RUN_FLAGS) if (flag.key && !flag.syntax.startsWith("--no-")) expect(flagName(flag.key)).toBe(flag.syntax.split(" ")[0]!);
  });
});
