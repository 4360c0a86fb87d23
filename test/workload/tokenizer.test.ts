import { describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VbenchError } from "../../src/base/errors.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/datasets/tiny-bpe-tokenizer.json");

async function loadError(spec: string): Promise<VbenchError> {
  try {
    await loadTokenizer(spec);
  } catch (e) {
    if (e instanceof VbenchError) return e;
    throw e;
  }
  throw new Error(`loadTokenizer(${spec}) did not fail`);
}

describe("gpt2", () => {
  test("encodes as GPT-2 and round-trips", async () => {
    const tok = await loadTokenizer("gpt2");
    expect(tok.name).toBe("gpt2");
    expect(tok.encode("hello world")).toEqual([31373, 995]);
    expect(tok.decode([31373, 995])).toBe("hello world");
    expect(tok.vocabSize).toBe(50257);
    expect(tok.specialIds.has(50256)).toBe(true);
  });

  test("is the default and counts special-token text as plain text", async () => {
    const tok = await loadTokenizer();
    expect(tok.name).toBe("gpt2");
    expect(tok.encode("a <|endoftext|> b")).not.toContain(50256);
    expect(tok.decode([])).toBe("");
  });
});

describe("tokenizer.json", () => {
  test("loads a BPE tokenizer.json offline", async () => {
    const tok = await loadTokenizer(FIXTURE);
    expect(tok.encode(" the cat sat on the mat")).toEqual([33, 36, 38, 40, 33, 42]);
    expect(tok.decode([33, 36, 38])).toBe(" the cat sat");
    expect(tok.vocabSize).toBe(65);
    expect([...tok.specialIds]).toEqual([0]);
    expect(tok.encode("")).toEqual([]);
  });

  test("a directory holding tokenizer.json loads too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbench-tok-"));
    writeFileSync(join(dir, "tokenizer.json"), await Bun.file(FIXTURE).text());
    const tok = await loadTokenizer(dir);
    expect(tok.encode(" the dog")).toEqual([33, 46]);
  });

  test("a missing file is tokenizer_unreadable naming the path", async () => {
    const e = await loadError("/nonexistent/tokenizer.json");
    expect(e.code).toBe("tokenizer_unreadable");
    expect(e.message).toContain("/nonexistent/tokenizer.json");
    expect(e.hint).toContain("tokenizer.json");
  });

  test("malformed JSON and non-tokenizer JSON are tokenizer_unreadable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbench-tok-"));
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{\"model\": {");
    const e1 = await loadError(broken);
    expect(e1.code).toBe("tokenizer_unreadable");
    expect(e1.message).toContain(broken);
    const other = join(dir, "other.json");
    writeFileSync(other, "[1, 2, 3]");
    expect((await loadError(other)).code).toBe("tokenizer_unreadable");
    const badModel = join(dir, "bad-model.json");
    writeFileSync(badModel, JSON.stringify({ model: { type: "BPE", vocab: 7 }, added_tokens: [] }));
    expect((await loadError(badModel)).code).toBe("tokenizer_unreadable");
  });

  test("an empty directory is tokenizer_unreadable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vbench-tok-"));
    mkdirSync(join(dir, "empty"));
    expect((await loadError(join(dir, "empty"))).code).toBe("tokenizer_unreadable");
  });

  test("a hub name is refused with a hint to pass a local path", async () => {
    const e = await loadError("Qwen/Qwen2-0.5B");
    expect(e.code).toBe("tokenizer_unavailable");
    expect(e.message).toContain("Qwen/Qwen2-0.5B");
    expect(e.hint).toContain("tokenizer.json");
  });
});

test("importing the module does not load the GPT-2 ranks", async () => {
  // A fresh process: this test file itself has already loaded them.
  const script = `const t0 = performance.now(); await import(${JSON.stringify(join(import.meta.dir, "../../src/workload/tokenizer.ts"))});
    const loaded = Object.keys(require.cache).some((k) => k.includes("gpt-tokenizer") || k.includes("@huggingface"));
    console.log(JSON.stringify({ loaded }));`;
  const proc = Bun.spawnSync([process.execPath, "-e", script]);
  expect(JSON.parse(proc.stdout.toString())).toEqual({ loaded: false });
});
