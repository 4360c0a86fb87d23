import { expect, test } from "bun:test";
import { mergeReadStalls, noteRead, takeReadStalls } from "../../src/engine/read-stalls.ts";

test("read callbacks counted over 1 ms and 5 ms, the longest kept, and a take starts afresh", () => {
  takeReadStalls();
  for (const ms of [0.01, 0.5, 1, 1.5, 7, 0.2]) noteRead(ms);
  expect(takeReadStalls()).toEqual({ reads: 6, over1Ms: 2, over5Ms: 1, maxMs: 7 });
  expect(takeReadStalls()).toEqual({ reads: 0, over1Ms: 0, over5Ms: 0, maxMs: 0 });
  expect(mergeReadStalls([{ reads: 6, over1Ms: 2, over5Ms: 1, maxMs: 7 }, { reads: 4, over1Ms: 1, over5Ms: 0, maxMs: 2 }])).toEqual({ reads: 10, over1Ms: 3, over5Ms: 1, maxMs: 7 });
});
