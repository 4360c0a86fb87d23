/** A plugin registry holding vbench's built-in plugins, as `vbench run` starts with. */
import { Registry } from "../../src/plugin-host/registry.ts";
import { builtinPlugins } from "../../plugins/index.ts";

export function builtinRegistry(): Registry {
  const registry = new Registry();
  for (const plugin of builtinPlugins) registry.register(plugin);
  return registry;
}
