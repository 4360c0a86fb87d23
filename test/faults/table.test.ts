/**
 * docs/faults.md carries the "what happens when..." table generated from the
 * cases the fault tests run; this keeps the two in step.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DOC_PATH, faultTable, withTable } from "../../scripts/fault-table.ts";
import { MATRIX_CASES, OTHER_CASES } from "./cases.ts";

test("docs/faults.md has the current table (regenerate: npx bun scripts/fault-table.ts --write)", () => {
  const doc = readFileSync(DOC_PATH, "utf8");
  expect(doc).toBe(withTable(doc));
  expect(doc).toContain(faultTable());
});

test("one row per case, each with an exit code", () => {
  const rows = faultTable().split("\n").slice(2);
  expect(rows).toHaveLength(MATRIX_CASES.length + OTHER_CASES.length);
  for (const row of rows) expect(row).toMatch(/\| (\d+|4; 0 if a `success_rate` threshold tolerates it) \|$/);
  expect(new Set([...MATRIX_CASES, ...OTHER_CASES].map((c) => c.id)).size).toBe(rows.length);
});
