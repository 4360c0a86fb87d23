/**
 * `vbench run` against an https server on 127.0.0.1 with a self-signed
 * certificate, through the compiled binary: untrusted, the run stops before
 * traffic and says how to trust the certificate; trusted with
 * NODE_EXTRA_CA_CERTS, every streamed request succeeds over TLS.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTlsServer, type TlsServer } from "../helpers/tls-server.ts";
import { tempDir, vbench, writeConfig } from "../helpers/vbench.ts";

let server: TlsServer;
beforeAll(() => {
  server = startTlsServer();
});
afterAll(() => server.stop());

const scenario = { name: "tls", backend: "openai-chat", num_prompts: 3, max_concurrency: 2, random_input_len: 8, random_output_len: 4 };

test("an untrusted certificate stops the run before traffic (exit 3) with the TLS error and NODE_EXTRA_CA_CERTS in the hint", async () => {
  const dir = tempDir("vbench-tls-");
  const config = await writeConfig(dir, [scenario], { exporters: ["json"] });
  const r = await vbench(["run", "--config", config, "--base-url", server.url, "--output-dir", join(dir, "out")]);
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toContain(`cannot reach the server: GET ${server.url}/v1/models failed (DEPTH_ZERO_SELF_SIGNED_CERT)`);
  expect(r.stderr).toContain("The server's TLS certificate is not trusted: start vbench with NODE_EXTRA_CA_CERTS=/path/to/ca.pem");
  expect(server.streams).toBe(0);
}, 60_000);

test("trusted with NODE_EXTRA_CA_CERTS: every request streamed over TLS and recorded", async () => {
  const dir = tempDir("vbench-tls-");
  const out = join(dir, "out");
  const config = await writeConfig(dir, [scenario], { exporters: ["json"] });
  const r = await vbench(["run", "--config", config, "--base-url", server.url, "--output-dir", out], { env: { NODE_EXTRA_CA_CERTS: server.certPath } });
  expect(r.code, r.stderr).toBe(0);
  const files = readdirSync(out, { recursive: true }) as string[];
  const doc = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith("benchmark_results.json"))!), "utf8"));
  expect(doc).toMatchObject({ completed: 3, failed: 0, total_output_tokens: 12 });
  const lines = readFileSync(join(out, files.find((f) => f.endsWith("requests.jsonl"))!), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.success, l.chunk_ms.length, l.finish_reason])).toEqual([
    [true, 5, "length"],
    [true, 5, "length"],
    [true, 5, "length"],
  ]);
  // The test request and the three of the run.
  expect(server.streams).toBe(4);
}, 60_000);
