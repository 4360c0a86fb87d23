/**
 * Send streaming chat requests through vbench's own timed path (HttpClient,
 * sendTimed, TimedRequest with the openai-chat parser) and get their records,
 * as a run would. Run as a script it sends `count` requests one after another
 * to `url` and prints each record as its requests.jsonl line, then the
 * client's pool counters: for the TLS test, which needs a process started
 * with NODE_EXTRA_CA_CERTS.
 *
 *   bun test/helpers/timed-client.ts https://127.0.0.1:PORT 3
 */
import openaiChat from "../../plugins/backends/openai-chat.ts";
import { HttpClient, parseOrigin } from "../../src/engine/http.ts";
import { recordToJsonLine } from "../../src/results/record-log.ts";
import { sendTimed, TimedRequest, type PreparedRequest } from "../../src/engine/request.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";

const enc = new TextEncoder();

/** A streaming chat request for `maxTokens` tokens, split around its x-request-id like a prepared one. */
export function preparedChat(url: string, maxTokens: number): PreparedRequest {
  const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: maxTokens, stream: true });
  return {
    head: enc.encode(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${parseOrigin(url).authority}\r\nConnection: keep-alive\r\nx-request-id: `),
    tail: enc.encode(`\r\nContent-Type: application/json\r\nContent-Length: ${enc.encode(body).byteLength}\r\n\r\n${body}`),
    inputTokens: 1,
    requestedOutputTokens: maxTokens,
  };
}

/** Send request `index` (id `r-INDEX`) at once and resolve with its record; times relative to `t0`. */
export function timedChat(client: HttpClient, url: string, index: number, t0: number, maxTokens = 2): Promise<RequestRecord> {
  return new Promise((resolve) => {
    const dispatchedAtMs = performance.now() - t0;
    const request = new TimedRequest(index, `r-${index}`, preparedChat(url, maxTokens), openaiChat, t0, dispatchedAtMs, dispatchedAtMs, (_r, rec) => resolve(rec));
    sendTimed(client, parseOrigin(url), request, t0);
  });
}

if (import.meta.main) {
  const [url, count = "1"] = process.argv.slice(2);
  const client = new HttpClient();
  const t0 = performance.now();
  for (let i = 0; i < Number(count); i++) console.log(recordToJsonLine(await timedChat(client, url!, i, t0, 4)));
  console.log(JSON.stringify({ stats: client.stats }));
  client.closeAll();
}
