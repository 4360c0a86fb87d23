/**
 * The run's tokenizer: GPT-2 (built in, via gpt-tokenizer's r50k_base) or a
 * local Hugging Face `tokenizer.json` (via @huggingface/tokenizers, offline).
 *
 * Both libraries are imported lazily inside loadTokenizer: the GPT-2 ranks
 * cost ~150 ms to load and `vbench --help` must not pay for them.
 */
import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { VbenchError, errorMessage } from "../base/errors.ts";
import { splitsEveryWord } from "./word-split.ts";

export interface Tokenizer {
  /** `gpt2` or the path the tokenizer was loaded from. */
  name: string;
  /** Token ids of `text`, without special tokens (no BOS/EOS): the prompt's own length. */
  encode(text: string): number[];
  /** Text of `ids`, verbatim (no clean-up of spaces). Empty array → "". */
  decode(ids: number[]): string;
  vocabSize: number;
  /** Ids that must never be drawn for prompts (special and added tokens). */
  specialIds: ReadonlySet<number>;
  /**
   * True when any concatenation of space-led word tokens (prompt-builder.ts's word pool)
   * re-encodes to the same ids, so a prompt built from them needs no re-encoding to know
   * its length. Set only where it follows from the tokenizer's definition: GPT-2's, and a
   * tokenizer.json whose structure guarantees it (./word-split.ts).
   */
  reencodesWordConcat?: boolean;
}

export const DEFAULT_TOKENIZER = "gpt2";

/** GPT-2's `<|endoftext|>`. */
const GPT2_EOT_ID = 50256;

/**
 * `gpt2` (or empty) → built-in GPT-2; anything else is a path to a
 * `tokenizer.json` (or a directory holding one). Hub names cannot be
 * downloaded here.
 */
export async function loadTokenizer(spec: string = DEFAULT_TOKENIZER): Promise<Tokenizer> {
  const trimmed = spec.trim();
  if (trimmed === "" || trimmed.toLowerCase() === DEFAULT_TOKENIZER) return loadGpt2();
  return loadHuggingFace(trimmed);
}

async function loadGpt2(): Promise<Tokenizer> {
  const gpt2 = await import("gpt-tokenizer/encoding/r50k_base");
  // Text that happens to contain "<|endoftext|>" is counted as plain text rather than throwing.
  const plain = { disallowedSpecial: new Set<string>() };
  return {
    name: DEFAULT_TOKENIZER,
    encode: (text) => gpt2.encode(text, plain),
    decode: (ids) => (ids.length === 0 ? "" : gpt2.decode(ids)),
    vocabSize: gpt2.vocabularySize,
    specialIds: new Set([GPT2_EOT_ID]),
    // Its pre-tokenizer splits before every " word" (` ?\p{L}+`), no normalizer, no added tokens
    // but <|endoftext|>: a pool word is a piece of its own, and each piece encodes to its one id.
    reencodesWordConcat: true,
  };
}

async function loadHuggingFace(spec: string): Promise<Tokenizer> {
  const path = await resolveTokenizerPath(spec);
  let json: unknown;
  try {
    json = JSON.parse(await Bun.file(path).text());
  } catch (e) {
    throw unreadable(path, `cannot read or parse it: ${errorMessage(e)}`, e);
  }
  if (typeof json !== "object" || json === null || !("model" in json)) {
    throw unreadable(path, "it is not a Hugging Face tokenizer.json (no \"model\" key)");
  }
  const config = await readSiblingConfig(path);
  const { Tokenizer: HfTokenizer } = await import("@huggingface/tokenizers");
  let hf: InstanceType<typeof HfTokenizer>;
  try {
    hf = new HfTokenizer(json, config);
    hf.encode("probe", { add_special_tokens: false });
  } catch (e) {
    throw unreadable(path, `the tokenizer could not be built from it: ${errorMessage(e)}`, e);
  }
  const specialIds = new Set<number>(hf.get_added_tokens_decoder().keys());
  const decodeOptions = { skip_special_tokens: false, clean_up_tokenization_spaces: false };
  return {
    name: path,
    encode: (text) => (text.length === 0 ? [] : hf.encode(text, { add_special_tokens: false }).ids),
    decode: (ids) => (ids.length === 0 ? "" : hf.decode(ids, decodeOptions)),
    vocabSize: hf.get_vocab(true).size,
    specialIds,
    reencodesWordConcat: splitsEveryWord(json),
  };
}

/** A file path as given, or `<dir>/tokenizer.json` for a directory. */
async function resolveTokenizerPath(spec: string): Promise<string> {
  const info = await stat(spec).catch(() => null);
  if (info?.isDirectory()) {
    const inner = join(spec, "tokenizer.json");
    if (await stat(inner).catch(() => null)) return inner;
    throw unreadable(spec, "it is a directory without a tokenizer.json");
  }
  if (info) return spec;
  if (looksLikeHubName(spec)) {
    throw new VbenchError(
      "tokenizer_unavailable",
      `Tokenizer "${spec}" looks like a model hub name, and vbench cannot download tokenizers`,
      {
        hint:
          `Download the model's tokenizer.json yourself and pass its local path (TOKENIZER=/path/to/tokenizer.json ` +
          `or --tokenizer), or use the built-in "${DEFAULT_TOKENIZER}".`,
      },
    );
  }
  throw unreadable(spec, "the file does not exist");
}

/** `org/model` or a bare name without a path separator or a .json suffix. */
function looksLikeHubName(spec: string): boolean {
  if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("~") || spec.endsWith(".json")) return false;
  return /^[\w.-]+(\/[\w.-]+)?$/.test(spec);
}

/** tokenizer_config.json next to tokenizer.json is optional; only a few of its fields matter here. */
async function readSiblingConfig(path: string): Promise<Record<string, unknown>> {
  const file = Bun.file(join(dirname(path), "tokenizer_config.json"));
  if (!(await file.exists())) return {};
  try {
    const parsed: unknown = JSON.parse(await file.text());
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // a broken side file should not block a usable tokenizer.json
  }
}

function unreadable(path: string, why: string, cause?: unknown): VbenchError {
  return new VbenchError("tokenizer_unreadable", `Cannot load tokenizer ${path}: ${why}`, {
    hint: `Pass a Hugging Face tokenizer.json file (TOKENIZER=/path/to/tokenizer.json), or "${DEFAULT_TOKENIZER}" for the built-in tokenizer.`,
    cause,
  });
}
