/**
 * Entry of an engine worker thread (src/engine/dispatcher.ts), a second
 * entry point of the compiled binary (build.ts). Built-in backends are
 * looked up; a plugin backend is loaded from its file, as the main thread
 * loaded it.
 */
import { builtinBackends } from "../plugins/backends.ts";
import { serveDispatcher, type DispatcherInit, type ToDispatcher } from "./engine/dispatcher.ts";
import { loadPluginFiles } from "./plugin-host/plugin-loader.ts";
import { Registry } from "./plugin-host/registry.ts";

declare const self: Worker;

async function loadBackend(backend: DispatcherInit["backend"]) {
  if (backend.file === null) return builtinBackends.find((b) => b.name === backend.name);
  const registry = new Registry();
  await loadPluginFiles([backend.file], registry);
  return registry.backend(backend.name);
}

const onMessage = serveDispatcher(loadBackend, (message) => self.postMessage(message));
self.onmessage = (event: MessageEvent) => onMessage(event.data as ToDispatcher);
