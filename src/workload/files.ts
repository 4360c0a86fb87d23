/**
 * Streaming readers for dataset files: JSONL line by line, and a dataset
 * file's existence check with a useful error. Files are never loaded whole:
 * datasets can be hundreds of megabytes.
 */
import { stat } from "node:fs/promises";
import { VbenchError, errorMessage } from "../base/errors.ts";

/** Throws `dataset_unreadable` unless `path` is a readable regular file. */
export async function checkDatasetFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch((e: unknown) => e as Error);
  if (info instanceof Error || !info.isFile()) {
    const why = info instanceof Error ? errorMessage(info) : "not a regular file";
    throw new VbenchError("dataset_unreadable", `Cannot read the ${what} dataset file ${path}: ${why}`, {
      hint: "Set dataset_path to an existing file (relative paths are resolved from the working directory).",
    });
  }
}

/** Decoded text of a file, chunk by chunk (UTF-8 sequences split across reads are handled). */
export async function* readTextChunks(path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const bytes of Bun.file(path).stream()) {
    const text = decoder.decode(bytes, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

export interface Line {
  text: string;
  /** 1-based, as editors count. */
  lineNo: number;
}

/** Lines of a text file without their `\n` / `\r\n`, blank lines included. */
export function readLines(path: string): AsyncGenerator<Line> {
  return splitLines(readTextChunks(path));
}

/** Lines of text arriving in arbitrary chunks. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  let carry = "";
  let lineNo = 0;
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { text: text.slice(start, end), lineNo: ++lineNo };
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  if (carry.length > 0) yield { text: carry.endsWith("\r") ? carry.slice(0, -1) : carry, lineNo: ++lineNo };
}

/**
 * Parsed JSON objects of a JSONL file, skipping blank lines. A line that is
 * not a JSON object is a `dataset_malformed` error naming file and line.
 */
export async function* readJsonl(path: string): AsyncGenerator<{ value: Record<string, unknown>; lineNo: number }> {
  for await (const { text, lineNo } of readLines(path)) {
    if (text.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw malformed(path, lineNo, `not valid JSON (${errorMessage(e)})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw malformed(path, lineNo, "expected a JSON object");
    }
    yield { value: value as Record<string, unknown>, lineNo };
  }
}

export function malformed(path: string, lineNo: number, why: string): VbenchError {
  return new VbenchError("dataset_malformed", `${path} line ${lineNo}: ${why}`, {
    hint: "Each line must be one JSON object; fix or remove the line.",
  });
}
