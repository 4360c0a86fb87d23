import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorkload } from "../../src/workload/index.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";
import { FIXTURES, built, scenario } from "./helpers.ts";
import { rejection } from "../helpers/errors.ts";

const gpt2 = await loadTokenizer("gpt2");
const JSONL = join(FIXTURES, "prompts.jsonl");
const SHAREGPT = join(FIXTURES, "sharegpt-mini.json");

const failure = rejection;

describe("jsonl", () => {
  const jsonl = (n: number, extra: Record<string, unknown> = {}, seed = 0) =>
    buildWorkload(scenario({ dataset: { type: "jsonl", dataset_path: JSONL, ...extra }, seed }), gpt2, n).then(built);

  test("reads prompts, chat messages and output_len; counts tokens with the tokenizer", async () => {
    const w = await jsonl(6, { shuffle: false, output_len: 99 });
    expect(w.ignoreEos).toBe(false);
    expect(w.notes).toEqual([]);
    expect(w.items.map((i) => i.outputTokens)).toEqual([64, 99, 32, 8, 99, 24]);
    expect(w.items[0].prompt).toBe("Explain why the sky looks blue during the day.");
    expect(w.items[0].inputTokens).toBe(gpt2.encode(w.items[0].prompt).length);
    const chat = w.items[3];
    expect(chat.prompt).toBe("What is the capital of Peru?");
    expect(chat.messages).toHaveLength(2);
    expect(chat.inputTokens).toBe(gpt2.encode("You are a terse assistant.").length + gpt2.encode(chat.prompt).length);
  });

  test("without output_len the scenario's random_output_len applies", async () => {
    const w = await jsonl(2, { shuffle: false });
    expect(w.items[1].outputTokens).toBe(8);
  });

  test("seeded sample: same seed same order, another seed another order", async () => {
    const a = (await jsonl(4)).items.map((i) => i.prompt);
    const b = (await jsonl(4)).items.map((i) => i.prompt);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(4);
    const orders = new Set<string>();
    for (let seed = 0; seed < 6; seed++) orders.add(JSON.stringify((await jsonl(4, {}, seed)).items.map((i) => i.prompt)));
    expect(orders.size).toBeGreaterThan(1);
  });

  test("oversamples with a note when the file has fewer prompts than asked", async () => {
    const w = await jsonl(15);
    expect(w.items).toHaveLength(15);
    expect(new Set(w.items.map((i) => i.prompt)).size).toBe(6);
    expect(w.notes).toHaveLength(1);
    expect(w.notes[0]).toContain("has 6 usable prompts, fewer than the 15 requests built: 9 were oversampled");
  });

  test("a malformed line is an error naming the file and line number", async () => {
    const path = join(FIXTURES, "malformed.jsonl");
    const e = await failure(buildWorkload(scenario({ dataset: { type: "jsonl", dataset_path: path } }), gpt2, 2));
    expect(e.code).toBe("dataset_malformed");
    expect(e.message).toContain(`${path} line 3:`);
  });

  test("a line without prompt or messages, and bad fields, name their line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbench-jsonl-"));
    const cases: [string, string][] = [
      ['{"prompt": "ok"}\n{"text": "no prompt key"}\n', " line 2: expected a \"prompt\""],
      ['{"prompt": "ok", "output_len": 0}\n', " line 1: output_len must be an integer >= 1"],
      ['{"messages": [{"role": "robot", "content": "x"}]}\n', " line 1: messages[0] must be"],
      ['[1, 2]\n', " line 1: expected a JSON object"],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const path = join(dir, `case${i}.jsonl`);
      writeFileSync(path, content);
      const e = await failure(buildWorkload(scenario({ dataset: { type: "jsonl", dataset_path: path } }), gpt2, 1));
      expect(e.code).toBe("dataset_malformed");
      expect(e.message).toContain(message);
    }
  });

  test("missing file, missing dataset_path and an empty file are config errors", async () => {
    const missing = await failure(buildWorkload(scenario({ dataset: { type: "jsonl", dataset_path: "/no/such.jsonl" } }), gpt2, 1));
    expect(missing.code).toBe("dataset_unreadable");
    expect(missing.message).toContain("/no/such.jsonl");
    const noPath = await failure(buildWorkload(scenario({ dataset: { type: "jsonl" } as never }), gpt2, 1));
    expect(noPath.code).toBe("dataset_invalid");
    expect(noPath.details.join(" ")).toContain("dataset_path");
    const dir = mkdtempSync(join(tmpdir(), "vbench-jsonl-"));
    writeFileSync(join(dir, "empty.jsonl"), "\n\n");
    const empty = await failure(buildWorkload(scenario({ dataset: { type: "jsonl", dataset_path: join(dir, "empty.jsonl") } }), gpt2, 1));
    expect(empty.code).toBe("dataset_empty");
  });
});

describe("sharegpt", () => {
  const sharegpt = (n: number, extra: Record<string, unknown> = {}, seed = 0) =>
    buildWorkload(scenario({ dataset: { type: "sharegpt", dataset_path: SHAREGPT, ...extra }, seed }), gpt2, n).then(built);
  const usable = [
    "How do I boil an egg so that the yolk stays soft?",
    "Name a prime number larger than one hundred.",
    'What does the "quote" escape \\ look like in JSON, and is [this] a bracket {or} a brace?',
    "Suggest a name for a small grey cat that likes to sleep in boxes.",
    "Describe the smell of rain on dry earth in one sentence.",
  ];

  test("first human turn is the prompt, its reply's token count the output length; vLLM's filters apply", async () => {
    const w = await sharegpt(7); // more than the 5 usable: every conversation is visited
    expect(w.ignoreEos).toBe(false);
    expect([...new Set(w.items.map((i) => i.prompt))].sort()).toEqual([...usable].sort());
    expect(w.items.slice(0, 5).map((i) => i.prompt).sort()).toEqual([...usable].sort());
    const egg = w.items.find((i) => i.prompt.startsWith("How do I boil"));
    expect(egg?.outputTokens).toBe(
      gpt2.encode("Lower the egg into boiling water, cook it for six minutes, then cool it in cold water for a minute before peeling.").length,
    );
    for (const item of w.items) expect(item.inputTokens).toBe(gpt2.encode(item.prompt).length);
    expect(w.notes.join("\n")).toContain("skipped 2 conversations");
  });

  test("output_len overrides the reply length and lifts the short-reply filter", async () => {
    const w = await sharegpt(6, { output_len: 50 });
    expect(w.items.every((i) => i.outputTokens === 50)).toBe(true);
    expect(w.items.map((i) => i.prompt)).toContain("Tell me something interesting about octopuses and their arms.");
  });

  test("seeded shuffle; oversampling note when asked for more", async () => {
    const a = await sharegpt(3);
    expect((await sharegpt(3)).items).toEqual(a.items);
    const orders = new Set<string>();
    for (let seed = 0; seed < 6; seed++) orders.add((await sharegpt(5, {}, seed)).items.map((i) => i.prompt).join("|"));
    expect(orders.size).toBeGreaterThan(1);
    const more = await sharegpt(12);
    expect(more.items).toHaveLength(12);
    expect(more.notes.join("\n")).toContain("has 5 usable prompts, fewer than the 12 requests built: 7 were oversampled");
  });

  test("prompts over 1024 tokens or prompt+output over 2048 are dropped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbench-sharegpt-"));
    const words = (n: number) => Array.from({ length: n }, () => " the").join("");
    const data = [
      { id: "long-prompt", conversations: [{ from: "human", value: words(1025) }, { from: "gpt", value: words(10) }] },
      { id: "long-total", conversations: [{ from: "human", value: words(1000) }, { from: "gpt", value: words(1049) }] },
      { id: "at-limit", conversations: [{ from: "human", value: words(1024) }, { from: "gpt", value: words(1024) }] },
    ];
    const path = join(dir, "long.json");
    writeFileSync(path, JSON.stringify(data));
    const w = built(await buildWorkload(scenario({ dataset: { type: "sharegpt", dataset_path: path } }), gpt2, 3));
    // Only "at-limit" passes; it is oversampled to the 3 asked for.
    expect(w.items.map((i) => [i.inputTokens, i.outputTokens])).toEqual([[1024, 1024], [1024, 1024], [1024, 1024]]);
    expect(w.notes.join("\n")).toContain("skipped 2");
  });

  test("when the filters drop more than the first window, the file is read again with a larger one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbench-sharegpt-"));
    const short = { conversations: [{ from: "human", value: "Hi" }, { from: "gpt", value: "Hello there, how are you today?" }] };
    const good = { conversations: [{ from: "human", value: "Please describe a lighthouse at night." }, { from: "gpt", value: "A tall white tower sweeps its beam across the dark sea." }] };
    const data = Array.from({ length: 300 }, (_, i) => (i === 150 ? good : short));
    const path = join(dir, "mostly-short.json");
    writeFileSync(path, JSON.stringify(data));
    for (const seed of [0, 1, 2]) {
      const w = built(await buildWorkload(scenario({ dataset: { type: "sharegpt", dataset_path: path }, seed }), gpt2, 1));
      expect(w.items.map((i) => i.prompt)).toEqual(["Please describe a lighthouse at night."]);
    }
  });

  test("a file that is not a JSON array, or has nothing usable, is an error", async () => {
    const jsonlAsSharegpt = await failure(
      buildWorkload(scenario({ dataset: { type: "sharegpt", dataset_path: JSONL } }), gpt2, 1),
    );
    expect(jsonlAsSharegpt.code).toBe("dataset_malformed");
    expect(jsonlAsSharegpt.message).toContain(JSONL);
    const dir = mkdtempSync(join(tmpdir(), "vbench-sharegpt-"));
    writeFileSync(join(dir, "none.json"), JSON.stringify([{ id: "x", conversations: [{ from: "human", value: "Hi" }] }]));
    const none = await failure(buildWorkload(scenario({ dataset: { type: "sharegpt", dataset_path: join(dir, "none.json") } }), gpt2, 1));
    expect(none.code).toBe("dataset_empty");
  });
});

describe("sharegpt sessions", () => {
  test("each session replays one conversation's human turns with their reply lengths", async () => {
    const dataset = { dataset_path: SHAREGPT, sessions: 6, turns: 2, think_time_ms: 5 };
    const w = built(await buildWorkload(scenario({ dataset: { type: "sharegpt", ...dataset } }), gpt2, 1));
    const plan = w.sessions?.plan ?? [];
    expect(plan).toHaveLength(6);
    expect(w.ignoreEos).toBe(false);
    const egg = plan.find((s) => s.turns[0].prompt.startsWith("How do I boil"));
    expect(egg?.turns.map((t) => t.prompt)).toEqual(["How do I boil an egg so that the yolk stays soft?", "And for a hard yolk?"]);
    expect(egg?.turns[1].outputTokens).toBe(gpt2.encode("Cook it for ten to twelve minutes instead.").length);
    expect(plan.every((s) => s.turns.length >= 1 && s.turns.length <= 2)).toBe(true);
    // 7 conversations have a human turn with a reply; only the egg one has two.
    expect(new Set(plan.map((s) => s.turns[0].prompt)).size).toBe(6);
    expect(w.notes.join("\n")).toContain("5 of 6 conversations have fewer than 2 turns");
    expect(w.items).toHaveLength(plan.reduce((n, s) => n + s.turns.length, 0));
  });
});
