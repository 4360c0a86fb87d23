/**
 * The plugin registry a command works with: the built-in plugins, then the
 * plugin files named by the scenario file and by --plugin, loaded before
 * the configuration is validated so their names are known.
 */
import type { Registry } from "../plugin-host/registry.ts";
import { flagsToSources } from "../config/cli-flags.ts";
import type { ConfigSources } from "../config/config.ts";

/** Built-in plugins plus `pluginFiles` (`places`: where each was named, for errors). */
export async function loadRegistry(pluginFiles: string[], places?: string[]): Promise<Registry> {
  const { Registry } = await import("../plugin-host/registry.ts");
  const { builtinPlugins } = await import("../../plugins/index.ts");
  const { loadPluginFiles } = await import("../plugin-host/plugin-loader.ts");
  const registry = new Registry();
  for (const plugin of builtinPlugins) registry.register(plugin);
  await loadPluginFiles(pluginFiles, registry, places);
  return registry;
}

/** The configuration sources of the flags and environment, and a registry with the config's and --plugin's plugins. */
export async function registryFor(options: Record<string, unknown>): Promise<{ registry: Registry; sources: ConfigSources }> {
  const { readConfigFile } = await import("../config/config.ts");
  const sources = flagsToSources(options, process.env);
  let filePlugins: string[] = [];
  let filePlaces: string[] = [];
  try {
    const { path, config } = readConfigFile(sources);
    const baseDir = path ? path.replace(/[^/]*$/, "") : "";
    filePlugins = (config.plugins ?? []).map((p) => (p.startsWith("/") ? p : baseDir + p));
    filePlaces = filePlugins.map((_, i) => `${path}: plugins[${i}]`);
  } catch {
    // resolveConfig reports file problems with full detail.
  }
  const registry = await loadRegistry([...filePlugins, ...sources.plugins], [...filePlaces, ...sources.plugins.map(() => "--plugin")]);
  // The config's plugins are loaded already; resolveConfig must not list them again.
  return { registry, sources };
}

/** A repeatable flag's values. */
export function toList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
