/**
 * The server/tokenizer mismatch sample (src/engine/scenario-stats.ts): the
 * real GPT-2 tokenizer counts an evenly spread sample of the server-counted
 * texts after the run, and texts not to be saved leave the records.
 */
import { expect, test } from "bun:test";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { MISMATCH_SAMPLE, sampleTokenizerCounts } from "../../src/engine/scenario-stats.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";

const gpt2 = await loadTokenizer("gpt2");

function record(index: number, source: "server" | "tokenizer", text: string | undefined): RequestRecord {
  return { index, requestId: `r${index}`, scheduledAtMs: 0, dispatchedAtMs: 0, sentAtMs: 0, chunkAtMs: new Float64Array([1]), endAtMs: 1, doneAtMs: 1, success: true, inputTokens: 1, outputTokens: 3, outputTokenSource: source, requestedOutputTokens: 3, generatedText: text };
}

test(`more than ${MISMATCH_SAMPLE} comparable texts: exactly ${MISMATCH_SAMPLE} counted, spread over the whole run`, () => {
  // Every fifth record is tokenizer-counted already (not comparable), one in seven carries no text.
  const records = Array.from({ length: 15_000 }, (_, i) => record(i, i % 5 === 4 ? "tokenizer" : "server", i % 7 === 6 ? undefined : " hello big world"));
  const comparable = records.filter((r) => r.outputTokenSource === "server" && r.generatedText !== undefined);
  sampleTokenizerCounts(records, gpt2, true);
  const counted = records.filter((r) => r.tokenizerOutputTokens !== undefined);
  expect(comparable.length).toBeGreaterThan(MISMATCH_SAMPLE);
  expect(counted).toHaveLength(MISMATCH_SAMPLE);
  expect(counted.every((r) => r.outputTokenSource === "server" && r.tokenizerOutputTokens === 3)).toBe(true);
  // Evenly: the first comparable text among them, and a tenth of the sample in each tenth of the run.
  expect(counted[0]).toBe(comparable[0]!);
  for (let tenth = 0; tenth < 10; tenth++) {
    const inTenth = counted.filter((r) => Math.floor((r.index * 10) / records.length) === tenth).length;
    expect(Math.abs(inTenth - MISMATCH_SAMPLE / 10)).toBeLessThan(MISMATCH_SAMPLE / 100);
  }
  expect(records.every((r) => r.index % 7 === 6 || r.generatedText !== undefined)).toBe(true); // kept when asked to
});

test("fewer comparable texts than the sample: every one counted; texts dropped when not to be saved", () => {
  const records = [record(0, "server", " one two"), record(1, "tokenizer", " three"), record(2, "server", undefined), record(3, "server", " four five six")];
  sampleTokenizerCounts(records, gpt2, false);
  expect(records.map((r) => r.tokenizerOutputTokens)).toEqual([2, undefined, undefined, 3]);
  expect(records.every((r) => r.generatedText === undefined)).toBe(true);
});
