/**
 * Property tests: generated event streams (random line endings, comments,
 * other fields, keep-alives, multi-line data, optional final blank line)
 * framed under random read splits give back exactly the generated data;
 * random bytes never make the framer throw.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { createSseFramer } from "../../src/wire/sse.ts";

const FC = { seed: 20240610, numRuns: 400 };
const enc = new TextEncoder();

type Line = { data: string; space: boolean } | { other: string };
const lineText = fc
  .tuple(fc.constantFrom("", " ", "  "), fc.string({ unit: "binary", maxLength: 12 }))
  .map(([lead, s]) => lead + s.replace(/[\r\n]/g, ""));
const dataLine = fc.record({ data: lineText, space: fc.boolean() });
const otherLine = fc.record({
  other: fc.constantFrom(": ping", ":", "event: message", "id: 7", "retry: 3000", "datum: x", "data2: y"),
});
const eventArb = fc
  .array(fc.oneof({ arbitrary: dataLine, weight: 3 }, { arbitrary: otherLine, weight: 1 }), { minLength: 1, maxLength: 4 })
  .filter((lines: Line[]) => lines.some((l) => "data" in l));
const streamArb = fc.record({
  events: fc.array(fc.record({ lines: eventArb, extraBlank: fc.nat(2) }), { minLength: 1, maxLength: 8 }),
  endings: fc.array(fc.constantFrom("\n", "\r\n", "\r"), { minLength: 1, maxLength: 64 }),
  finalBlank: fc.boolean(),
  finalEnding: fc.boolean(),
});
const cutsArb = fc.array(fc.nat(100_000), { maxLength: 12 });

/** Serialise the model to text and the data payloads a correct framer must emit. */
type Stream = typeof streamArb extends fc.Arbitrary<infer T> ? T : never;

function render(stream: Stream): { text: string; expected: string[] } {
  const out: string[] = [];
  const expected: string[] = [];
  let n = 0;
  let prevEnding = "";
  const emit = (line: string) => {
    let ending = stream.endings[n++ % stream.endings.length];
    // "\r" then an empty "\n" line would read as one CRLF: the format cannot say otherwise.
    if (prevEnding === "\r" && line === "" && ending === "\n") ending = "\r\n";
    out.push(line, ending);
    prevEnding = ending;
  };
  stream.events.forEach((event, i) => {
    const data: string[] = [];
    for (const line of event.lines) {
      if ("other" in line) emit(line.other);
      else {
        // Without the space a value starting with a space would lose it.
        emit(line.space || line.data.startsWith(" ") ? `data: ${line.data}` : `data:${line.data}`);
        data.push(line.data);
      }
    }
    expected.push(data.join("\n"));
    const last = i === stream.events.length - 1;
    if (!last || stream.finalBlank) for (let b = 0; b <= event.extraBlank; b++) emit("");
  });
  // Optionally cut the very last line ending too: end() must still take the line.
  if (!stream.finalBlank && !stream.finalEnding) out.pop();
  return { text: out.join(""), expected };
}

/** `declines`: with a byte taker (see the last test) that declines the offers these say, in turn. */
function frameSplit(bytes: Uint8Array, cuts: number[], declines?: boolean[]): string[] {
  const events: string[] = [];
  let offered = 0;
  const take = (b: Uint8Array, start: number, end: number) => {
    if (declines![offered++ % Math.max(1, declines!.length)]) return false;
    events.push(new TextDecoder().decode(b.subarray(start, end)));
    return true;
  };
  const framer = createSseFramer((p) => events.push(p), declines ? take : null);
  const sorted = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  let from = 0;
  for (const cut of sorted) {
    framer.push(bytes.subarray(from, cut));
    from = cut;
  }
  framer.push(bytes.subarray(from));
  framer.end();
  return events;
}

test("generated streams come back event for event under any split", () => {
  fc.assert(
    fc.property(streamArb, cutsArb, (stream, cuts) => {
      const { text, expected } = render(stream);
      expect(frameSplit(enc.encode(text), cuts)).toEqual(expected);
    }),
    FC,
  );
});

test("random bytes under random splits never throw, and nothing stays buffered after end()", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), cutsArb, (bytes, cuts) => {
      const events: string[] = [];
      const framer = createSseFramer((p) => events.push(p));
      const sorted = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
      let from = 0;
      for (const cut of sorted) {
        framer.push(bytes.subarray(from, cut));
        from = cut;
      }
      framer.push(bytes.subarray(from));
      framer.end();
      expect(framer.bufferedBytes).toBe(0);
      // Same bytes in one read: same events.
      expect(frameSplit(bytes, [])).toEqual(events);
    }),
    FC,
  );
});

test("SSE-shaped garbage (field names, colons, CR/LF soup) never throws", () => {
  const piece = fc.constantFrom("data", ":", " ", "\r", "\n", "\r\n", "da", "ta:", "é", "\u{1F680}", "[DONE]", "{", "}");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }), cutsArb, (pieces, cuts) => {
      const bytes = enc.encode(pieces.join(""));
      expect(frameSplit(bytes, cuts)).toEqual(frameSplit(bytes, []));
    }),
    FC,
  );
});

/** Events of `text` (already decoded) framed in one read: the reference for the decoding below. */
function frameText(text: string): string[] {
  const events: string[] = [];
  const framer = createSseFramer((p) => events.push(p));
  // A leading U+FEFF the decoder kept (a second byte-order mark) must survive the framer's own BOM rule.
  framer.push(enc.encode(text.charCodeAt(0) === 0xfeff ? `\ufeff${text}` : text));
  framer.end();
  return events;
}

test("bytes of any kind, fed as ranges of one buffer under any split, decode as TextDecoder decodes them whole", () => {
  // UTF-8 made likely: multi-byte characters, their fragments, invalid bytes, byte-order marks, line ends.
  const piece = fc.oneof(
    fc.string({ unit: "binary", maxLength: 6 }).map((s) => [...enc.encode(s)]),
    fc.constantFrom([0xef, 0xbb, 0xbf], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3], [0x80], [0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf]),
    fc.constantFrom([...enc.encode("data: ")], [10], [13, 10], [10, 10]),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), cutsArb, (pieces, cuts) => {
      const bytes = Buffer.from(pieces.flat());
      const events: string[] = [];
      const framer = createSseFramer((p) => events.push(p));
      const sorted = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
      let from = 0;
      for (const cut of sorted) {
        framer.push(bytes, from, cut);
        from = cut;
      }
      framer.push(bytes, from, bytes.length);
      framer.end();
      expect(events).toEqual(frameText(new TextDecoder().decode(bytes)));
    }),
    { ...FC, numRuns: 2000 },
  );
});

/**
 * The byte path (ResponseParser.onPayloadBytes): a taker that decodes what it
 * is offered and takes it, or declines it, must see exactly the events the
 * framer gives without one, in the same order.
 */
test("a byte taker, taking or declining, sees the events the framer gives without one, under any split", () => {
  const declinesArb = fc.array(fc.boolean(), { maxLength: 5 });
  fc.assert(
    fc.property(streamArb, cutsArb, declinesArb, (stream, cuts, declines) => {
      const bytes = enc.encode(render(stream).text);
      expect(frameSplit(bytes, cuts, declines)).toEqual(frameSplit(bytes, cuts));
    }),
    FC,
  );
  // CR inside a line, CRLF, byte-order marks, split characters, invalid bytes.
  const piece = fc.constantFrom("data: ", "data:", "\n", "\n\n", "\r", "\r\n", ": ping\n", "{}", "é", "\u{1F680}", "\ufeff", "x");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), cutsArb, declinesArb, (pieces, cuts, declines) => {
      const bytes = enc.encode(pieces.join(""));
      expect(frameSplit(bytes, cuts, declines)).toEqual(frameSplit(bytes, cuts));
    }),
    { ...FC, numRuns: 2000 },
  );
});
