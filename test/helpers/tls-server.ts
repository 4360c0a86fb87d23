/**
 * An OpenAI-compatible chat server over TLS on 127.0.0.1 with a self-signed
 * certificate made for the test (openssl): `/v1/models` and streaming
 * `/v1/chat/completions` (a role chunk, `max_tokens` content chunks 2 ms
 * apart, a usage chunk, `[DONE]`), for the https path of vbench's client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsServer {
  url: string;
  /** The self-signed certificate (PEM): what a client must trust. */
  certPath: string;
  /** Streaming requests received. */
  streams: number;
  stop(): void;
}

export function startTlsServer(): TlsServer {
  const dir = mkdtempSync(join(tmpdir(), "vbench-tls-"));
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", keyPath, "-out", certPath], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const state = { streams: 0 };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: Bun.file(certPath), key: Bun.file(keyPath) },
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "tls-model", object: "model" }] });
      if (path !== "/v1/chat/completions") return new Response("not found", { status: 404 });
      const body = (await req.json()) as { max_tokens?: number; max_completion_tokens?: number };
      const n = body.max_completion_tokens ?? body.max_tokens ?? 4;
      state.streams++;
      const stream = new ReadableStream({
        async pull(controller) {
          const enc = new TextEncoder();
          controller.enqueue(enc.encode(chunk({ choices: [{ index: 0, delta: { role: "assistant" } }] })));
          for (let i = 0; i < n; i++) {
            await Bun.sleep(2);
            controller.enqueue(enc.encode(chunk({ choices: [{ index: 0, delta: { content: ` t${i}` }, finish_reason: i === n - 1 ? "length" : null }] })));
          }
          controller.enqueue(enc.encode(chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: n, total_tokens: n + 5 } }) + "data: [DONE]\n\n"));
          controller.close();
        },
      });
      return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
    },
  });
  return {
    url: `https://127.0.0.1:${server.port}`,
    certPath,
    get streams() {
      return state.streams;
    },
    stop() {
      server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
