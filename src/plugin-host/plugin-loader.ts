/**
 * Plugins from disk, loaded into the running binary at run time (--plugin
 * FILE, config `plugins`). A compiled binary cannot resolve a plugin's bare
 * imports, so the host hands plugins its own contract helpers as the virtual
 * module `vbench/plugin` (which also re-exports valibot as `v`).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as pluginApi from "../plugin-api.ts";
import type { Plugin } from "../base/plugin-types.ts";
import type { Registry } from "./registry.ts";
import { VbenchError, errorMessage } from "../base/errors.ts";

let virtualModuleInstalled = false;

function installVirtualModule(): void {
  if (virtualModuleInstalled) return;
  virtualModuleInstalled = true;
  Bun.plugin({
    name: "vbench-plugin-api",
    setup(build) {
      build.module("vbench/plugin", () => ({ exports: { ...pluginApi }, loader: "object" }));
    },
  });
}

const REQUIRED: Record<Plugin["kind"], string[]> = {
  backend: ["defaultEndpointPath", "buildBody", "createParser"],
  exporter: ["write"],
};

/** Check a loaded value is a plugin; returns what is wrong, or null. */
function shapeProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "its default export is not a plugin object (use defineBackend or defineExporter from \"vbench/plugin\")";
  const plugin = value as Record<string, unknown>;
  if (plugin.kind !== "backend" && plugin.kind !== "exporter") return `kind must be "backend" or "exporter", found ${JSON.stringify(plugin.kind)}`;
  if (typeof plugin.name !== "string" || !plugin.name) return "it has no name";
  for (const key of REQUIRED[plugin.kind]) if (plugin[key] === undefined) return `${plugin.kind} "${plugin.name}" lacks ${key}`;
  if (plugin.kind === "backend") {
    const discovery = plugin.discovery as Record<string, unknown> | undefined;
    if (!discovery || typeof discovery.path !== "string" || typeof discovery.parseModels !== "function") return `backend "${plugin.name}" lacks discovery { path, parseModels }`;
  }
  return null;
}

/** `places[i]` says where `paths[i]` was named (`config.json: plugins[0]`, `--plugin`), for the messages. */
export async function loadPluginFiles(paths: readonly string[], registry: Registry, places: readonly string[] = []): Promise<void> {
  if (paths.length === 0) return;
  installVirtualModule();
  for (const [index, path] of paths.entries()) {
    const file = resolve(path);
    const at = places[index] ? `${places[index]}: ` : "";
    if (!existsSync(file)) throw new VbenchError("plugin_missing", `${at}plugin file not found: ${path}`, { hint: "Check the --plugin path or the config's `plugins` list (relative to the config file)." });
    let mod: Record<string, unknown>;
    try {
      mod = await import(file);
    } catch (error) {
      throw new VbenchError("plugin_broken", `${at}cannot load plugin ${path}: ${errorMessage(error)}`, {
        hint: 'A plugin may import only "vbench/plugin" and Node/Bun built-ins; bundle anything else into the file.',
        cause: error,
      });
    }
    const exported = mod.default ?? mod.plugin;
    const plugins = Array.isArray(exported) ? exported : [exported];
    for (const plugin of plugins) {
      const problem = shapeProblem(plugin);
      if (problem) throw new VbenchError("plugin_invalid", `${at}plugin ${path}: ${problem}`, { hint: "See docs/plugins.md (writing a plugin)." });
      registry.register(plugin as Plugin, file);
    }
  }
}
