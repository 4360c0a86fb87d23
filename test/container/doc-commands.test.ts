/**
 * Every vbench command the README and docs/ show is exercised here, so a
 * renamed flag or a changed default cannot leave the documentation behind:
 *
 * - each command line of a fenced block (the README's five tasks, the
 *   examples in docs/commands.md, docs/analysis.md, ...) that no other test
 *   runs as a `<!-- test: NAME -->` block is run as written in a checkout-like
 *   folder, with its `localhost` addresses pointed at the simulator and
 *   DURATION=1 so each run is short, and must end with an exit code its
 *   command documents;
 * - each inline `vbench CMD --flag ...` span names a real command, and every
 *   flag it shows is listed by `vbench CMD --help`.
 *
 * Not run here: `npm`/`npx bun` lines (the README's two commands are what CI
 * itself runs; bench/ scripts are run by `npm run bench`), and output samples.
 */
import { beforeAll, afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { REPO, startMock, tempDir, vbench } from "../helpers/vbench.ts";
import { documentation, localize, runScript } from "./doc-blocks.ts";

interface ShownCommand {
  page: string;
  line: string;
}

const PAGES = ["README.md", ...new Bun.Glob("docs/*.md").scanSync({ cwd: REPO })].sort();

/** Command lines of fenced blocks not marked for another test, continuation lines joined. */
function shownCommands(page: string, text: string): ShownCommand[] {
  const out: ShownCommand[] = [];
  for (const m of text.matchAll(/(<!-- test: [\w-]+ -->\n)?```(\w*)\n([\s\S]*?)```/g)) {
    if (m[1]) continue;
    const joined = m[3]!.replace(/\\\n\s*/g, "");
    for (const raw of joined.split("\n")) {
      const line = raw.trim();
      if (/^([A-Z_]+=\S+\s+)*(\.\/dist\/)?vbench\s/.test(line)) out.push({ page, line });
    }
  }
  return out;
}

const COMMANDS = PAGES.flatMap((page) => shownCommands(page, readFileSync(join(REPO, page), "utf8")));

/** The exit codes a command's documentation allows (docs/commands.md, README "Exit codes"). */
function allowedCodes(line: string): number[] {
  if (/\bcompare\b.*--fail-on-regression/.test(line)) return [0, 6]; // 6: a regression was found
  if (/\banalyze\b.*--check/.test(line)) return [0, 4]; // 4: a threshold failed
  // 4: the seed's thresholds (ttft_p95_ms 200) can fail at concurrency 64 on 2 busy cores: the gate working, checked below.
  if (/\bvbench run\b.*--config configs\/vllm_benchmark\.json/.test(line)) return [0, 4];
  return [0];
}

describe("every command shown in the README and docs/", () => {
  let mock: SpawnedMock;
  let checkout: string;
  beforeAll(async () => {
    mock = await startMock({ ttftMs: 1, itlMs: 0 });
    checkout = tempDir("vbench-doc-commands-");
    cpSync(join(REPO, "configs"), join(checkout, "configs"), { recursive: true });
    // The result folders the examples read: one short run of the seed's scenario file, copied under each name they use.
    const seeded = await vbench(["run", "--config", "configs/vllm_benchmark.json", "--base-url", mock.url], { cwd: checkout, env: { DURATION: "1" } });
    expect(seeded.code, seeded.stderr).toBe(0);
    for (const name of ["results", "baseline", "candidate"]) cpSync(join(checkout, "benchmark_results"), join(checkout, name), { recursive: true });
    mkdirSync(join(checkout, "benchmark_results/parsed"), { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await mock?.stop();
  });

  test("are found (the extraction itself works)", () => {
    const pages = new Set(COMMANDS.map((c) => c.page));
    expect(pages.has("README.md")).toBe(true);
    expect(pages.has("docs/analysis.md")).toBe(true);
    expect(COMMANDS.length).toBeGreaterThanOrEqual(15);
  });

  for (const { page, line } of COMMANDS) {
    test(`${page}: ${line}`, async () => {
      const script = localize(line.replace(/(^|\s)\.\/dist\/vbench\s/, "$1vbench "), { model: mock.url }, [["http://localhost:8080", mock.url]]);
      const r = await runScript(script, checkout, { env: { MODEL_ENDPOINT: mock.url, DURATION: "1" }, timeoutMs: 90_000 });
      const output = `exit ${r.code}\n${r.stdout.slice(-800)}\n${r.stderr.slice(-1500)}`;
      expect(allowedCodes(line), output).toContain(r.code);
      // An exit 4 is a threshold verdict, never a failed request or a refused flag.
      if (r.code === 4) expect(r.stderr, output).toMatch(/Thresholds failed|thresholds: \d+ failed/);
    }, 120_000);
  }
});

/** Inline `vbench CMD ...` spans of the prose. */
function inlineSpans(text: string): string[] {
  return [...new Set([...text.matchAll(/`(?:\.\/dist\/)?vbench ([a-z][\w-]*)([^`]*)`/g)].map((m) => `${m[1]}${m[2]}`))];
}

describe("every inline vbench command in the README and docs/", () => {
  const spans = inlineSpans(documentation());
  const byCommand = new Map<string, Set<string>>();
  for (const span of spans) {
    const [command, ...rest] = span.split(/\s+/);
    const flags = byCommand.get(command!) ?? new Set<string>();
    for (const m of rest.join(" ").matchAll(/--([a-z][\w-]*)/g)) flags.add(`--${m[1]}`);
    byCommand.set(command!, flags);
  }

  test("are found", () => {
    expect(byCommand.has("run")).toBe(true);
    expect(byCommand.get("run")!.size).toBeGreaterThan(3);
  });

  for (const [command, flags] of byCommand) {
    test(`vbench ${command}: the command exists and lists ${[...flags].join(" ") || "no flags"}`, async () => {
      const help = await vbench([command, "--help"]);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toContain(`vbench ${command}`);
      const listed = new Set([...help.stdout.matchAll(/--([a-z][\w-]*)/g)].map((m) => `--${m[1]}`));
      for (const flag of ["--help", "--version"]) listed.add(flag);
      expect([...flags].filter((f) => !listed.has(f))).toEqual([]);
    });
  }
});
