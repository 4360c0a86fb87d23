import { describe, expect, test } from "bun:test";
import { VbenchError } from "../../src/base/errors.ts";
import { splitLines } from "../../src/workload/files.ts";
import { parseJsonArray } from "../../src/workload/json-array.ts";

async function* chunked(text: string, ...cuts: number[]): AsyncGenerator<string> {
  let from = 0;
  for (const cut of cuts) {
    yield text.slice(from, cut);
    from = cut;
  }
  yield text.slice(from);
}

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

async function failure(gen: AsyncIterable<unknown>): Promise<VbenchError> {
  try {
    await collect(gen);
  } catch (e) {
    if (e instanceof VbenchError) return e;
    throw e;
  }
  throw new Error("did not fail");
}

describe("splitLines", () => {
  const text = 'a\r\n{"x": "é"}\n\nlast';
  test("same lines and numbers for every split point, CRLF included", async () => {
    const expected = [
      { text: "a", lineNo: 1 },
      { text: '{"x": "é"}', lineNo: 2 },
      { text: "", lineNo: 3 },
      { text: "last", lineNo: 4 },
    ];
    for (let cut = 0; cut <= text.length; cut++) {
      expect(await collect(splitLines(chunked(text, cut)))).toEqual(expected);
    }
  });

  test("a trailing newline does not add an empty line", async () => {
    expect(await collect(splitLines(chunked("x\ny\n", 2)))).toEqual([
      { text: "x", lineNo: 1 },
      { text: "y", lineNo: 2 },
    ]);
  });
});

describe("parseJsonArray", () => {
  const values = [
    { id: "a", conversations: [{ from: "human", value: 'tricky "quotes" \\ and ] } [ {' }] },
    { id: "b", nested: [[1, 2], { k: "\\\\" }] },
    [1, "two"],
  ];
  const text = ` \n[ ${values.map((v) => JSON.stringify(v)).join(" ,\n")} ]\n`;

  test("yields every element for every split point (two cuts)", async () => {
    for (let a = 0; a <= text.length; a += 3) {
      for (let b = a; b <= text.length; b += 7) {
        const got = await collect(parseJsonArray(chunked(text, a, b), "t"));
        expect(got.map((g) => g.value)).toEqual(values);
      }
    }
  });

  test("an empty array yields nothing", async () => {
    expect(await collect(parseJsonArray(chunked("[ ]"), "t"))).toEqual([]);
  });

  test("malformed input is dataset_malformed naming the source", async () => {
    const cases: [string, string][] = [
      ['{"a": 1}', "expected a JSON array"],
      ['[{"a": 1}, 5]', "element 1: expected an object"],
      ['[{"a": 1},]', "element 1: expected an object"],
      ['[{"a": 1} {"b": 2}]', "expected ',' or ']' after element 0"],
      ['[{"a": 1}, {"b": 2}', "ends inside the array (after 2 complete elements)"],
      ['[{"a": nope}]', "element 0 is not valid JSON"],
      ['[{"a": 1}] x', "unexpected data after"],
    ];
    for (const [input, message] of cases) {
      const e = await failure(parseJsonArray(chunked(input, 4), "file.json"));
      expect(e.code).toBe("dataset_malformed");
      expect(e.message).toContain("file.json");
      expect(e.message).toContain(message);
    }
  });
});

describe("SmallestKeys", () => {
  test("keeps the smallest keys, sorted, whatever the arrival order", async () => {
    const { SmallestKeys } = await import("../../src/workload/sampling.ts");
    const keys = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    const heap = new SmallestKeys<number>(10);
    for (const k of keys) heap.offer(k, k);
    expect(heap.sorted()).toEqual([...keys].sort((a, b) => a - b).slice(0, 10));
    expect(heap.offered).toBe(200);
  });
});
