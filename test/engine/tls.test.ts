/**
 * The https path of vbench's client against a TLS server on 127.0.0.1 with a
 * self-signed certificate made for the test: certificates are verified (an
 * untrusted one fails the request as `connect` and says how to trust it), and
 * with the certificate trusted through NODE_EXTRA_CA_CERTS (read when the
 * process starts, so in a child process) streamed requests give full records
 * over one kept-alive TLS connection.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HttpClient } from "../../src/engine/http.ts";
import { parseRecordLine } from "../../src/results/record-line.ts";
import { timedChat } from "../helpers/timed-client.ts";
import { startTlsServer, type TlsServer } from "../helpers/tls-server.ts";

let server: TlsServer;
beforeAll(() => {
  server = startTlsServer();
});
afterAll(() => server.stop());

describe("https", () => {
  test("a certificate the process does not trust: `connect`, naming the TLS failure and NODE_EXTRA_CA_CERTS; nothing reaches the server", async () => {
    const client = new HttpClient();
    const record = await timedChat(client, server.url, 0, performance.now());
    client.closeAll();
    expect(record.success).toBe(false);
    expect(record.error?.category).toBe("connect");
    expect(record.error?.message).toBe(`cannot connect to ${server.url}: TLS handshake failed: self signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); a private CA or self-signed certificate is trusted with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`);
    expect(server.streams).toBe(0);
  });

  test("trusted with NODE_EXTRA_CA_CERTS: three streamed requests, every token stamped, one TLS connection kept alive", async () => {
    const before = server.streams;
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../helpers/timed-client.ts"), server.url, "3"], {
      env: { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: server.certPath },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code, err).toBe(0);
    const lines = out.trim().split("\n");
    const records = lines.slice(0, -1).map((line) => parseRecordLine(line)!.record);
    expect(records.map((r) => [r.requestId, r.success, r.error?.message])).toEqual([
      ["r-0", true, undefined],
      ["r-1", true, undefined],
      ["r-2", true, undefined],
    ]);
    for (const r of records) {
      // The role chunk (no text) and the 4 tokens, each stamped after the send, in order (events of one read share its time).
      expect(r.chunkAtMs.length).toBe(5);
      expect(r.noTextChunks).toEqual([0]);
      expect(r.chunkAtMs[0]!).toBeGreaterThan(r.sentAtMs);
      for (let k = 1; k < 5; k++) expect(r.chunkAtMs[k]!).toBeGreaterThanOrEqual(r.chunkAtMs[k - 1]!);
      expect(r).toMatchObject({ outputTokens: 4, outputTokenSource: "server", serverInputTokens: 5, finishReason: "length" });
    }
    expect(JSON.parse(lines.at(-1)!)).toEqual({ stats: { opened: 1, reused: 2, expired: 0, resent: 0 } });
    expect(server.streams - before).toBe(3);
  });
});
