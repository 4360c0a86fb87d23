/**
 * Micro-benchmark of the random dataset's prompt building (src/workload/
 * prompt-builder.ts) with the built-in GPT-2: µs per prompt at 32 and 1024
 * input tokens, as vbench builds them (no re-encode: GPT-2 promises that a
 * prompt of pool words is as many tokens as words) and with the re-encode
 * every other tokenizer still gets (the same tokenizer without that promise).
 * This is the request producer's main cost per request.
 * Run: `npx bun bench/prompt-build.ts`. Prints one line per case on stdout.
 */
import { createRng } from "../src/base/rng.ts";
import { PromptBuilder } from "../src/workload/prompt-builder.ts";
import { loadTokenizer, type Tokenizer } from "../src/workload/tokenizer.ts";

const gpt2 = await loadTokenizer("gpt2");
const checked: Tokenizer = { ...gpt2, reencodesWordConcat: false };

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
  const fast = usPerPrompt(gpt2, tokens, prompts);
  const slow = usPerPrompt(checked, tokens, prompts);
  console.log(`${tokens} tokens: ${fast.toFixed(1)} µs a prompt as built; ${slow.toFixed(1)} µs re-encoded to check (${(slow / fast).toFixed(1)}x), ${prompts} prompts each`);
}
