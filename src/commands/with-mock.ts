/**
 * `--mock` of `vbench run` and `vbench search`: start the built-in simulator
 * in a child process on a free loopback port (its flags from `--mock-args`,
 * checked against `vbench mock`'s flag table), point the run at it, and
 * always stop it.
 */
import { cac } from "cac";
import { VbenchError } from "../base/errors.ts";
import { mockFlagDefinitions, mockOptionsFromFlags } from "../mock/flags.ts";
import { describeMockOptions } from "../mock/options.ts";
import { selfCommand, spawnMockProcess } from "../mock/spawn.ts";

/** Run `body` against the simulator when --mock is given (its URL in `sources.flags.base_url`), else as it is. */
export async function withMock(options: Record<string, unknown>, sources: { flags: Record<string, unknown> }, body: () => Promise<number>): Promise<number> {
  if (!options.mock) return body();
  const mockArgs = String(options.mockArgs ?? "").split(/\s+/).filter(Boolean);
  const mockOptions = parseMockArgs(mockArgs);
  const mock = await spawnMockProcess(selfCommand(), mockOptions);
  try {
    sources.flags.base_url = mock.url;
    process.stderr.write(`Simulator: ${mock.url} (vbench mock: ${describeMockOptions(mockOptions)})\n`);
    return await body();
  } finally {
    await mock.stop();
  }
}

/** `--mock-args "--ttft-ms 50"` → simulator options, validated by the same flag table as `vbench mock`. */
export function parseMockArgs(args: string[]) {
  const parser = cac("vbench mock");
  for (const f of mockFlagDefinitions) parser.option(f.flag, f.description);
  const parsed = parser.parse(["bun", "vbench", ...args], { run: false });
  const unknown = Object.keys(parsed.options).filter((k) => k !== "--" && !mockFlagDefinitions.some((f) => camel(f.flag) === k) && k !== "exactPromptTokens");
  if (unknown.length) throw new VbenchError("mock_args", `unknown simulator flag(s) in --mock-args: ${unknown.join(", ")}`, { hint: "See `vbench mock --help` for the simulator's flags." });
  return mockOptionsFromFlags(parsed.options);
}

function camel(flagSyntax: string): string {
  return flagSyntax.split(" ")[0]!.replace(/^--(no-)?/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
