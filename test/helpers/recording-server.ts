/**
 * A minimal OpenAI-compatible chat server that records every request body
 * it receives, in arrival order: the witness for "same seed → byte-identical
 * request sequence". It streams a real SSE answer (role delta, one content
 * chunk per requested token, usage, [DONE]) so runs succeed.
 */
import { createServer } from "node:http";

export interface RecordingServer {
  url: string;
  bodies: string[];
  /** The x-request-id of each body, in the same order. */
  ids: string[];
  stop(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const bodies: string[] = [];
  const ids: string[] = [];
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "recorder", object: "model" }] }));
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      ids.push(String(req.headers["x-request-id"] ?? ""));
      const parsed = JSON.parse(body) as { max_completion_tokens?: number };
      const n = parsed.max_completion_tokens ?? 1;
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant" } }] })}\n\n`);
      for (let i = 0; i < n; i++) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: " w" } }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: n, total_tokens: n + 1 } })}\n\n`);
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    ids,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
