/**
 * A small block-style YAML writer for the Kubernetes manifests vbench prints
 * (plain objects, arrays, strings, numbers, booleans, null). Strings are
 * written as JSON strings, which YAML reads as double-quoted scalars, so no
 * string can turn into a number, a boolean or a comment; multi-line text (the
 * scenario file in a ConfigMap) is written as a literal block when that
 * keeps it byte for byte.
 */

const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function scalar(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`YAML writer: ${v} has no manifest form`);
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v) && v.length === 0) return "[]";
  if (typeof v === "object" && Object.keys(v as object).length === 0) return "{}";
  throw new Error("YAML writer: not a scalar");
}

function isBlock(v: unknown): boolean {
  return typeof v === "object" && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

/**
 * The literal-block header that reproduces `s` exactly ("|" keeps one final newline, "|-" none), or
 * null when a literal block cannot: several final newlines, carriage returns, or a first line
 * starting with white space (it would be taken as the block's indentation).
 */
function literalHeader(s: string): string | null {
  if (!s.includes("\n") || s.includes("\r") || /^[ \t]/.test(s) || /\n\n$/.test(s)) return null;
  if (s.split("\n").some((line) => line.startsWith("\t"))) return null;
  return s.endsWith("\n") ? "|" : "|-";
}

function render(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isBlock(item)) {
        out.push(`${indent}- ${scalar(item)}`);
        continue;
      }
      const start = out.length;
      render(item, `${indent}  `, out);
      out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
    }
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (isBlock(v)) {
      out.push(`${indent}${key(k)}:`);
      render(v, `${indent}  `, out);
      continue;
    }
    const header = typeof v === "string" ? literalHeader(v) : null;
    if (header === null) {
      out.push(`${indent}${key(k)}: ${scalar(v)}`);
      continue;
    }
    out.push(`${indent}${key(k)}: ${header}`);
    const text = v as string;
    for (const line of (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n")) out.push(line === "" ? "" : `${indent}  ${line}`);
  }
}

/** One YAML document (no leading `---`), ending with a newline. */
export function toYaml(doc: Record<string, unknown>): string {
  const out: string[] = [];
  render(doc, "", out);
  return out.join("\n") + "\n";
}

/** Several documents as one YAML stream, as `kubectl apply -f` takes them. */
export function toYamlStream(docs: Record<string, unknown>[]): string {
  return docs.map((d) => `---\n${toYaml(d)}`).join("");
}
