/**
 * The source tree keeps the shape a newcomer can find their way in
 * (docs/development.md): no import loops, no upward imports between the
 * layers of test/structure/layers.ts, no file over 300 lines, no function over
 * 80. Each check is also run on a small made-up tree that breaks it, so the
 * check itself is seen to fail.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { importLoops, readSourceTree, REPO, type SourceModule } from "./source-graph.ts";
import { folderOf, LAYERS } from "./layers.ts";

const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;

function upwardImports(modules: readonly SourceModule[]): string[] {
  const found: string[] = [];
  for (const m of modules) {
    const from = folderOf(m.path);
    for (const target of m.imports) {
      const to = folderOf(target);
      if (from === undefined || to === undefined || from === to) continue;
      if (LAYERS[to]! > LAYERS[from]!) found.push(`${m.path} (layer ${LAYERS[from]}) imports ${target} (layer ${LAYERS[to]})`);
    }
  }
  return found;
}

const tree = readSourceTree();

describe("the source tree", () => {
  test("has no import loops", () => {
    expect(importLoops(tree).map((group) => group.join(" → "))).toEqual([]);
  });

  test("has no upward imports between layers", () => {
    expect(upwardImports(tree)).toEqual([]);
  });

  test("places every module in a folder of the layer table", () => {
    expect(tree.filter((m) => folderOf(m.path) === undefined).map((m) => m.path)).toEqual([]);
  });

  test("has a README.md in each src/ folder saying what lives there and what may import it", () => {
    const folders = Object.keys(LAYERS).filter((f) => f.startsWith("src/") && f.endsWith("/"));
    expect(folders.filter((f) => !existsSync(join(REPO, f, "README.md")))).toEqual([]);
  });

  test(`has no file over ${MAX_FILE_LINES} lines`, () => {
    expect(tree.filter((m) => m.lines > MAX_FILE_LINES).map((m) => `${m.path}: ${m.lines} lines`)).toEqual([]);
  });

  test(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = tree.flatMap((m) => m.functions.filter((f) => f.lines > MAX_FUNCTION_LINES).map((f) => `${m.path}:${f.line} ${f.name}: ${f.lines} lines`));
    expect(long).toEqual([]);
  });
});

describe("the checks fail on what they forbid", () => {
  const module = (path: string, imports: string[], lines = 10, functionLines = 5): SourceModule => ({ path, imports, lines, functions: [{ name: "f", line: 1, lines: functionLines }] });

  test("a loop through three modules is found, a chain is not", () => {
    const loop = [module("src/engine/a.ts", ["src/engine/b.ts"]), module("src/engine/b.ts", ["src/engine/c.ts"]), module("src/engine/c.ts", ["src/engine/a.ts"])];
    expect(importLoops(loop)).toEqual([["src/engine/a.ts", "src/engine/b.ts", "src/engine/c.ts"]]);
    expect(importLoops([module("src/engine/a.ts", ["src/engine/b.ts"]), module("src/engine/b.ts", [])])).toEqual([]);
  });

  test("results importing the engine is upward; the engine importing results is not", () => {
    expect(upwardImports([module("src/results/metrics.ts", ["src/engine/http.ts"])])).toHaveLength(1);
    expect(upwardImports([module("src/engine/http.ts", ["src/results/metrics.ts"])])).toEqual([]);
  });

  test("the parser sees type-only and dynamic imports and function extents", () => {
    const cli = tree.find((m) => m.path === "src/cli.ts")!;
    expect(cli.imports.some((p) => p.startsWith("src/commands/"))).toBe(true);
    const graph = tree.find((m) => m.path === "src/results/stats.ts")!;
    expect(graph.imports).toContain("src/base/summary-types.ts");
    expect(graph.functions.length).toBeGreaterThan(3);
  });
});
