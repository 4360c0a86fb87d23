/**
 * Connections a server closes while idle (llama-server: `Keep-Alive:
 * timeout=5`, closed after 5 s): the client must not reuse one the server is
 * about to close or has closed, so no request meets a closed socket (and no
 * request is sent twice). Against the simulator's keep-alive mode over
 * 127.0.0.1, with a 1 s limit.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HttpClient, encodeRequest, keepAliveMarginMs, parseOrigin, type ResponseSink } from "../../src/engine/http.ts";
import { keepAliveTimeoutMs } from "../../src/wire/http-head.ts";
import { spawnMockProcess, type SpawnedMock } from "../../src/mock/spawn.ts";

/** The simulator in its own process (from source), so it closes on time while this thread is blocked. */
const SOURCE_CLI = [process.execPath, join(import.meta.dir, "../../src/cli.ts")];

describe("the Keep-Alive header", () => {
  test("timeout in ms; Infinity when not announced", () => {
    expect(keepAliveTimeoutMs("timeout=5, max=100")).toBe(5000);
    expect(keepAliveTimeoutMs("max=100, timeout=1")).toBe(1000);
    expect(keepAliveTimeoutMs("Timeout = 2.5")).toBe(2500);
    expect(keepAliveTimeoutMs("max=100")).toBe(Infinity);
    expect(keepAliveTimeoutMs(undefined)).toBe(Infinity);
  });

  test("the margin: 1 s of llama-server's 5 s, a quarter of shorter limits", () => {
    expect(keepAliveMarginMs(5000)).toBe(1000);
    expect(keepAliveMarginMs(1000)).toBe(250);
  });
});

describe("against the simulator closing connections idle for 1 s", () => {
  let mock: SpawnedMock;
  beforeAll(async () => {
    mock = await spawnMockProcess(SOURCE_CLI, { keepAliveTimeoutS: 1, ttftMs: 2, itlMs: 1 });
  });
  afterAll(() => mock.stop());
  const received = async () => ((await (await fetch(`${mock.url}/_truth/summary`)).json()) as { requestsReceived: number }).requestsReceived;

  const body = JSON.stringify({ model: "vbench-mock", messages: [{ role: "user", content: "hi" }], max_tokens: 3, stream: true });
  function chat(client: HttpClient): Promise<{ status: number; end: string }> {
    const origin = parseOrigin(mock.url);
    const payload = encodeRequest(origin, "POST", "/v1/chat/completions", { "Content-Type": "application/json" }, body);
    return new Promise((resolve) => {
      let status = 0;
      const sink: ResponseSink = {
        onHead: (s) => {
          status = s;
        },
        onBody: () => {},
        onEnd: () => resolve({ status, end: "end" }),
        onFail: (kind, message) => resolve({ status, end: `${kind}: ${message}` }),
      };
      client.send(origin, payload, sink);
    });
  }

  test("the simulator announces its limit; within it the connection is reused", async () => {
    const client = new HttpClient();
    const first = await chat(client);
    expect(first).toEqual({ status: 200, end: "end" });
    // The pooled connection carries the limit its response announced (Keep-Alive: timeout=1).
    const pooled = (client as unknown as { idle: Map<string, { data: { keepAliveTimeoutMs: number } }[]> }).idle.get(parseOrigin(mock.url).authority);
    expect(pooled?.map((socket) => socket.data.keepAliveTimeoutMs)).toEqual([1000]);
    await Bun.sleep(200);
    expect((await chat(client)).end).toBe("end");
    expect(client.stats).toEqual({ opened: 1, reused: 1, expired: 0, resent: 0 });
    client.closeAll();
  });

  test("a pause longer than the limit: the server's close takes the connection out of the pool, the next request opens a new one", async () => {
    const client = new HttpClient();
    await chat(client);
    await Bun.sleep(1300);
    expect((await chat(client)).end).toBe("end");
    expect(client.stats).toEqual({ opened: 2, reused: 0, expired: 1, resent: 0 });
    client.closeAll();
  });

  test("a client too busy to see the close (event loop blocked past the limit): the connection is not reused, nothing is re-sent", async () => {
    const client = new HttpClient();
    const before = await received();
    await chat(client);
    // The server closes the connection at 1 s, but the close cannot be handled before the next send.
    Bun.sleepSync(1300);
    expect((await chat(client)).end).toBe("end");
    expect(client.stats).toEqual({ opened: 2, reused: 0, expired: 1, resent: 0 });
    expect((await received()) - before).toBe(2);
    client.closeAll();
  });

  test("past the limit minus the margin (idle 0.85 s of 1 s) the connection is not reused either", async () => {
    const client = new HttpClient();
    await chat(client);
    Bun.sleepSync(850);
    expect((await chat(client)).end).toBe("end");
    expect(client.stats).toEqual({ opened: 2, reused: 0, expired: 1, resent: 0 });
    client.closeAll();
  });
});
