/**
 * Entry of the request producer's thread (src/engine/request-producer.ts), an
 * entry point of the compiled binary (build.ts). It builds bytes with the
 * built-in backends only; for a backend loaded from disk it sends items.
 */
import { builtinBackends } from "../plugins/backends.ts";
import { produce, type FromProducer, type ProducerInit } from "./engine/request-producer.ts";

declare const self: Worker;
const post = (message: FromProducer) => self.postMessage(message);
self.onmessage = (event: MessageEvent) => {
  const init = event.data as ProducerInit;
  produce(init, (name) => builtinBackends.find((backend) => backend.name === name), post).catch((error: unknown) =>
    post({ kind: "failed", message: error instanceof Error ? error.message : String(error) }),
  );
};
