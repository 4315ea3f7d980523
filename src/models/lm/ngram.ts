// Interpolated modified Kneser-Ney n-gram language model (Chen & Goodman 1998),
// the baseline of the Bengio et al. (2003) experiment (docs/ngram.md).
//
// Storage: every context (a sequence of up to order-1 ids) is a node of a trie
// walked from the most recent id backwards, so the node of `x h` is a child of
// the node of `h` and one walk from the root visits the contexts of every order.
// The node of a context of length d is used only by the order d+1 model. Trie
// edges live in an open-addressing hash table keyed `parent * K + id` (K =
// vocabSize + 1, exact integers below 2^53: no collisions); the n-gram counts
// are stored per context node, sorted by word (CSR), and found by binary search.

import { checkOptions } from '../../core/check.js';
import { ArgumentError } from '../../core/errors.js';

/** Options of the KneserNey constructor: order, vocabulary size and the padding id. */
export interface KneserNeyOptions {
  /** n >= 1 (3 and 5 are the ones used). */
  order: number;
  /** Ids are in [0, vocabSize). */
  vocabSize: number;
  /** Padding id before the stream start; excluded from the predicted set. Without it an internal pad id is used. */
  bos?: number;
}

/** Open-addressing hash table from integer keys in [0, 2^53) to int32 values (linear probing). */
class IntTable {
  keys: Float64Array;
  vals: Int32Array;
  size = 0;
  private mask: number;

  constructor(capacity = 1024) {
    let cap = 1024;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 13;
    return h & this.mask;
  }

  get(key: number): number {
    const keys = this.keys;
    let i = this.slot(key);
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.vals[i]!;
      if (k === -1) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** Index of `key`, inserting it with value `init` when absent. */
  private find(key: number, init: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let i = this.slot(key);
    for (;;) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === -1) {
        keys[i] = key;
        this.vals[i] = init;
        this.size++;
        return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** The value of `key`, inserting `value` first when absent. */
  getOrInsert(key: number, value: number): number {
    const i = this.find(key, value); // may grow: index this.vals only afterwards
    return this.vals[i]!;
  }

  add(key: number, delta: number): void {
    const i = this.find(key, 0);
    this.vals[i]! += delta;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldK.length * 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oldK.length; j++) {
      const k = oldK[j]!;
      if (k === -1) continue;
      let i = this.slot(k);
      while (this.keys[i] !== -1) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.vals[i] = oldV[j]!;
    }
  }
}

/** floor(key / K) for an exact integer key < 2^53 (corrects the rounding of the float division). */
function nodeOf(key: number, K: number): number {
  let node = Math.floor(key / K);
  if (node * K > key) node--;
  else if ((node + 1) * K <= key) node++;
  return node;
}

/** Growable Int32 array. */
class IntVec {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Modified Kneser-Ney discounts [D1, D2, D3+] from the count-of-counts n1..n4
 * (Chen & Goodman 1998): Y = n1/(n1+2 n2), D1 = 1 − 2Y n2/n1 (= Y), D2 = 2 − 3Y n3/n2,
 * D3+ = 3 − 4Y n4/n3. Degenerate count-of-counts (tiny corpora): Y = 0.5 when
 * n1 = n2 = 0; D2 = D1 when n2 = 0 and D3+ = D2 when n3 = 0 (no n-gram of that
 * count exists, so the value only matters for larger counts); each Dk is then
 * clamped into [0, k] so that no count goes below zero and every distribution
 * sums to 1 exactly.
 */
export function modifiedKnDiscounts(n1: number, n2: number, n3: number, n4: number): [number, number, number] {
  const y = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  const d1 = clamp(y, 1);
  const d2 = n2 > 0 ? clamp(2 - (3 * y * n3) / n2, 2) : d1;
  const d3 = n3 > 0 ? clamp(3 - (4 * y * n4) / n3, 3) : d2;
  return [d1, d2, d3];
}

/**
 * Interpolated modified Kneser-Ney language model over integer ids.
 *
 * P_k(w | h) = max(c_k(hw) − D_k(c_k(hw)), 0) / c_k(h•) + γ_k(h) · P_{k−1}(w | h'), with h' = h minus its
 * oldest id, c_n the raw counts, c_k (k < n) the continuation counts N1+(•hw), c_k(h•) = Σ_w c_k(hw),
 * γ_k(h) = (D1·N1(h•) + D2·N2(h•) + D3+·N3+(h•)) / c_k(h•) and P_0 uniform over the predicted ids
 * (all of [0, vocabSize) but bos). Contexts never seen have γ = 1 (full back-off).
 * Positions before the start of a stream are `bos` (or an internal pad id when bos is undefined),
 * in training as in scoring.
 */
export class KneserNey {
  readonly order: number;
  readonly vocabSize: number;
  readonly bos: number | undefined;
  /** D1, D2, D3+ of each order 1..n (index 0 = unigrams), from count-of-counts on train. */
  readonly discounts: readonly (readonly [number, number, number])[];

  /** Pad id used before the stream start. */
  private readonly pad: number;
  /** Key base: vocabSize + 1 (room for the internal pad id). */
  private readonly base: number;
  /** Number of predicted ids. */
  private readonly nPredicted: number;
  private readonly edges: IntTable;
  /** CSR of the n-grams of each context node: words sorted ascending, their (raw or continuation) counts. */
  private readonly start: Int32Array;
  private readonly words: Int32Array;
  private readonly cnts: Int32Array;
  /** Per node: 1 / c(h•) and γ(h). */
  private readonly invTotal: Float64Array;
  private readonly gamma: Float64Array;
  /** Per node: its depth (= context length). */
  private readonly depth: Uint8Array;
  private readonly ctxScratch: Int32Array;

  private constructor(
    options: { order: number; vocabSize: number; bos: number | undefined },
    parts: {
      discounts: [number, number, number][];
      edges: IntTable;
      start: Int32Array;
      words: Int32Array;
      cnts: Int32Array;
      invTotal: Float64Array;
      gamma: Float64Array;
      depth: Uint8Array;
    },
  ) {
    this.order = options.order;
    this.vocabSize = options.vocabSize;
    this.bos = options.bos;
    this.pad = options.bos ?? options.vocabSize;
    this.base = options.vocabSize + 1;
    this.nPredicted = options.vocabSize - (options.bos === undefined ? 0 : 1);
    this.discounts = parts.discounts;
    this.edges = parts.edges;
    this.start = parts.start;
    this.words = parts.words;
    this.cnts = parts.cnts;
    this.invTotal = parts.invTotal;
    this.gamma = parts.gamma;
    this.depth = parts.depth;
    this.ctxScratch = new Int32Array(Math.max(1, this.order));
  }

  /** Count the n-grams of `train` (BOS-padded) and compute discounts and interpolation weights. */
  static fit(train: ArrayLike<number>, options: KneserNeyOptions): KneserNey {
    const fn = 'KneserNey.fit';
    checkOptions(fn, 'options', options, ['order', 'vocabSize', 'bos']);
    const { order, vocabSize, bos } = options;
    if (!Number.isInteger(order) || order < 1 || order > 255) {
      throw new ArgumentError(`${fn}: options.order must be an integer >= 1, got ${String(order)}`);
    }
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 24) {
      throw new ArgumentError(`${fn}: options.vocabSize must be an integer in [1, 2^24], got ${String(vocabSize)}`);
    }
    if (bos !== undefined && (!Number.isInteger(bos) || bos < 0 || bos >= vocabSize)) {
      throw new ArgumentError(
        `${fn}: options.bos must be an integer in [0, ${vocabSize}) or undefined, got ${String(bos)}`,
      );
    }
    if (bos !== undefined && vocabSize < 2) {
      throw new ArgumentError(
        `${fn}: options.vocabSize must be >= 2 when bos is set (bos is never predicted), got ${vocabSize}`,
      );
    }
    if (train === null || typeof train !== 'object' || typeof train.length !== 'number') {
      throw new ArgumentError(`${fn}: train must be an array of ids, got ${String(train)}`);
    }
    const n = train.length;
    for (let t = 0; t < n; t++) {
      const w = train[t]!;
      if (!Number.isInteger(w) || w < 0 || w >= vocabSize) {
        throw new ArgumentError(`${fn}: train[${t}] must be an integer id in [0, ${vocabSize}), got ${String(w)}`);
      }
      if (w === bos)
        throw new ArgumentError(`${fn}: train[${t}] must not be the bos id ${bos} (bos is never a target), got ${w}`);
    }
    const K = vocabSize + 1;
    const pad = bos ?? vocabSize;
    // node ids are int32 and node * K + id must stay an exact integer
    const maxNodes = n * (order - 1) + 1;
    if (maxNodes >= 2 ** 31 || maxNodes * K >= 2 ** 53) {
      throw new ArgumentError(
        `${fn}: train.length * (order - 1) must be < 2^31 and times (vocabSize + 1) < 2^53, got ${n} * ${order - 1}`,
      );
    }

    // 1. Trie of contexts and raw counts of the highest order.
    const edges = new IntTable(Math.max(1024, Math.min(n * (order - 1), 1 << 24)));
    const parent = new IntVec();
    const depthV = new IntVec();
    parent.push(-1);
    depthV.push(0);
    // tables[k - 1]: counts of the k-grams, keyed node(h) * K + w
    const tables: IntTable[] = [];
    for (let k = 1; k <= order; k++) tables.push(new IntTable(k === order ? n : 1024));
    const top = tables[order - 1]!;
    for (let t = 0; t < n; t++) {
      let node = 0;
      for (let d = 1; d < order; d++) {
        const x = t - d >= 0 ? train[t - d]! : pad;
        const key = node * K + x;
        let child = edges.get(key);
        if (child < 0) {
          child = parent.length;
          edges.getOrInsert(key, child);
          parent.push(node);
          depthV.push(d);
        }
        node = child;
      }
      top.add(node * K + train[t]!, 1);
    }
    const numNodes = parent.length;
    const par = parent.data;

    // 2. Continuation counts: c_k(hw) = number of distinct x with x h w a (k+1)-gram of train.
    for (let k = order - 1; k >= 1; k--) {
      const src = tables[k]!;
      const dst = tables[k - 1]!;
      const keys = src.keys;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (key === -1) continue;
        const node = nodeOf(key, K);
        dst.add(par[node]! * K + (key - node * K), 1);
      }
    }

    // 3. Sorted CSR of all n-grams (each node belongs to one order), discounts, γ.
    let total = 0;
    for (const tb of tables) total += tb.size;
    const sorted = new Float64Array(total);
    let m = 0;
    for (const tb of tables) {
      const keys = tb.keys;
      for (let i = 0; i < keys.length; i++) if (keys[i] !== -1) sorted[m++] = keys[i]!;
    }
    sorted.sort();
    const start = new Int32Array(numNodes + 1);
    const words = new Int32Array(total);
    const cnts = new Int32Array(total);
    const depth = new Uint8Array(numNodes);
    for (let i = 0; i < numNodes; i++) depth[i] = depthV.data[i]!;
    for (let i = 0; i < total; i++) {
      const key = sorted[i]!;
      const node = nodeOf(key, K);
      start[node + 1]!++;
      words[i] = key - node * K;
      cnts[i] = tables[depth[node]!]!.get(key);
    }
    for (let i = 0; i < numNodes; i++) start[i + 1]! += start[i]!;

    const discounts: [number, number, number][] = [];
    for (let k = 1; k <= order; k++) {
      const cc = [0, 0, 0, 0, 0];
      const vals = tables[k - 1]!.vals;
      const keys = tables[k - 1]!.keys;
      for (let i = 0; i < keys.length; i++) {
        if (keys[i] === -1) continue;
        const c = vals[i]!;
        if (c <= 4) cc[c]!++;
      }
      discounts.push(modifiedKnDiscounts(cc[1]!, cc[2]!, cc[3]!, cc[4]!));
    }
    const invTotal = new Float64Array(numNodes);
    const gamma = new Float64Array(numNodes);
    for (let node = 0; node < numNodes; node++) {
      const [d1, d2, d3] = discounts[depth[node]!]!;
      let sum = 0;
      let g = 0;
      for (let i = start[node]!; i < start[node + 1]!; i++) {
        const c = cnts[i]!;
        sum += c;
        g += c === 1 ? d1 : c === 2 ? d2 : d3;
      }
      // sum > 0 for every node but the root of an empty train stream: full back-off there
      invTotal[node] = sum > 0 ? 1 / sum : 0;
      gamma[node] = sum > 0 ? g / sum : 1;
    }
    return new KneserNey({ order, vocabSize, bos }, { discounts, edges, start, words, cnts, invTotal, gamma, depth });
  }

  /** Fills ctxScratch with the node of each context length 0..m and returns m (the longest known context). */
  private walk(get: (d: number) => number): number {
    const nodes = this.ctxScratch;
    nodes[0] = 0;
    let node = 0;
    let d = 1;
    for (; d < this.order; d++) {
      const child = this.edges.get(node * this.base + get(d));
      if (child < 0) break;
      nodes[d] = node = child;
    }
    return d - 1;
  }

  private checkContext(fn: string, context: ArrayLike<number>): void {
    if (context === null || typeof context !== 'object' || typeof context.length !== 'number') {
      throw new ArgumentError(`${fn}: context must be an array of ids, got ${String(context)}`);
    }
    const len = context.length;
    for (let i = Math.max(0, len - this.order + 1); i < len; i++) {
      const x = context[i]!;
      if (!Number.isInteger(x) || x < 0 || x >= this.vocabSize) {
        throw new ArgumentError(
          `${fn}: context[${i}] must be an integer id in [0, ${this.vocabSize}), got ${String(x)}`,
        );
      }
    }
  }

  private walkContext(context: ArrayLike<number>): number {
    const len = context.length;
    return this.walk((d) => (len - d >= 0 ? context[len - d]! : this.pad));
  }

  /** P over the orders 1..m+1 for word w, given the nodes in ctxScratch. */
  private probAt(m: number, w: number): number {
    const { start, words, cnts, invTotal, gamma, discounts } = this;
    let p = 1 / this.nPredicted;
    for (let d = 0; d <= m; d++) {
      const node = this.ctxScratch[d]!;
      let lo = start[node]!;
      let hi = start[node + 1]! - 1;
      let c = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const x = words[mid]!;
        if (x === w) {
          c = cnts[mid]!;
          break;
        }
        if (x < w) lo = mid + 1;
        else hi = mid - 1;
      }
      let a = 0;
      if (c > 0) {
        const dk = discounts[d]!;
        a = (c - (c === 1 ? dk[0] : c === 2 ? dk[1] : dk[2])) * invTotal[node]!;
      }
      p = a + gamma[node]! * p;
    }
    return p;
  }

  /** P(word | the last order−1 ids of context); a shorter context is BOS-padded on the left. */
  prob(context: ArrayLike<number>, word: number): number {
    this.checkContext('KneserNey.prob', context);
    if (!Number.isInteger(word) || word < 0 || word >= this.vocabSize) {
      throw new ArgumentError(
        `KneserNey.prob: word must be an integer id in [0, ${this.vocabSize}), got ${String(word)}`,
      );
    }
    if (word === this.bos) return 0;
    return this.probAt(this.walkContext(context), word);
  }

  /** The distribution over [0, vocabSize) after context (bos entry 0); O(vocabSize + n-grams of the contexts). */
  probs(context: ArrayLike<number>, out?: Float64Array): Float64Array {
    this.checkContext('KneserNey.probs', context);
    if (out === undefined) out = new Float64Array(this.vocabSize);
    else if (!(out instanceof Float64Array) || out.length !== this.vocabSize) {
      throw new ArgumentError(
        `KneserNey.probs: out must be a Float64Array of length ${this.vocabSize}, got ${out instanceof Float64Array ? `length ${out.length}` : String(out)}`,
      );
    }
    const m = this.walkContext(context);
    const { start, words, cnts, invTotal, gamma, discounts } = this;
    // Unnormalised running scale: out holds P_k / scale to avoid rescaling the whole vector at each order.
    out.fill(1 / this.nPredicted);
    let scale = 1;
    for (let d = 0; d <= m; d++) {
      const node = this.ctxScratch[d]!;
      const g = gamma[node]!;
      const inv = invTotal[node]!;
      const [d1, d2, d3] = discounts[d]!;
      scale *= g;
      if (scale === 0 || scale < 1e-250) {
        for (let i = 0; i < out.length; i++) out[i]! *= scale;
        scale = 1;
      }
      for (let i = start[node]!; i < start[node + 1]!; i++) {
        const c = cnts[i]!;
        out[words[i]!]! += ((c - (c === 1 ? d1 : c === 2 ? d2 : d3)) * inv) / scale;
      }
    }
    if (scale !== 1) for (let i = 0; i < out.length; i++) out[i]! *= scale;
    if (this.bos !== undefined) out[this.bos] = 0;
    return out;
  }

  /** P of each token of stream given its preceding ids (BOS-padded). */
  tokenProbs(stream: ArrayLike<number>): Float64Array {
    const fn = 'KneserNey.tokenProbs';
    if (stream === null || typeof stream !== 'object' || typeof stream.length !== 'number') {
      throw new ArgumentError(`${fn}: stream must be an array of ids, got ${String(stream)}`);
    }
    const n = stream.length;
    for (let t = 0; t < n; t++) {
      const w = stream[t]!;
      if (!Number.isInteger(w) || w < 0 || w >= this.vocabSize) {
        throw new ArgumentError(
          `${fn}: stream[${t}] must be an integer id in [0, ${this.vocabSize}), got ${String(w)}`,
        );
      }
    }
    const out = new Float64Array(n);
    const pad = this.pad;
    for (let t = 0; t < n; t++) {
      const w = stream[t]!;
      if (w === this.bos) continue;
      const m = this.walk((d) => (t - d >= 0 ? stream[t - d]! : pad));
      out[t] = this.probAt(m, w);
    }
    return out;
  }

  /** exp(−mean ln P) over the tokens of stream. */
  perplexity(stream: ArrayLike<number>): number {
    const p = this.tokenProbs(stream);
    if (p.length === 0) throw new ArgumentError('KneserNey.perplexity: stream must be non-empty, got length 0');
    let s = 0;
    for (let i = 0; i < p.length; i++) s += Math.log(p[i]!);
    return Math.exp(-s / p.length);
  }

  /** Number of stored n-grams of order k (1..order), for tests and reports. */
  size(k: number): number {
    if (!Number.isInteger(k) || k < 1 || k > this.order) {
      throw new ArgumentError(`KneserNey.size: k must be an integer in [1, ${this.order}], got ${String(k)}`);
    }
    let s = 0;
    for (let node = 0; node < this.depth.length; node++)
      if (this.depth[node] === k - 1) s += this.start[node + 1]! - this.start[node]!;
    return s;
  }
}
