/**
 * Secrets never reach logs, results, exports or error messages. Header
 * values are secret when the header's name says so; the bearer token from
 * OPENAI_API_KEY lives only in the request bytes.
 */

/** Header names whose values must never be written anywhere. */
export const SECRET_HEADER = /auth|key|token|secret|cookie|password|session/i;

export const REDACTED = "<redacted>";

export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADER.test(name) ? REDACTED : value;
  return out;
}

/** A URL without `user:password@` (the client never sends them, results must never show them). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}
