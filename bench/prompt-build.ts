/**
 * Micro-benchmark of the random dataset's prompt building (src/workload/
 * prompt-builder.ts) with the built-in GPT-2: µs per prompt at 32 and 1024
 * input tokens, as vbench builds them (no re-encode: GPT-2 promises that a
 * prompt of pool words is as many tokens as words) and with the re-encode
 * a tokenizer without that promise gets (the same tokenizer, promise taken away).
 * This is the request producer's main cost per request. `--tokenizer PATH`
 * measures a tokenizer.json instead (its promise, if any, comes from its
 * structure: src/workload/word-split.ts).
 * Run: `npx bun bench/prompt-build.ts [--tokenizer PATH]`. Prints one line per case on stdout.
 */
import { createRng } from "../src/base/rng.ts";
import { PromptBuilder } from "../src/workload/prompt-builder.ts";
import { loadTokenizer, type Tokenizer } from "../src/workload/tokenizer.ts";
import { benchArgs } from "./_lib.ts";

const tokenizer = await loadTokenizer(benchArgs().get("tokenizer") ?? "gpt2");
const checked: Tokenizer = { ...tokenizer, reencodesWordConcat: false };
console.log(`tokenizer ${tokenizer.name}: ${tokenizer.reencodesWordConcat ? "prompts exact by construction" : "no promise: every prompt is re-encoded"}`);

function usPerPrompt(tokenizer: Tokenizer, tokens: number, prompts: number): number {
  // Warm the tokenizer's caches and the JIT first, as a long run's producer is.
  for (let g = 0; g < prompts / 4; g++) new PromptBuilder(tokenizer, createRng(7, "warm", g)).build(tokens);
  const start = Bun.nanoseconds();
  for (let g = 0; g < prompts; g++) {
    const built = new PromptBuilder(tokenizer, createRng(7, "request", g)).build(tokens);
    if (built.inputTokens !== tokens) throw new Error(`prompt ${g}: ${built.inputTokens} tokens, not ${tokens}`);
  }
  return (Bun.nanoseconds() - start) / 1e3 / prompts;
}

for (const [tokens, prompts] of [
  [32, 20_000],
  [1024, 1_000],
] as const) {
  const fast = usPerPrompt(tokenizer, tokens, prompts);
  const slow = usPerPrompt(checked, tokens, prompts);
  console.log(`${tokens} tokens: ${fast.toFixed(1)} µs a prompt as built; ${slow.toFixed(1)} µs re-encoded to check (${(slow / fast).toFixed(1)}x), ${prompts} prompts each`);
}
