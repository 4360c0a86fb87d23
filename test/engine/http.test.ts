import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import { HttpClient, encodeRequest, parseOrigin, type ResponseSink } from "../../src/engine/http.ts";

interface Outcome {
  status: number;
  body: string;
  end: "end" | "connect" | "truncated";
  message?: string;
}

function request(client: HttpClient, baseUrl: string, path: string, body: string | null = null): Promise<Outcome> {
  const origin = parseOrigin(baseUrl);
  const payload = encodeRequest(origin, body === null ? "GET" : "POST", path, { "Content-Type": "application/json" }, body);
  return new Promise((resolve) => {
    let status = 0;
    const parts: Uint8Array[] = [];
    const text = () => Buffer.concat(parts).toString("utf8");
    const sink: ResponseSink = {
      onHead: (s) => (status = s),
      onBody: (bytes, start, end) => parts.push(bytes.slice(start, end)),
      onEnd: () => resolve({ status, body: text(), end: "end" }),
      onFail: (kind, message) => resolve({ status, body: text(), end: kind, message }),
    };
    client.send(origin, payload, sink);
  });
}

let server: Server;
let base = "";
let connections = 0;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/chunked") {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      let i = 0;
      const timer = setInterval(() => {
        res.write(`data: {"n":${i}}\n\n`);
        if (++i === 5) {
          clearInterval(timer);
          res.end("data: [DONE]\n\n");
        }
      }, 2);
    } else if (url === "/fixed") {
      res.writeHead(200, { "Content-Length": "5" });
      res.end("hello");
    } else if (url === "/cut") {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("data: {\"n\":0}\n\n");
      setTimeout(() => res.socket?.destroy(), 5);
    } else if (url === "/slow") {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end("ok");
      }, 300);
    } else if (url === "/echo") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => res.end(body));
    } else {
      res.writeHead(404);
      res.end("nope");
    }
  });
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("HttpClient", () => {
  test("reads a chunked streaming body to its clean end", async () => {
    const client = new HttpClient();
    const out = await request(client, base, "/chunked");
    expect(out.end).toBe("end");
    expect(out.status).toBe(200);
    expect(out.body.split("\n\n").filter(Boolean)).toEqual([0, 1, 2, 3, 4].map((n) => `data: {"n":${n}}`).concat("data: [DONE]"));
    client.closeAll();
  });

  test("reads a Content-Length body and echoes a POST body", async () => {
    const client = new HttpClient();
    expect(await request(client, base, "/fixed")).toEqual({ status: 200, body: "hello", end: "end" });
    const payload = JSON.stringify({ text: "héllo ✓" });
    expect((await request(client, base, "/echo", payload)).body).toBe(payload);
    client.closeAll();
  });

  test("keeps connections alive and reuses them", async () => {
    const client = new HttpClient();
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await request(client, base, "/fixed")).body).toBe("hello");
    expect(connections - before).toBe(1);
    client.closeAll();
  });

  test("a connection cut mid-stream is truncated, keeping what arrived", async () => {
    const client = new HttpClient();
    const out = await request(client, base, "/cut");
    expect(out.end).toBe("truncated");
    expect(out.body).toBe('data: {"n":0}\n\n');
    client.closeAll();
  });

  test("a refused connection is a connect failure naming the address", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const out = await request(new HttpClient(), `http://127.0.0.1:${port}`, "/");
    expect(out.end).toBe("connect");
    expect(out.message).toContain(`127.0.0.1:${port}`);
  });

  test("600 concurrent requests are all in flight at the server at once (no client-side cap)", async () => {
    const client = new HttpClient();
    maxInFlight = 0;
    const outs = await Promise.all(Array.from({ length: 600 }, () => request(client, base, "/slow")));
    expect(outs.every((o) => o.body === "ok")).toBe(true);
    expect(maxInFlight).toBe(600);
    client.closeAll();
  });
});

describe("HttpClient connection reuse in a closed loop", () => {
  test("a request sent from onEnd reuses the connection that just finished", async () => {
    const client = new HttpClient();
    const origin = parseOrigin(base);
    const payload = encodeRequest(origin, "GET", "/fixed", {}, null);
    const before = connections;
    await new Promise<void>((resolve) => {
      let left = 5;
      const sink: ResponseSink = {
        onHead: () => {},
        onBody: () => {},
        onEnd: () => (--left === 0 ? resolve() : client.send(origin, payload, sink)),
        onFail: () => resolve(),
      };
      client.send(origin, payload, sink);
    });
    expect(connections - before).toBe(1);
    client.closeAll();
  });

  test("a body-less response (Content-Length: 0) completes and frees its connection", async () => {
    const client = new HttpClient();
    const empty = createServer((_req, res) => {
      res.writeHead(200, { "Content-Length": "0" });
      res.end();
    });
    let accepted = 0;
    empty.on("connection", () => accepted++);
    await new Promise<void>((r) => empty.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(empty.address() as { port: number }).port}`;
    for (let i = 0; i < 3; i++) expect(await request(client, url, "/")).toEqual({ status: 200, body: "", end: "end" });
    expect(accepted).toBe(1);
    client.closeAll();
    empty.closeAllConnections();
    empty.close();
  });
});
