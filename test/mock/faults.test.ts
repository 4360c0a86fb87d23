import { describe, expect, test } from "bun:test";
import { VbenchError } from "../../src/base/errors.ts";
import { faultFor, formatFault, parseFault, selects } from "../../src/mock/faults.ts";
import { startMockServer, type MockServer } from "../../src/mock/server.ts";
import { dechunk, post, rawPost, splitSse } from "./helpers.ts";

const CHAT = { messages: [{ role: "user", content: "hi" }], max_tokens: 5, stream: true, stream_options: { include_usage: true } };
const TGI = { inputs: "hi", parameters: { max_new_tokens: 5 } };
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function withServer(faults: string[], fn: (s: MockServer) => Promise<void>, extra = {}): Promise<void> {
  const s = await startMockServer({ ttftMs: 1, itlMs: 1, faults: faults.map(parseFault), ...extra });
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

describe("fault specs", () => {
  test("parse, format and select", () => {
    expect(parseFault("status=503@every:3")).toEqual({ kind: "status", value: 503, select: { type: "every", n: 3 } });
    expect(parseFault("status=429:{\"a\":\"x@y\"}@at:1,4")).toEqual({
      kind: "status",
      value: 429,
      body: '{"a":"x@y"}',
      select: { type: "at", indices: [1, 4] },
    });
    expect(parseFault("hang@from:2")).toEqual({ kind: "hang", select: { type: "from", index: 2 } });
    for (const spec of ["cut=3@all", "status=429:{\"a\":1}@at:0,2", "bad-utf8@every:2", "slow-headers=50@from:1"])
      expect(formatFault(parseFault(spec))).toBe(spec);
    const every3 = parseFault("cut@every:3").select;
    expect([0, 1, 2, 3, 4, 5].filter((i) => selects(every3, i))).toEqual([2, 5]);
    const faults = [parseFault("hang@at:1"), parseFault("cut@from:1")];
    expect([0, 1, 2].map((i) => faultFor(faults, i)?.kind)).toEqual([undefined, "hang", "cut"]);
    for (const bad of ["cut=3", "nope@all", "cut=x@all", "cut@every:0", "status=99@all", "cut@sometimes"])
      expect(() => parseFault(bad)).toThrow(VbenchError);
  });
});

describe("faults on the wire", () => {
  test("status: every Nth request gets the status and an API-shaped body", async () => {
    await withServer(["status=503@every:2", "status=429:{\"custom\":true}@at:2"], async (s) => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(`${s.url}/v1/chat/completions`, CHAT)).status);
      expect(statuses).toEqual([200, 503, 429, 503]);
      const r = await post(`${s.url}/v1/completions`, { prompt: "x" });
      expect(r.status).toBe(200);
      const openai = await post(`${s.url}/v1/completions`, { prompt: "x" });
      expect(await openai.json()).toEqual({ error: { message: "Mock fault: HTTP 503", type: "ServiceUnavailableError", code: 503 } });
      await post(`${s.url}/generate`, TGI);
      const tgi = await post(`${s.url}/generate`, TGI);
      expect(tgi.status).toBe(503);
      expect(await tgi.json()).toEqual({ error: "Mock fault: HTTP 503", error_type: "overloaded" });
      expect(s.truth().map((t) => t.fault)).toEqual(["", "status", "status", "status", "", "status", "", "status"]);
    });
  });

  test("custom status body is sent verbatim", async () => {
    await withServer(['status=429:{"custom":true}@all'], async (s) => {
      const r = await post(`${s.url}/v1/chat/completions`, CHAT);
      expect(r.status).toBe(429);
      expect(await r.text()).toBe('{"custom":true}');
    });
  });

  test("cut: K tokens, then the socket closes without the chunked terminator", async () => {
    await withServer(["cut=2@at:0", "cut=99@at:1", "cut=0@at:2"], async (s) => {
      const raw = await rawPost(s.port, "/v1/chat/completions", CHAT);
      expect(raw.closedByServer).toBe(true);
      expect(raw.endedCleanly).toBe(false);
      const { status, body } = dechunk(raw.bytes);
      expect(status).toBe(200);
      const payloads = splitSse(text(body));
      expect(payloads.length).toBe(3); // role + 2 tokens
      expect(text(body)).not.toContain("[DONE]");
      expect(s.truth()[0]).toMatchObject({ fault: "cut", outputTokens: 2, status: 200 });
      expect(s.truth()[0].doneAtMs).not.toBeNull();
      // K >= the output length: every token, but no usage chunk and no [DONE].
      const all = await rawPost(s.port, "/v1/chat/completions", CHAT);
      expect(all.closedByServer).toBe(true);
      const p2 = splitSse(text(dechunk(all.bytes).body));
      expect(p2.length).toBe(6);
      expect(p2.some((p) => p.includes("usage") || p.includes("[DONE]"))).toBe(false);
      // K = 0: headers, then the socket drops before any event.
      const none = await rawPost(s.port, "/generate_stream", TGI);
      expect(none.closedByServer).toBe(true);
      expect(dechunk(none.bytes)).toEqual({ status: 200, body: new Uint8Array() });
    });
  });

  test("cut on a non-streaming request sends half the body, then closes", async () => {
    await withServer(["cut@all"], async (s) => {
      const raw = await rawPost(s.port, "/v1/completions", { prompt: "x", max_tokens: 4 });
      expect(raw.closedByServer).toBe(true);
      const { status, body } = dechunk(raw.bytes);
      expect(status).toBe(200);
      expect(() => JSON.parse(text(body))).toThrow();
      expect(text(body).startsWith('{"id":')).toBe(true);
    });
  });

  test("malformed: one cut-off JSON event, then the stream goes on to [DONE]", async () => {
    await withServer(["malformed=1@all"], async (s) => {
      const payloads = splitSse(await (await post(`${s.url}/v1/chat/completions`, CHAT)).text());
      const bad = payloads.filter((p) => {
        try {
          JSON.parse(p === " [DONE]" ? "0" : p);
          return false;
        } catch {
          return true;
        }
      });
      expect(bad.length).toBe(1);
      expect(payloads.indexOf(bad[0])).toBe(2); // after the role delta and 1 token
      expect(payloads.at(-1)).toBe(" [DONE]");
      expect(JSON.parse(payloads.at(-2)!).usage.completion_tokens).toBe(5);
    });
  });

  test("error-event: OpenAI error object then [DONE]; TGI error event then close", async () => {
    await withServer(["error-event=2@all"], async (s) => {
      const r = await post(`${s.url}/v1/chat/completions`, CHAT);
      expect(r.status).toBe(200);
      const payloads = splitSse(await r.text());
      expect(payloads.length).toBe(1 + 2 + 2);
      expect(JSON.parse(payloads[3])).toEqual({ error: { message: "Mock fault: generation failed", type: "InternalServerError", code: 500 } });
      expect(payloads[4]).toBe(" [DONE]");

      const raw = await rawPost(s.port, "/generate_stream", TGI);
      expect(raw.endedCleanly).toBe(true);
      const tgi = splitSse(text(dechunk(raw.bytes).body));
      expect(tgi.length).toBe(3);
      expect(tgi[2]).toBe('{"error":"Mock fault: generation failed","error_type":"overloaded"}');
      expect(s.truth()[1].outputTokens).toBe(2);
    });
  });

  test("hang: the request is accepted and never answered", async () => {
    await withServer(["hang@at:0"], async (s) => {
      const raw = await rawPost(s.port, "/v1/chat/completions", CHAT, 300);
      expect(raw.timedOut).toBe(true);
      expect(raw.bytes.length).toBe(0);
      // The next request is served normally.
      expect((await post(`${s.url}/v1/chat/completions`, CHAT)).status).toBe(200);
      expect(s.truth()[0]).toMatchObject({ fault: "hang", status: 0, doneAtMs: null, startedAtMs: null });
    });
  });

  test("slow-headers: headers and the TTFT clock start after the delay", async () => {
    await withServer(["slow-headers=150@all"], async (s) => {
      const t0 = performance.now();
      const r = await post(`${s.url}/v1/chat/completions`, CHAT);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(149);
      await r.text();
      const t = s.truth()[0];
      expect(t.startedAtMs! - t.receivedAtMs).toBeGreaterThanOrEqual(149);
    });
  });

  test("huge-event: one event larger than 1 MiB, still valid JSON", async () => {
    await withServer(["huge-event@all"], async (s) => {
      const payloads = splitSse(await (await post(`${s.url}/v1/chat/completions`, CHAT)).text());
      const big = payloads.filter((p) => p.length > 1024 * 1024);
      expect(big.length).toBe(1);
      expect(JSON.parse(big[0]).choices[0].delta.content.length).toBeGreaterThan(1024 * 1024);
      expect(JSON.parse(payloads.at(-2)!).usage.completion_tokens).toBe(5);
    });
  });

  test("bad-utf8: invalid bytes inside a token's text", async () => {
    await withServer(["bad-utf8@all"], async (s) => {
      for (const [path, body] of [["/v1/chat/completions", CHAT], ["/generate_stream", TGI]] as const) {
        const raw = await rawPost(s.port, path, body);
        expect(raw.endedCleanly).toBe(true);
        const b = dechunk(raw.bytes).body;
        const at = b.findIndex((x, i) => x === 0xff && b[i + 1] === 0xfe);
        expect(at).toBeGreaterThan(0);
        expect(() => new TextDecoder("utf-8", { fatal: true }).decode(b)).toThrow();
      }
    });
  });

  test("errorRate: a seeded, repeatable choice of HTTP 500s", async () => {
    const pattern = async (): Promise<number[]> => {
      const statuses: number[] = [];
      await withServer([], async (s) => {
        for (let i = 0; i < 30; i++) statuses.push((await post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 1 })).status);
        expect(s.truth().filter((t) => t.status === 500).every((t) => t.fault === "error-rate")).toBe(true);
      }, { errorRate: 0.5, seed: 7, ttftMs: 0, itlMs: 0 });
      return statuses;
    };
    const a = await pattern();
    expect(a.filter((x) => x === 500).length).toBeGreaterThan(0);
    expect(a.filter((x) => x === 200).length).toBeGreaterThan(0);
    expect(await pattern()).toEqual(a);
  });

  test("die-after: request N+1 triggers the die hook and gets no answer", async () => {
    let died = 0;
    const s = await startMockServer({ ttftMs: 0, itlMs: 0, dieAfter: 2 }, { onDie: () => died++ });
    try {
      expect((await post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 1 })).status).toBe(200);
      expect((await post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 1 })).status).toBe(200);
      expect(died).toBe(0);
      const raw = await rawPost(s.port, "/v1/completions", { prompt: "x" }, 300);
      expect(died).toBe(1);
      expect(raw.bytes.length).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
