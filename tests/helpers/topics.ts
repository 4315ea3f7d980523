// Synthetic word2vec data shared by the tests: two disjoint topics, a0..a9 (ids 1-10) and b0..b9
// (ids 11-20), '</s>' = id 0. Browser-safe (no node:* imports).
import { Philox } from '../../src/core/rng.js';
import type { TrainVocab } from '../../src/models/vectors/word2vec.js';

export interface TopicsOptions {
  /** EOS (id 0) after every `eosEvery`-th sentence (s % eosEvery === eosEvery - 1). Default 1 (every sentence); 0: no EOS at all ('</s>' stays in the vocab, count 0). */
  eosEvery?: number;
  /** One extra word (id 21, after b9) at the end of the sentences listed (before their EOS). */
  rare?: { word: string; sentences: readonly number[] };
}

/**
 * `sentences` sentences of 8 words alternating between the topics (even: a*, odd: b*), words drawn
 * with Philox(11, 0), each followed by EOS (see `eosEvery`); the vocab counts are the ids' counts. The default
 * options give the exact data the tests have always used.
 */
export function topics(sentences: number, options: TopicsOptions = {}): { ids: Int32Array; vocab: TrainVocab } {
  const { eosEvery = 1, rare } = options;
  const words = [
    '</s>',
    ...Array.from({ length: 10 }, (_, i) => `a${i}`),
    ...Array.from({ length: 10 }, (_, i) => `b${i}`),
  ];
  if (rare !== undefined) words.push(rare.word);
  const rareIn = new Set(rare?.sentences ?? []);
  const rng = new Philox(11, 0);
  const ids: number[] = [];
  for (let s = 0; s < sentences; s++) {
    const base = s % 2 === 0 ? 1 : 11;
    for (let j = 0; j < 8; j++) ids.push(base + rng.nextInt(10));
    if (rareIn.has(s)) ids.push(21);
    if (eosEvery > 0 && s % eosEvery === eosEvery - 1) ids.push(0);
  }
  const counts = new Array<number>(words.length).fill(0);
  for (const id of ids) counts[id]!++;
  return { ids: Int32Array.from(ids), vocab: { words, counts, eosId: 0 } };
}
