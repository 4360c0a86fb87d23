/**
 * One request's bytes: the backend builds the body, the core serialises it
 * once with every header. Only the request id is spliced in at dispatch
 * (src/engine/request.ts). Runs wherever requests are built: the request
 * producer's thread (./request-producer.ts), or the main thread for the
 * initial test request, warmups and multi-turn sessions.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { WorkloadItem } from "../base/request-types.ts";
import type { Origin } from "./http.ts";
import type { PreparedRequest } from "./request.ts";

const encoder = new TextEncoder();

/** Headers every request carries: JSON, the bearer token, the scenario's and the backend's own. */
export function requestHeaders(scenario: ResolvedScenario, backend: BackendPlugin, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": "vbench" };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  Object.assign(headers, backend.headers?.() ?? {}, scenario.headers);
  return headers;
}

export function prepareRequest(
  origin: Origin,
  scenario: ResolvedScenario,
  backend: BackendPlugin,
  headers: Record<string, string>,
  item: WorkloadItem,
  ignoreEos: boolean,
): PreparedRequest {
  const body = JSON.stringify(
    backend.buildBody({ item, model: scenario.servedModel, ignoreEos, sampling: scenario.sampling, extraBody: scenario.extraBody }),
  );
  const bodyBytes = encoder.encode(body);
  let head = `POST ${scenario.endpointPath} HTTP/1.1\r\nHost: ${origin.authority}\r\nConnection: keep-alive\r\nAccept: */*\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) continue; // never let a header value split the request
    head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${bodyBytes.byteLength}\r\nx-request-id: `;
  const tailHead = encoder.encode("\r\n\r\n");
  const tail = new Uint8Array(tailHead.byteLength + bodyBytes.byteLength);
  tail.set(tailHead, 0);
  tail.set(bodyBytes, tailHead.byteLength);
  return { head: encoder.encode(head), tail, inputTokens: item.inputTokens, requestedOutputTokens: item.outputTokens };
}
