/**
 * The settings tables of docs/configuration.md, generated from the field
 * table (src/config/fields.ts and src/config/run-settings.ts), so the
 * documentation cannot drift from what `vbench run` reads.
 *
 *   npx bun scripts/config-table.ts           print the markdown tables
 *   npx bun scripts/config-table.ts --write   replace them in docs/configuration.md
 */
import { sectionMain, withSection, type GeneratedSection } from "./generated-section.ts";
import { join } from "node:path";
import { FIELD_TABLE, type FieldRow } from "../src/config/fields.ts";
import type { Field, Section } from "../src/config/field.ts";

export const DOC_PATH = join(import.meta.dir, "..", "docs", "configuration.md");
export const START = "<!-- config-table:start -->";
export const END = "<!-- config-table:end -->";
export const FIX_COMMAND = "npx bun scripts/config-table.ts --write";

const cell = (text: string) => text.replace(/\|/g, "\\|");
const code = (text: string | undefined) => (text === undefined ? "" : `\`${text}\``);
const meaning = (f: Field) => cell(f.note ? `${f.help} (${f.note})` : f.help);
/** A built-in value is shown as code; a default said in words (`defaultText`) as it is written. */
const defaultCell = (f: Field) => cell(f.defaultText ?? (f.default === undefined ? "" : code(String(f.default))));

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const inSections = (sections: Section[]) => FIELD_TABLE.filter((r) => sections.includes(r.field.section));

function keyTable(rows: FieldRow[]): string {
  return table(
    ["key", "meaning", "default", "unit", "flag", "variable"],
    rows.map(({ name, field: f }) => [code(name), meaning(f), defaultCell(f), f.unit ?? "", cell(code(f.flag)), code(f.env)]),
  );
}

export function configTables(): string {
  const runRows = inSections(["input", "sweep", "output", "shard", "process"]);
  const envRows = FIELD_TABLE.filter((r) => r.field.env);
  return [
    "### Scenario keys",
    "",
    keyTable(inSections(["scenario"])),
    "",
    "### Sampling keys (sent to the server as they are)",
    "",
    keyTable(inSections(["sampling"])),
    "",
    "### Dataset keys (which `dataset_type` reads each: [Workloads](workloads.md))",
    "",
    keyTable(inSections(["dataset"])),
    "",
    "### Run settings (not scenario keys)",
    "",
    table(["flag", "variable", "meaning", "default"], runRows.map(({ field: f }) => [cell(code(f.flag)), code(f.env), meaning(f), defaultCell(f)])),
    "",
    "### Environment variables (the seed's container interface and more)",
    "",
    table(["variable", "flag", "scenario key", "meaning", "default"], envRows.map(({ key, field: f }) => [code(f.env), cell(code(f.flag)), code(key), meaning(f), defaultCell(f)])),
  ].join("\n");
}

const SECTION: GeneratedSection = { path: DOC_PATH, start: START, end: END, name: "config-table", render: configTables };

/** docs/configuration.md with the text between the markers replaced by the generated tables. */
export const withTables = (doc: string): string => withSection(SECTION, doc);

if (import.meta.main) sectionMain(SECTION);
