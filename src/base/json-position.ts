/**
 * JSON.parse that says where a syntax error is (line and column). The
 * runtime's own messages carry no position, and a user fixing a 200-line
 * scenario file needs one. On failure a small scanner walks the text to the
 * first offending character; on success JSON.parse's result is used as is.
 */

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; message: string; line: number; column: number };

export function parseJsonWithPosition(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const { offset, what } = findError(text);
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    return { ok: false, message: `${what} at line ${line}, column ${column}`, line, column };
  }
}

function findError(text: string): { offset: number; what: string } {
  let i = 0;
  const fail = (what: string): never => {
    throw { offset: i, what };
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const describe = () => (i >= text.length ? "unexpected end of file" : `unexpected ${JSON.stringify(text[i])}`);
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`${describe()} (expected a quoted key)`);
        string();
        ws();
        if (text[i] !== ":") fail(`${describe()} (expected ":")`);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "}") fail("trailing comma before }");
          continue;
        }
        if (text[i] === "}") return void i++;
        fail(`${describe()} (expected "," or "}")`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "]") fail("trailing comma before ]");
          continue;
        }
        if (text[i] === "]") return void i++;
        fail(`${describe()} (expected "," or "]")`);
      }
    }
    if (c === '"') return string();
    const literal = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!literal) fail(describe());
    i += literal![0].length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      else if (text.charCodeAt(i) < 0x20) fail("control character in string");
      i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`${describe()} after the end of the document`);
    return { offset: i, what: "invalid JSON" };
  } catch (e) {
    return e as { offset: number; what: string };
  }
}

/**
 * Python's json.dump writes NaN and Infinity as bare words (vLLM's files can
 * contain them); read those as null and "inf" instead of failing.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const fixed = text.replace(/"(?:[^"\\]|\\.)*"|-Infinity|Infinity|NaN/g, (tok) =>
      tok.startsWith('"') ? tok : tok === "NaN" ? "null" : tok.startsWith("-") ? '"-inf"' : '"inf"',
    );
    return JSON.parse(fixed);
  }
}

