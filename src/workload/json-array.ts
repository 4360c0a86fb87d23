/**
 * Incremental reader of a file holding one JSON array of objects (the
 * ShareGPT layout): yields each element as it is completed, so a 600 MB file
 * is never one string or one parsed tree in memory.
 *
 * The scanner only tracks strings and bracket depth to find where each
 * element ends, then hands that slice to JSON.parse, which does the real
 * validation.
 */
import { VbenchError, errorMessage } from "../base/errors.ts";
import { readTextChunks } from "./files.ts";

const enum Phase {
  BeforeArray,
  ExpectElement,
  InElement,
  AfterElement,
  Done,
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * The phase after punctuation character `c` met outside an element (spaces
 * are skipped before); throws on anything out of place. `afterComma`: the
 * previous punctuation was the comma, so `]` would close an empty slot.
 */
function phaseAfter(phase: Phase, c: number, afterComma: boolean, index: number, fail: (why: string) => VbenchError): Phase {
  switch (phase) {
    case Phase.BeforeArray:
      if (c !== 91) throw fail("expected a JSON array ('[') at the start");
      return Phase.ExpectElement;
    case Phase.ExpectElement:
      if (c === 93 && !afterComma) return Phase.Done;
      if (c === 123 || c === 91) return Phase.InElement;
      throw fail(`element ${index}: expected an object, found '${String.fromCharCode(c)}'`);
    case Phase.AfterElement:
      if (c === 44) return Phase.ExpectElement;
      if (c !== 93) throw fail(`expected ',' or ']' after element ${index - 1}`);
      return Phase.Done;
    default:
      throw fail("unexpected data after the closing ']'");
  }
}

export function readJsonArray(path: string): AsyncGenerator<{ value: unknown; index: number }> {
  return parseJsonArray(readTextChunks(path), path);
}

/** Elements of the JSON array spread over `chunks`; `label` names the source in errors. */
export async function* parseJsonArray(
  chunks: AsyncIterable<string>,
  label: string,
): AsyncGenerator<{ value: unknown; index: number }> {
  const fail = (why: string): VbenchError =>
    new VbenchError("dataset_malformed", `${label}: ${why}`, { hint: "The file must hold one JSON array of objects." });
  let text = "";
  let i = 0;
  let start = 0;
  let depth = 0;
  let inString = false;
  let index = 0;
  let phase = Phase.BeforeArray;
  let afterComma = false;

  for await (const chunk of chunks) {
    text += chunk;
    while (i < text.length) {
      if (phase === Phase.InElement) {
        if (inString) {
          const quote = text.indexOf('"', i);
          if (quote === -1) {
            i = text.length;
            break;
          }
          let backslashes = 0;
          for (let b = quote - 1; text.charCodeAt(b) === 92; b--) backslashes++;
          i = quote + 1;
          if (backslashes % 2 === 0) inString = false;
          continue;
        }
        const c = text.charCodeAt(i++);
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          if (--depth === 0) {
            let value: unknown;
            try {
              value = JSON.parse(text.slice(start, i));
            } catch (e) {
              throw fail(`element ${index} is not valid JSON (${errorMessage(e)})`);
            }
            yield { value, index: index++ };
            phase = Phase.AfterElement;
          }
        }
        continue;
      }
      const c = text.charCodeAt(i++);
      if (isSpace(c)) continue;
      const next = phaseAfter(phase, c, afterComma, index, fail);
      afterComma = phase === Phase.AfterElement && next === Phase.ExpectElement;
      if (next === Phase.InElement) {
        start = i - 1;
        depth = 1;
      }
      phase = next;
    }
    // Keep only the unfinished element, so memory stays at one element.
    const keepFrom = phase === Phase.InElement ? start : i;
    text = text.slice(keepFrom);
    i -= keepFrom;
    start -= keepFrom;
  }
  if (phase !== Phase.Done) throw fail(`the file ends inside the array (after ${index} complete elements)`);
}
