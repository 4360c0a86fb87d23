/**
 * The commands of the README and docs/ pages, as the tests run them: a fenced block
 * preceded by `<!-- test: NAME -->` is taken verbatim, its `localhost`
 * addresses pointed at the test's servers, and run by bash with `vbench`
 * meaning the compiled binary.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, REPO, requireBinary, type RunOutput } from "../helpers/vbench.ts";

export const DOC = join(REPO, "README.md");
const DOCS_DIR = join(REPO, "docs");

/** The README and every docs/ page, one text: a tested block may stand in any of them. */
export function documentation(): string {
  const pages = readdirSync(DOCS_DIR).filter((f) => f.endsWith(".md")).sort();
  return [DOC, ...pages.map((f) => join(DOCS_DIR, f))].map((path) => readFileSync(path, "utf8")).join("\n");
}

/** Every tested block by name. */
export function docBlocks(text = documentation()): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/<!-- test: ([\w-]+) -->\n```\w*\n([\s\S]*?)```/g)) {
    if (blocks.has(m[1]!)) throw new Error(`duplicate doc block ${m[1]}`);
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

export function docBlock(name: string): string {
  const block = docBlocks().get(name);
  if (!block) throw new Error(`the README and docs/ have no block marked <!-- test: ${name} -->`);
  return block;
}

/** The documentation's placeholder addresses. */
export const DOC_URLS = { model: "http://localhost:8000", clickhouse: "http://localhost:8123", pushgateway: "http://localhost:9091", grafana: "http://localhost:3000" } as const;

/** Replace the placeholder addresses with real ones (and any literal `old` → `new` pairs). */
export function localize(script: string, urls: Partial<Record<keyof typeof DOC_URLS, string>>, extra: [string, string][] = []): string {
  let out = script;
  for (const [key, url] of Object.entries(urls)) out = out.replaceAll(DOC_URLS[key as keyof typeof DOC_URLS], url);
  for (const [from, to] of extra) out = out.replaceAll(from, to);
  return out;
}

/** Run a doc script in `cwd` with bash; `vbench` is the compiled binary, `prelude` may stub other commands. */
export async function runScript(script: string, cwd: string, options: { env?: Record<string, string>; prelude?: string; timeoutMs?: number } = {}): Promise<RunOutput> {
  requireBinary();
  const prelude = `vbench() { "$VBENCH_BIN" "$@"; }\n${options.prelude ?? ""}\n`;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, VBENCH_BIN: BINARY, ...options.env };
  const proc = Bun.spawn(["bash", "-c", prelude + script], { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface DockerRun {
  env: Record<string, string>;
  /** container path → host path as written. */
  mounts: Record<string, string>;
  image: string;
  args: string[];
}

/** Parse a `docker run` block (continuations joined; quotes around values dropped). */
export function parseDockerRun(block: string): DockerRun {
  const words = block.replace(/\\\n/g, " ").trim().split(/\s+/);
  if (words[0] !== "docker" || words[1] !== "run") throw new Error(`not a docker run: ${block}`);
  const run: DockerRun = { env: {}, mounts: {}, image: "", args: [] };
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    if (run.image) run.args.push(w);
    else if (w === "-e") {
      const [k, ...v] = words[++i]!.split("=");
      run.env[k!] = v.join("=").replace(/^"|"$/g, "");
    } else if (w === "-v") {
      const [host, container] = words[++i]!.split(":");
      run.mounts[container!] = host!;
    } else if (w.startsWith("-")) continue; // --rm, --network host
    else if (words[i - 1] === "--network") continue;
    else run.image = w;
  }
  return run;
}
