/**
 * Entry of a dispatch thread (src/engine/dispatcher.ts), a second entry point
 * of the compiled binary (build.ts). It loads the built-in backends only.
 */
import { builtinBackends } from "../plugins/backends.ts";
import { serveDispatcher, type ToDispatcher } from "./engine/dispatcher.ts";

declare const self: Worker;
const onMessage = serveDispatcher(
  (name) => builtinBackends.find((backend) => backend.name === name),
  (message) => self.postMessage(message),
);
self.onmessage = (event: MessageEvent) => onMessage(event.data as ToDispatcher);
