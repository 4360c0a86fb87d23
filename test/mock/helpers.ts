/** Test helpers for the simulator: hand-rolled SSE splitting and raw-socket requests. */
import { expect } from "bun:test";
import net from "node:net";

export interface SseEvent {
  /** The text after `data:`, exactly as sent (a leading space kept). */
  raw: string;
}

/** Split an SSE body into `data:` payloads by hand (`\n\n` separated, one data line each). */
export function splitSse(body: string): string[] {
  expect(body.endsWith("\n\n")).toBe(true);
  return body
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      expect(event.startsWith("data:")).toBe(true);
      expect(event.includes("\n")).toBe(false);
      return event.slice("data:".length);
    });
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
}

export interface RawResponse {
  /** Everything received, as bytes. */
  bytes: Uint8Array;
  /** True when the response ended with the chunked terminator `0\r\n\r\n` (the server ended it properly). */
  endedCleanly: boolean;
  /** True when the server closed the socket. */
  closedByServer: boolean;
  /** True when we gave up waiting (nothing more within waitMs). */
  timedOut: boolean;
}

/** POST over a raw socket, read until the chunked terminator, a close, or waitMs of nothing. */
export function rawPost(port: number, path: string, body: unknown, waitMs = 2000): Promise<RawResponse> {
  const json = JSON.stringify(body);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (r: Omit<RawResponse, "bytes">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: new Uint8Array(Buffer.concat(chunks)), ...r });
    };
    let timer = setTimeout(() => done({ endedCleanly: false, closedByServer: false, timedOut: true }), waitMs);
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
      );
    });
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      clearTimeout(timer);
      timer = setTimeout(() => done({ endedCleanly: false, closedByServer: false, timedOut: true }), waitMs);
      const all = Buffer.concat(chunks);
      const head = all.indexOf("\r\n\r\n");
      const chunked = head >= 0 && /transfer-encoding: chunked/i.test(all.subarray(0, head).toString("latin1"));
      if (chunked && all.subarray(-5).toString("latin1") === "0\r\n\r\n") done({ endedCleanly: true, closedByServer: false, timedOut: false });
      if (!chunked && head >= 0) {
        const m = /content-length: (\d+)/i.exec(all.subarray(0, head).toString("latin1"));
        if (m && all.length - head - 4 >= Number(m[1])) done({ endedCleanly: true, closedByServer: false, timedOut: false });
      }
    });
    socket.on("close", () => done({ endedCleanly: false, closedByServer: true, timedOut: false }));
    socket.on("error", () => {});
  });
}

/** The body of a chunked HTTP response with the chunk framing removed (tolerates a missing terminator). */
export function dechunk(bytes: Uint8Array): { status: number; body: Uint8Array } {
  const buf = Buffer.from(bytes);
  const head = buf.indexOf("\r\n\r\n");
  const status = Number(buf.subarray(0, head).toString("latin1").split(" ")[1]);
  const parts: Buffer[] = [];
  let i = head + 4;
  while (i < buf.length) {
    const eol = buf.indexOf("\r\n", i);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(i, eol).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(buf.subarray(eol + 2, Math.min(buf.length, eol + 2 + size)));
    i = eol + 2 + size + 2;
  }
  return { status, body: new Uint8Array(Buffer.concat(parts)) };
}

