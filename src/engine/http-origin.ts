/**
 * Where requests go (scheme, host, port) and the messages that name it when
 * a connection fails; requests serialised once, before the clock starts.
 */
import { fileLimitText, type FileUse } from "../base/open-files.ts";

export interface Origin {
  hostname: string;
  port: number;
  tls: boolean;
  /** `host:port` for the Host header and pool key. */
  authority: string;
}

export function parseOrigin(baseUrl: string): Origin {
  const url = new URL(baseUrl);
  const tls = url.protocol === "https:";
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port, tls, authority: url.host };
}

/** Serialise a request once, before the clock starts. */
export function encodeRequest(origin: Origin, method: string, path: string, headers: Record<string, string>, body: string | null): Uint8Array {
  const bodyBytes = body === null ? null : new TextEncoder().encode(body);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${origin.authority}\r\nConnection: keep-alive\r\nAccept: */*\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (bodyBytes) head += `Content-Length: ${bodyBytes.byteLength}\r\n`;
  head += "\r\n";
  const headBytes = new TextEncoder().encode(head);
  if (!bodyBytes) return headBytes;
  const out = new Uint8Array(headBytes.byteLength + bodyBytes.byteLength);
  out.set(headBytes, 0);
  out.set(bodyBytes, headBytes.byteLength);
  return out;
}

export function originText(origin: Origin): string {
  return `${origin.tls ? "https" : "http"}://${origin.authority}`;
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: string })?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** `files`: the process was at its open-file limit when the connect failed (src/base/open-files.ts). */
export function connectMessage(origin: Origin, error: unknown, files?: FileUse): string {
  const code = errorCode(error);
  const refusedByLimit = files !== undefined && (code === "ECONNREFUSED" || code === "EMFILE" || code === "ENFILE");
  return `cannot connect to ${originText(origin)}: ${code}${refusedByLimit ? ` ${fileLimitText(files)}` : ""}`;
}

/** A failed TLS handshake, with what to do: the runtime trusts the system's CAs plus NODE_EXTRA_CA_CERTS. */
export function tlsMessage(origin: Origin, error: Error): string {
  const code = (error as { code?: string }).code;
  const what = code && code !== error.message ? `${error.message} (${code})` : error.message;
  return `cannot connect to ${originText(origin)}: TLS handshake failed: ${what}; a private CA or self-signed certificate is trusted with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
}
