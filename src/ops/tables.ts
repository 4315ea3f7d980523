/**
 * The sampling tables the word2vec and fastText kernels read, computed in
 * TypeScript from word (or label) counts: subsampling keep probabilities, the
 * alias table of the unigram^0.75 noise distribution, fastText's label negative
 * table, and the Huffman tree of hierarchical softmax. Pure functions.
 */
import { ArgumentError } from '../core/errors.js';

/**
 * word2vec's keep probability per word: (sqrt(f / (s T)) + 1) (s T) / f with f
 * the word's count and T the total (fastText's sqrt(t / p) + t / p with p = f / T
 * is the same number); ≥ 1 means always kept. Float32 (the kernel compares a
 * 24-bit uniform against it). Words with count 0 (and `eosId`) get 1. T defaults
 * to the sum of the counts without `eosId` (word2vec); fastText passes its
 * token count (every token read, `</s>` and words below minCount included).
 */
export function keepProbabilities(counts: ArrayLike<number>, sample: number, eosId = -1, total?: number): Float32Array {
  if (total === undefined) {
    total = 0;
    for (let i = 0; i < counts.length; i++) if (i !== eosId) total += counts[i]!;
  }
  const keep = new Float32Array(counts.length);
  const st = sample * total;
  for (let i = 0; i < counts.length; i++) {
    const f = counts[i]!;
    keep[i] = i === eosId || f <= 0 ? 1 : ((Math.sqrt(f / st) + 1) * st) / f;
  }
  return keep;
}

/**
 * Vose's alias table for P(i) ∝ counts[i]^power (`exclude`, e.g. EOS, gets 0).
 * prob[i] is the acceptance threshold scaled to 2^32 (u32), alias[i] the
 * fallback; entries that always accept point at themselves. O(V) to build, one
 * multiply and two loads per draw, exact up to 2^-32 (a 1e6-entry unigram table
 * quantises every probability to 1e-6 and takes 4 MB).
 */
export function aliasTable(
  counts: ArrayLike<number>,
  power = 0.75,
  exclude = -1,
): { prob: Uint32Array; alias: Int32Array } {
  const V = counts.length;
  const w = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    w[i] = i === exclude || counts[i]! <= 0 ? 0 : Math.pow(counts[i]!, power);
    sum += w[i]!;
  }
  if (!(sum > 0))
    throw new ArgumentError('aliasTable: counts must have a positive entry besides the excluded id, got none');
  const prob = new Uint32Array(V);
  const alias = new Int32Array(V);
  const p = new Float64Array(V);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < V; i++) {
    p[i] = (w[i]! * V) / sum;
    (p[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large[large.length - 1]!;
    prob[s] = Math.floor(p[s]! * 2 ** 32);
    alias[s] = l;
    p[l] = p[l]! + p[s]! - 1;
    if (p[l]! < 1) {
      large.pop();
      small.push(l);
    }
  }
  for (const i of [...small, ...large]) {
    prob[i] = 0xffffffff;
    alias[i] = i;
  }
  return { prob, alias };
}

/** Huffman codes in CSR form: word w's path is codes/points[offsets[w] .. offsets[w+1]) (root first for word2vec, leaf first for fastText). */
export interface HuffmanTree {
  offsets: Int32Array;
  /** 0/1 branch taken at each inner node. */
  codes: Int32Array;
  /** Inner node ids in [0, V - 1): rows of the output matrix. */
  points: Int32Array;
  maxCodeLength: number;
}

/**
 * Whose Huffman tree to build: the two differ only in tie-breaking and in the
 * order a path is stored, and each kernel needs its own bit for bit.
 *
 * | | `'word2vec'` (SgnsTrainer, assembly/sgns.ts) | `'fasttext'` (supervised labels, assembly/fasttext.ts) |
 * |---|---|---|
 * | equal counts | lower id merges first | higher id merges first |
 * | leaf weighs as much as inner node | leaf first | inner node first |
 * | path order | root first | leaf first |
 * | fewer than 2 entries | throws | empty paths |
 */
export type HuffmanStyle = 'word2vec' | 'fasttext';

/**
 * The Huffman tree of hierarchical softmax over `counts` (words or labels):
 * the two lightest nodes merge first (ties as `style` says); the first picked
 * child gets code 0, the second 1. Inner node k (0-based, in creation order)
 * is output row k; the root is V - 2. O(V log V): the leaves are sorted once,
 * then two queues (leaves by increasing count, inner nodes in creation = weight order).
 */
export function huffmanTree(counts: ArrayLike<number>, style: HuffmanStyle = 'word2vec'): HuffmanTree {
  const V = counts.length;
  const ft = style === 'fasttext';
  if (V < 2) {
    if (ft)
      return { offsets: new Int32Array(V + 1), codes: new Int32Array(0), points: new Int32Array(0), maxCodeLength: 0 };
    throw new ArgumentError(`huffmanTree: counts must have at least 2 words, got ${V}`);
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => counts[a]! - counts[b]! || (ft ? b - a : a - b));
  const weight = new Float64Array(2 * V - 1);
  const parent = new Int32Array(2 * V - 1);
  const bit = new Int32Array(2 * V - 1);
  for (let i = 0; i < V; i++) weight[i] = counts[i]!;
  let li = 0;
  let ni = V;
  // Inner nodes below `next` exist; a leaf wins a tie with one for word2vec, loses it for fastText.
  const pick = (next: number): number => {
    if (li < V && (ni >= next || (ft ? weight[order[li]!]! < weight[ni]! : weight[order[li]!]! <= weight[ni]!)))
      return order[li++]!;
    return ni++;
  };
  for (let k = V; k < 2 * V - 1; k++) {
    const a = pick(k);
    const b = pick(k);
    weight[k] = weight[a]! + weight[b]!;
    parent[a] = k;
    parent[b] = k;
    bit[a] = 0;
    bit[b] = 1;
  }
  const offsets = new Int32Array(V + 1);
  let maxCodeLength = 0;
  for (let w = 0; w < V; w++) {
    let len = 0;
    for (let node = w; node !== 2 * V - 2; node = parent[node]!) len++;
    offsets[w + 1] = offsets[w]! + len;
    maxCodeLength = Math.max(maxCodeLength, len);
  }
  const codes = new Int32Array(offsets[V]!);
  const points = new Int32Array(offsets[V]!);
  for (let w = 0; w < V; w++) {
    // Walk leaf to root, filling from the end of the path (root first) or from its start (leaf first).
    const len = offsets[w + 1]! - offsets[w]!;
    let d = 0;
    for (let node = w; node !== 2 * V - 2; node = parent[node]!, d++) {
      const j = offsets[w]! + (ft ? d : len - 1 - d);
      codes[j] = bit[node]!;
      points[j] = parent[node]! - V;
    }
  }
  return { offsets, codes, points, maxCodeLength };
}

/** Table for negative sampling of labels: label i appears in proportion to count_i^0.5 (fastText). */
export function negativeTable(counts: ArrayLike<number>, size = 100_000): Int32Array {
  let z = 0;
  for (let i = 0; i < counts.length; i++) z += Math.sqrt(counts[i]!);
  const out: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    const k = Math.max(1, Math.round((Math.sqrt(counts[i]!) / z) * size));
    for (let j = 0; j < k; j++) out.push(i);
  }
  return Int32Array.from(out);
}
