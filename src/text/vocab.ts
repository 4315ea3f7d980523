/**
 * A vocabulary with fastText's Dictionary semantics.
 *
 * Counting: every token of the source is counted, `</s>` included (as a
 * word); a token starting with the label prefix (`__label__`) is a label.
 * `ntokens` is the number of tokens read, labels and `</s>` included, also
 * those later dropped by a threshold (fastText uses it for the learning-rate
 * schedule).
 *
 * Order (the ids): words first, by count descending, then labels, by count
 * descending. Ties keep the order of first occurrence in the source
 * (fastText's sort is not stable; this rule makes ids deterministic). A word
 * pruned while counting and seen again counts as first occurring then.
 *
 * Thresholds: words with count < `minCount` and labels with count <
 * `minCountLabel` are dropped; then, if `maxVocab` is set, only the
 * `maxVocab` most frequent words are kept (labels are never capped).
 *
 * Pruning while counting: when the table holds more than `pruneAt` entries
 * (default 10,000,000, below the 2^24 entries a JS Map can hold; fastText
 * prunes at 0.75 × 30M), the pruning threshold t (starting at 1) is raised by
 * one and every entry with count < t is dropped, words and labels alike, as
 * fastText's readFromFile does. Counts of dropped entries restart at zero if
 * they come back, so on very large vocabularies counts are approximate, as
 * in fastText.
 */
import { checkInt } from '../core/check.js';
import { ArgumentError, VocabError } from '../core/errors.js';
import { EOS, type TextSource, tokenizeBatches } from './tokenize.js';

/** What a vocabulary entry is: a word or a label. */
export type EntryType = 'word' | 'label';

/** One vocabulary entry: the string, its count, word or label. */
export interface VocabEntry {
  word: string;
  count: number;
  type: EntryType;
}

/** Options of building a Vocab: minimum counts, a size limit, the label prefix. */
export interface VocabOptions {
  /** Words seen fewer times are dropped. Default 5 (fastText's and word2vec's unsupervised default). */
  minCount?: number;
  /** Labels seen fewer times are dropped. Default 0. */
  minCountLabel?: number;
  /** Keep at most this many words, the most frequent. Default: no limit. */
  maxVocab?: number;
  /** Tokens starting with this are labels. Default `__label__`. */
  labelPrefix?: string;
  /** Prune the counting table when it holds more entries than this. Default 10,000,000. */
  pruneAt?: number;
}

const DEFAULT_PRUNE_AT = 10_000_000;

/** A growable table of (word, count) in first-occurrence order. */
class Counter {
  index = new Map<string, number>();
  words: string[] = [];
  counts: number[] = [];

  add(w: string): void {
    const i = this.index.get(w);
    if (i === undefined) {
      this.index.set(w, this.words.length);
      this.words.push(w);
      this.counts.push(1);
    } else {
      this.counts[i]!++;
    }
  }

  get size(): number {
    return this.words.length;
  }

  /** Keep the entries with keep(word, count), in their order. */
  filter(keep: (w: string, c: number) => boolean): void {
    const words: string[] = [];
    const counts: number[] = [];
    this.index = new Map();
    for (let i = 0; i < this.words.length; i++) {
      const w = this.words[i]!,
        c = this.counts[i]!;
      if (!keep(w, c)) continue;
      this.index.set(w, words.length);
      words.push(w);
      counts.push(c);
    }
    this.words = words;
    this.counts = counts;
  }
}

/** A vocabulary with fastText's Dictionary semantics: words by count, then labels, with counts and lookups. */
export class Vocab {
  private readonly words_: string[];
  private readonly counts_: Float64Array;
  private readonly index_: Map<string, number>;
  /** Number of words (ids 0 .. nwords-1). */
  readonly nwords: number;
  /** Number of labels (ids nwords .. size-1). */
  readonly nlabels: number;
  /** Tokens read when the vocabulary was counted, labels and `</s>` included. */
  readonly ntokens: number;
  /** The label prefix this vocabulary was built with. */
  readonly labelPrefix: string;

  private constructor(words: string[], counts: Float64Array, nwords: number, ntokens: number, labelPrefix: string) {
    this.words_ = words;
    this.counts_ = counts;
    this.nwords = nwords;
    this.nlabels = words.length - nwords;
    this.ntokens = ntokens;
    this.labelPrefix = labelPrefix;
    this.index_ = new Map();
    for (let i = 0; i < words.length; i++) this.index_.set(words[i]!, i);
  }

  /** Count the tokens of `source` (see `tokenize`) and apply the thresholds. */
  static async build(source: TextSource, options: VocabOptions = {}): Promise<Vocab> {
    const fn = 'Vocab.build';
    const minCount = checkInt(fn, 'minCount', options.minCount ?? 5, 0);
    const minCountLabel = checkInt(fn, 'minCountLabel', options.minCountLabel ?? 0, 0);
    const maxVocab = options.maxVocab === undefined ? Infinity : checkInt(fn, 'maxVocab', options.maxVocab, 0);
    const pruneAt = checkInt(fn, 'pruneAt', options.pruneAt ?? DEFAULT_PRUNE_AT, 1);
    const prefix = options.labelPrefix ?? '__label__';
    if (typeof prefix !== 'string' || prefix === '') {
      throw new ArgumentError(`${fn}: labelPrefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
    }
    const table = new Counter();
    let ntokens = 0;
    let pruneThreshold = 1;
    for await (const batch of tokenizeBatches(source, fn)) {
      for (let i = 0; i < batch.length; i++) {
        table.add(batch[i]!);
        if (table.size > pruneAt) {
          pruneThreshold++;
          const t = pruneThreshold;
          table.filter((_w, c) => c >= t);
        }
      }
      ntokens += batch.length;
    }
    return Vocab.fromCounts(table.words, table.counts, ntokens, { minCount, minCountLabel, maxVocab, prefix });
  }

  /** Sort and threshold counted tokens (first-occurrence order). */
  private static fromCounts(
    tokens: string[],
    counts: number[],
    ntokens: number,
    o: { minCount: number; minCountLabel: number; maxVocab: number; prefix: string },
  ): Vocab {
    const words: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i]!.startsWith(o.prefix)) {
        if (counts[i]! >= o.minCountLabel) labels.push(i);
      } else if (counts[i]! >= o.minCount) {
        words.push(i);
      }
    }
    // Array.prototype.sort is stable: ties keep first-occurrence order.
    const byCount = (a: number, b: number) => counts[b]! - counts[a]!;
    words.sort(byCount);
    labels.sort(byCount);
    if (words.length > o.maxVocab) words.length = o.maxVocab;
    const ids = words.concat(labels);
    const out = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = counts[ids[i]!]!;
    return new Vocab(
      ids.map((i) => tokens[i]!),
      out,
      words.length,
      ntokens,
      o.prefix,
    );
  }

  /**
   * A vocabulary with exactly these entries, in this order (ids are their
   * positions): all words first, then all labels, no duplicates. `ntokens`
   * defaults to the sum of the counts.
   */
  static fromEntries(entries: readonly VocabEntry[], ntokens?: number, labelPrefix = '__label__'): Vocab {
    const fn = 'Vocab.fromEntries';
    const words: string[] = [];
    const counts = new Float64Array(entries.length);
    let nwords = 0;
    let total = 0;
    const seen = new Set<string>();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (typeof e?.word !== 'string')
        throw new ArgumentError(`${fn}: entries[${i}].word must be a string, got ${typeof e?.word}`);
      if (seen.has(e.word))
        throw new ArgumentError(`${fn}: entries must not repeat a word, got ${JSON.stringify(e.word)} twice`);
      seen.add(e.word);
      if (typeof e.count !== 'number' || !(e.count >= 0)) {
        throw new ArgumentError(`${fn}: entries[${i}].count must be a number >= 0, got ${String(e.count)}`);
      }
      if (e.type === 'word') {
        if (nwords !== i)
          throw new ArgumentError(
            `${fn}: entries must list all words before the labels, got word ${JSON.stringify(e.word)} at ${i} after a label`,
          );
        nwords++;
      } else if (e.type !== 'label') {
        throw new ArgumentError(`${fn}: entries[${i}].type must be 'word' or 'label', got ${JSON.stringify(e.type)}`);
      }
      words.push(e.word);
      counts[i] = e.count;
      total += e.count;
    }
    if (ntokens !== undefined && (typeof ntokens !== 'number' || !(ntokens >= 0))) {
      throw new ArgumentError(`${fn}: ntokens must be a number >= 0, got ${String(ntokens)}`);
    }
    return new Vocab(words, counts, nwords, ntokens ?? total, labelPrefix);
  }

  /** Number of entries, words and labels. */
  get size(): number {
    return this.words_.length;
  }

  /** The entries in id order. */
  entries(): VocabEntry[] {
    return this.words_.map((word, i) => ({ word, count: this.counts_[i]!, type: i < this.nwords ? 'word' : 'label' }));
  }

  /** The id of `w`, or -1 when it is not in the vocabulary. */
  id(w: string): number {
    return this.index_.get(w) ?? -1;
  }

  has(w: string): boolean {
    return this.index_.has(w);
  }

  private check(fn: string, id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.words_.length) {
      throw new VocabError(`Vocab.${fn}: id must be an integer in [0, ${this.words_.length}), got ${id}`);
    }
  }

  /** The word or label with this id. */
  word(id: number): string {
    this.check('word', id);
    return this.words_[id]!;
  }

  count(id: number): number {
    this.check('count', id);
    return this.counts_[id]!;
  }

  type(id: number): EntryType {
    this.check('type', id);
    return id < this.nwords ? 'word' : 'label';
  }

  /** The label with label index `i` (id nwords + i), as fastText's getLabel. */
  label(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.nlabels) {
      throw new VocabError(`Vocab.label: index must be an integer in [0, ${this.nlabels}), got ${i}`);
    }
    return this.words_[this.nwords + i]!;
  }

  /** The counts of the words (ids 0..nwords-1) or of the labels, as fastText's getCounts. */
  counts(type: EntryType = 'word'): Float64Array {
    return type === 'word' ? this.counts_.slice(0, this.nwords) : this.counts_.slice(this.nwords);
  }
}

/** Options of `encode`: ids per chunk. */
export interface EncodeOptions {
  /** Ids per yielded chunk (the last may be shorter). Default 65536. */
  chunkTokens?: number;
}

/**
 * The word ids of `source`, in chunks of `chunkTokens` (fresh arrays the
 * caller may keep). Labels and words not in `vocab` are dropped; `</s>` is
 * kept (when it is in the vocabulary) so sentence boundaries survive. A chunk
 * may end inside a sentence.
 */
export async function* encode(
  source: TextSource,
  vocab: Vocab,
  options: EncodeOptions = {},
): AsyncGenerator<Int32Array> {
  const n = checkInt('encode', 'chunkTokens', options.chunkTokens ?? 65536, 1);
  const nwords = vocab.nwords;
  let buf = new Int32Array(n);
  let k = 0;
  for await (const batch of tokenizeBatches(source, 'encode')) {
    for (let i = 0; i < batch.length; i++) {
      const id = vocab.id(batch[i]!);
      if (id < 0 || id >= nwords) continue;
      buf[k++] = id;
      if (k === n) {
        yield buf;
        buf = new Int32Array(n);
        k = 0;
      }
    }
  }
  if (k > 0) yield buf.slice(0, k);
}

/** One line as `encodeLine` gives it: word ids, label indices and the word tokens. */
export interface EncodedLine {
  /** Ids of the known words, `</s>` last (when in the vocabulary). */
  words: Int32Array;
  /** Label indices (id − nwords) of the known labels. */
  labels: Int32Array;
  /** The word tokens (known or not, not labels), `</s>` last: the input of subword and word-n-gram hashing. */
  tokens: string[];
}

/**
 * One line as fastText's supervised reader sees it: the tokens up to the
 * first '\n' (or the end), then `</s>` for the line's end. Known words go to
 * `words`, known labels to `labels`; unknown tokens of the label prefix are
 * dropped, unknown words are dropped from `words` but kept in `tokens`.
 */
export function encodeLine(line: string, vocab: Vocab): EncodedLine {
  const nl = line.indexOf('\n');
  const text = nl < 0 ? line : line.slice(0, nl);
  const words: number[] = [];
  const labels: number[] = [];
  const tokens: string[] = [];
  const all = text.split(/[ \r\t\v\f\0]+/);
  all.push(EOS);
  for (const t of all) {
    if (t === '') continue;
    const id = vocab.id(t);
    const isLabel = id >= 0 ? id >= vocab.nwords : t.startsWith(vocab.labelPrefix);
    if (isLabel) {
      if (id >= 0) labels.push(id - vocab.nwords);
    } else {
      tokens.push(t);
      if (id >= 0) words.push(id);
    }
  }
  return { words: Int32Array.from(words), labels: Int32Array.from(labels), tokens };
}
