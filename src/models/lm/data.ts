// Vocabulary and id streams for the language models (docs/ngram.md).

import { checkOptions } from '../../core/check.js';
import { ArgumentError } from '../../core/errors.js';

/** Id 0: every word outside the vocabulary. */
export const UNK = '<unk>';
/** Id 1: padding before the start of a stream (never a target). */
export const BOS = '<s>';

/**
 * The LM vocabulary: 0 = `<unk>`, 1 = `<s>`, then the words of frequency >= minCount in the training
 * sentences by descending frequency (ties in code-unit order). Case and punctuation tokens are kept
 * as they are; tokens spelled `<unk>` or `<s>` in the text map to those ids.
 */
export function lmVocab(
  trainSentences: readonly (readonly string[])[],
  options: { minCount?: number } = {},
): { words: string[]; index: Map<string, number> } {
  checkOptions('lmVocab', 'options', options, ['minCount']);
  const minCount = options.minCount ?? 4;
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new ArgumentError(`lmVocab: options.minCount must be an integer >= 1, got ${String(minCount)}`);
  const freq = new Map<string, number>();
  for (const s of trainSentences) for (const w of s) freq.set(w, (freq.get(w) ?? 0) + 1);
  const kept: [string, number][] = [];
  for (const [w, c] of freq) if (c >= minCount && w !== UNK && w !== BOS) kept.push([w, c]);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const words = [UNK, BOS, ...kept.map((e) => e[0])];
  const index = new Map<string, number>();
  words.forEach((w, i) => index.set(w, i));
  return { words, index };
}

/** The sentences concatenated into one stream of ids (no sentence markers); unknown words → index of `<unk>` (0). */
export function encodeStream(
  sentences: readonly (readonly string[])[],
  index: ReadonlyMap<string, number>,
): Int32Array {
  const unk = index.get(UNK) ?? 0;
  let n = 0;
  for (const s of sentences) n += s.length;
  const out = new Int32Array(n);
  let t = 0;
  for (const s of sentences) for (const w of s) out[t++] = index.get(w) ?? unk;
  return out;
}
