// Cosine queries over word vectors (nearest neighbours, analogies), shared by Word2Vec,
// FastText and the CLI's nn/analogies.
import { ArgumentError, VocabError } from '../../core/errors.js';

/** The rows of `data` (rows x dim) scaled to unit L2 norm; zero rows stay zero. */
export function unitRows(data: Float32Array, dim: number): Float32Array {
  const u = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += dim) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += data[i + c]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dim; c++) u[i + c] = data[i + c]! * inv;
  }
  return u;
}

/**
 * The k rows of `unit` (from unitRows) with the highest cosine to `q`, best
 * first (ties keep the lower row), skipping rows for which `skip(row)` is true.
 */
export function topCosine(
  unit: Float32Array,
  dim: number,
  q: ArrayLike<number>,
  k: number,
  skip: (row: number) => boolean,
): { row: number; score: number }[] {
  let qn = 0;
  for (let c = 0; c < dim; c++) qn += q[c]! ** 2;
  const inv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
  const best: { row: number; score: number }[] = [];
  const rows = unit.length / dim;
  for (let i = 0; i < rows; i++) {
    if (skip(i)) continue;
    let s = 0;
    const o = i * dim;
    for (let c = 0; c < dim; c++) s += q[c]! * unit[o + c]!;
    s *= inv;
    if (best.length === k && s <= best[k - 1]!.score) continue;
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && best[j - 1]!.score < s) j--;
    best.splice(j, 0, { row: i, score: s });
    if (best.length > k) best.pop();
  }
  return best;
}

/** A word and its cosine similarity, as `mostSimilar` and `analogy` return them. */
export interface Neighbour {
  word: string;
  /** Cosine similarity. */
  score: number;
}

/** Options of a WordVectors query object. */
export interface WordVectorsOptions {
  /** Rows never returned (for example `</s>`). */
  skipRows?: readonly number[];
  /** The vector of any word, in vocabulary or not (fastText's sub-word vectors); default: the word's row, unknown words a VocabError. */
  lookup?: (word: string) => ArrayLike<number>;
  /**
   * How query vectors are added up: 'float64' (default) or 'float32', native fastText's
   * arithmetic (unit vector x / |x|, summed into a float32 vector), for output that matches
   * its `nn` and `analogies` digit for digit.
   */
  arithmetic?: 'float64' | 'float32';
  /** Names the caller in errors; default 'WordVectors'. */
  name?: string;
}

/**
 * Cosine queries over a table of word vectors: the one implementation of nearest
 * neighbours and analogies that Word2Vec, FastText, NeuralLM and the CLI's `nn` and
 * `analogies` use. Rows are normalised once, on the first query.
 */
export class WordVectors {
  private unit: Float32Array | undefined;
  private readonly index = new Map<string, number>();
  private readonly skip: Set<number>;

  constructor(
    readonly words: readonly string[],
    readonly dim: number,
    readonly data: Float32Array,
    private readonly options: WordVectorsOptions = {},
  ) {
    words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
    this.skip = new Set(options.skipRows ?? []);
  }

  /** True if `word` has a row. */
  has(word: string): boolean {
    return this.index.has(word);
  }

  /** The vector of `word` (a copy of its row, or the lookup's). */
  vector(word: string, fn = `${this.options.name ?? 'WordVectors'}.vector`): ArrayLike<number> {
    if (typeof word !== 'string') throw new ArgumentError(`${fn}: word must be a string, got ${typeof word}`);
    if (this.options.lookup !== undefined) return this.options.lookup(word);
    const id = this.index.get(word);
    if (id === undefined) throw new VocabError(`${fn}: word must be in the vocabulary, got ${JSON.stringify(word)}`);
    return this.data.slice(id * this.dim, (id + 1) * this.dim);
  }

  /** Σ sign · unit(vector(word)) over `terms`: the query of mostSimilar (one term) and analogies. */
  combine(
    terms: readonly (readonly [string, number])[],
    fn = `${this.options.name ?? 'WordVectors'}.combine`,
  ): Float64Array | Float32Array {
    if (this.options.arithmetic === 'float32') {
      const v = new Float32Array(this.dim);
      for (const [w, s] of terms) {
        const x = this.vector(w, fn);
        let n = 0;
        for (let j = 0; j < this.dim; j++) n += x[j]! * x[j]!;
        n = Math.sqrt(n) || 1;
        for (let j = 0; j < this.dim; j++) v[j]! += (s * x[j]!) / n;
      }
      return v;
    }
    const q = new Float64Array(this.dim);
    for (const [w, s] of terms) {
      const x = this.vector(w, fn);
      let n = 0;
      for (let j = 0; j < this.dim; j++) n += x[j]! * x[j]!;
      const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
      for (let j = 0; j < this.dim; j++) q[j]! += s * (x[j]! * inv);
    }
    return q;
  }

  /** The k words with the highest cosine to the vector `q`, best first, skipping `exclude`. */
  nearest(
    q: ArrayLike<number>,
    k: number,
    exclude: ReadonlySet<string> = new Set(),
    fn = `${this.options.name ?? 'WordVectors'}.nearest`,
  ): Neighbour[] {
    if (!(Number.isInteger(k) && k >= 1)) throw new ArgumentError(`${fn}: k must be an integer >= 1, got ${k}`);
    if (q.length !== this.dim) throw new ArgumentError(`${fn}: q must have length ${this.dim}, got ${q.length}`);
    this.unit ??= unitRows(this.data, this.dim);
    return topCosine(this.unit, this.dim, q, k, (i) => this.skip.has(i) || exclude.has(this.words[i]!)).map((n) => ({
      word: this.words[n.row]!,
      score: n.score,
    }));
  }

  /** The k words nearest to `word` by cosine (the word itself excluded). */
  mostSimilar(word: string, k = 10): Neighbour[] {
    const fn = `${this.options.name ?? 'WordVectors'}.mostSimilar`;
    return this.nearest(this.combine([[word, 1]], fn), k, new Set([word]), fn);
  }

  /** "a is to b as c is to ?": the k words nearest to unit(b) − unit(a) + unit(c), the three excluded (word2vec's rule). */
  analogy(a: string, b: string, c: string, k = 10): Neighbour[] {
    const fn = `${this.options.name ?? 'WordVectors'}.analogy`;
    return this.nearest(
      this.combine(
        [
          [b, 1],
          [a, -1],
          [c, 1],
        ],
        fn,
      ),
      k,
      new Set([a, b, c]),
      fn,
    );
  }
}
