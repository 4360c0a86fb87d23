/**
 * Plugin registry: identity `define*` helpers for authors, and lookup with
 * "available: ..." errors. Built-ins are registered by plugins/index.ts; files
 * given with --plugin are loaded by src/plugin-host/plugin-loader.ts.
 */
import type { BackendPlugin, ExporterPlugin, Plugin } from "../base/plugin-types.ts";
import { VbenchError } from "../base/errors.ts";

export function defineBackend(plugin: Omit<BackendPlugin, "kind">): BackendPlugin {
  return { kind: "backend", ...plugin };
}

export function defineExporter(plugin: Omit<ExporterPlugin, "kind">): ExporterPlugin {
  return { kind: "exporter", ...plugin };
}

export interface RegisteredPlugin {
  plugin: Plugin;
  /** "built-in" or the file it was loaded from. */
  origin: string;
}

export class Registry {
  private readonly backends = new Map<string, RegisteredPlugin>();
  private readonly exporters = new Map<string, RegisteredPlugin>();

  register(plugin: Plugin, origin = "built-in"): void {
    const table = plugin.kind === "backend" ? this.backends : this.exporters;
    const existing = table.get(plugin.name);
    if (existing && existing.origin !== origin) {
      throw new VbenchError("plugin_duplicate", `${plugin.kind} plugin "${plugin.name}" from ${origin} clashes with the one from ${existing.origin}`, {
        hint: "Give the plugin another name.",
      });
    }
    table.set(plugin.name, { plugin, origin });
  }

  backend(name: string): BackendPlugin {
    const entry = this.backends.get(name);
    if (!entry) {
      throw new VbenchError("unknown_backend", `unknown backend "${name}"`, {
        hint: `Available backends: ${this.backendNames().join(", ")}. Load others with --plugin FILE.`,
      });
    }
    return entry.plugin as BackendPlugin;
  }

  exporter(name: string): ExporterPlugin {
    const entry = this.exporters.get(name);
    if (!entry) {
      throw new VbenchError("unknown_exporter", `unknown exporter "${name}"`, {
        hint: `Available exporters: ${this.exporterNames().join(", ")}. Load others with --plugin FILE.`,
      });
    }
    return entry.plugin as ExporterPlugin;
  }

  /** The backend ships with vbench (not loaded from a file). */
  isBuiltInBackend(name: string): boolean {
    return this.backends.get(name)?.origin === "built-in";
  }

  /** The file a backend plugin was loaded from; null for a built-in (or unknown) one. */
  backendFile(name: string): string | null {
    const origin = this.backends.get(name)?.origin;
    return origin === undefined || origin === "built-in" ? null : origin;
  }

  hasBackend(name: string): boolean {
    return this.backends.has(name);
  }

  hasExporter(name: string): boolean {
    return this.exporters.has(name);
  }

  backendNames(): string[] {
    return [...this.backends.keys()];
  }

  exporterNames(): string[] {
    return [...this.exporters.keys()];
  }

  list(): RegisteredPlugin[] {
    return [...this.backends.values(), ...this.exporters.values()];
  }
}
