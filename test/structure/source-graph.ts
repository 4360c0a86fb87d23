/**
 * Reads the source tree as a newcomer's map: every module of src/ and
 * plugins/, the modules each imports (type-only imports included: a loop of
 * types is still a loop a reader has to untangle), its line count and the
 * length of each of its functions. Parsed with @babel/parser rather than
 * regular expressions, so imports in comments or strings are never counted
 * and a function's extent is the parser's, not a brace count's.
 */
import { parse } from "@babel/parser";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

export const REPO = join(import.meta.dir, "../..");

export interface SourceModule {
  /** Repository-relative path, e.g. "src/engine/http.ts". */
  path: string;
  lines: number;
  /** Repository-relative paths of the local modules it imports. */
  imports: string[];
  functions: { name: string; line: number; lines: number }[];
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

type Node = { type: string; loc?: { start: { line: number }; end: { line: number } }; [key: string]: unknown };

function functionName(node: Node, parent: Node | undefined): string {
  const id = node.id as { name?: string } | undefined;
  if (id?.name) return id.name;
  const key = node.key as { name?: string; value?: string } | undefined;
  if (key) return key.name ?? String(key.value);
  const parentId = parent?.id as { name?: string } | undefined;
  const parentKey = parent?.key as { name?: string } | undefined;
  return parentId?.name ?? parentKey?.name ?? "(anonymous)";
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression", "ClassMethod", "ObjectMethod", "ClassPrivateMethod"]);

function readModule(path: string): SourceModule {
  const text = readFileSync(join(REPO, path), "utf8");
  const ast = parse(text, { sourceType: "module", plugins: ["typescript"], errorRecovery: false }) as unknown as Node;
  const specifiers: string[] = [];
  const functions: SourceModule["functions"] = [];
  const visit = (node: Node, parent: Node | undefined): void => {
    if ((node.type === "ImportDeclaration" || node.type === "ExportNamedDeclaration" || node.type === "ExportAllDeclaration") && node.source) {
      specifiers.push((node.source as { value: string }).value);
    }
    if (node.type === "ImportExpression" || (node.type === "CallExpression" && (node.callee as Node).type === "Import")) {
      const arg = (node.source ?? (node.arguments as Node[])[0]) as Node & { value?: unknown };
      if (arg?.type === "StringLiteral") specifiers.push(String(arg.value));
    }
    if (FUNCTION_TYPES.has(node.type) && node.loc && (node.body as Node | undefined)?.type === "BlockStatement") {
      functions.push({ name: functionName(node, parent), line: node.loc.start.line, lines: node.loc.end.line - node.loc.start.line + 1 });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "loc" || key === "leadingComments" || key === "trailingComments") continue;
      if (Array.isArray(value)) for (const child of value) { if (child && typeof child.type === "string") visit(child, node); }
      else if (value && typeof (value as Node).type === "string") visit(value as Node, node);
    }
  };
  visit((ast as unknown as { program: Node }).program, undefined);
  const imports = specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => relative(REPO, normalize(join(REPO, dirname(path), s))))
    .filter((p) => p.endsWith(".ts") && (p.startsWith("src/") || p.startsWith("plugins/")));
  return { path, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0), imports: [...new Set(imports)], functions };
}

export function readSourceTree(): SourceModule[] {
  return [...listTs("src"), ...listTs("plugins")].sort().map(readModule);
}

/** The import loops: strongly connected groups of more than one module, or a module importing itself (Tarjan). */
export function importLoops(modules: readonly SourceModule[]): string[][] {
  const graph = new Map(modules.map((m) => [m.path, m.imports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || graph.get(v)!.includes(v)) loops.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return loops;
}
