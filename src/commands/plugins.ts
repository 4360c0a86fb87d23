/** `vbench plugins`: the built-in and loaded plugins, one a line on stdout. */
import { ExitCode } from "../base/errors.ts";
import { registryFor } from "./load-registry.ts";

export async function runPluginsCommand(options: Record<string, unknown>): Promise<number> {
  const { registry } = await registryFor(options);
  for (const { plugin, origin } of registry.list()) process.stdout.write(`${plugin.kind.padEnd(9)} ${plugin.name.padEnd(16)} ${origin === "built-in" ? "built-in" : origin}  ${plugin.description}\n`);
  return ExitCode.ok;
}
