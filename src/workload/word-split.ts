/**
 * Does a Hugging Face tokenizer.json keep every space-led word a piece of its
 * own? Then a prompt of the prompt builder's pool words (each of which
 * encodes alone to its own id) re-encodes to the same ids, and its length
 * need not be checked by re-encoding it (Tokenizer.reencodesWordConcat).
 *
 * Only structures read from the file that make this certain qualify:
 * - a BPE model without dropout, with a byte-level decoder (decoding ids concatenates their text);
 * - no normalizer, or NFC (which leaves ASCII letters and spaces alone);
 * - GPT-2's byte-level pre-tokenizer with its own regex, or a Split on one of
 *   the known regexes below followed by a byte-level step without a regex:
 *   each has ` ?\p{L}+` or `[^\r\n\p{L}\p{N}]?\p{L}+` as its first
 *   alternative that can match a space, so " word word" splits into " word" and " word";
 * - no added token that could occur in such a prompt (every one has a
 *   character other than an ASCII letter or a space, as `<|eot_id|>` does).
 * Anything else (Lowercase normalizers, Metaspace, an unknown regex) keeps the check.
 */
import { isRecord } from "../base/json-values.ts";

/** Split regexes (the `pattern.Regex` string) known to keep " word" runs apart: Llama 3's (OpenAI's cl100k), Qwen 2's. */
const WORD_SPLITTING_REGEXES: ReadonlySet<string> = new Set([
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
]);

function byteLevel(step: unknown, useRegex: boolean): boolean {
  return isRecord(step) && step.type === "ByteLevel" && step.add_prefix_space === false && step.use_regex === useRegex;
}

function splitsWords(pre: unknown): boolean {
  if (byteLevel(pre, true)) return true;
  if (!isRecord(pre) || pre.type !== "Sequence" || !Array.isArray(pre.pretokenizers) || pre.pretokenizers.length !== 2) return false;
  const [split, bytes] = pre.pretokenizers as unknown[];
  if (!isRecord(split) || split.type !== "Split" || split.behavior !== "Isolated" || split.invert !== false) return false;
  const pattern = split.pattern;
  return isRecord(pattern) && typeof pattern.Regex === "string" && WORD_SPLITTING_REGEXES.has(pattern.Regex) && byteLevel(bytes, false);
}

/** True when the tokenizer.json's structure guarantees that concatenated pool words re-encode to themselves. */
export function splitsEveryWord(json: unknown): boolean {
  if (!isRecord(json) || !isRecord(json.model) || json.model.type !== "BPE") return false;
  // BPE dropout makes encoding random: the same text may encode differently each time.
  if (json.model.dropout !== null && json.model.dropout !== undefined && json.model.dropout !== 0) return false;
  if (!isRecord(json.decoder) || json.decoder.type !== "ByteLevel") return false;
  const normalizer = json.normalizer;
  if (normalizer !== null && normalizer !== undefined && !(isRecord(normalizer) && normalizer.type === "NFC")) return false;
  if (!splitsWords(json.pre_tokenizer)) return false;
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) return false;
  return added.every((token) => isRecord(token) && typeof token.content === "string" && /[^A-Za-z ]/.test(token.content));
}
