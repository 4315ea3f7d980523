/**
 * word2vec: skip-gram and CBOW word vectors trained with negative sampling or
 * hierarchical softmax by the Wasm kernel of assembly/sgns.ts, plus the usual
 * queries (nearest neighbours, analogies). The text path (tokenising, Vocab)
 * feeds `trainIds`; a model can also be made from trained vectors with
 * `Word2Vec.fromTrained`. See docs/word2vec.md.
 */
import { ArgumentError, ShapeError, VocabError } from '../../core/errors.js';
import { chunkPass } from '../../train/batches.js';
import type { Progress } from '../../train/progress.js';
import { checkLr, checkOptionKeys } from '../../train/options.js';
import { TrainingSession } from '../../train/session.js';
import { rt } from '../../core/runtime.js';
import { Tensor } from '../../core/tensor.js';
import { readVec, writeVec } from '../../io/vec.js';
import { readWord2VecBin, writeWord2VecBin } from '../../io/word2vec-bin.js';
import { WordVectors, type Neighbour } from './word-vectors.js';
export type { Neighbour } from './word-vectors.js';
import { SgnsTrainer } from './sgns-trainer.js';
import { EOS, type TextSource } from '../../text/tokenize.js';
import { Vocab, encode } from '../../text/vocab.js';

/** Options of the Word2Vec constructor (word2vec.c's arguments). */
export interface Word2VecOptions {
  /** Vector size; default 100. */
  dim?: number;
  /** Maximum context distance; default 5. */
  window?: number;
  /** Negative samples per pair (loss 'ns'); default 5. */
  negative?: number;
  /** Subsampling threshold; default 1e-3; 0 disables. */
  sample?: number;
  /** Words rarer than this are dropped; default 5. */
  minCount?: number;
  /** Passes over the data; default 5. */
  epochs?: number;
  /** Initial learning rate; default 0.025 (skip-gram) or 0.05 (CBOW). */
  lr?: number;
  /** default 'skipgram'. */
  model?: 'skipgram' | 'cbow';
  /** default 'ns' (negative sampling); 'hs' = hierarchical softmax. */
  loss?: 'ns' | 'hs';
  /** default 1. */
  seed?: number;
}

/** The vocabulary of the ids given to `trainIds`: word strings, counts and the end-of-sentence id (-1: none). */
export interface TrainVocab {
  words: readonly string[];
  counts: ArrayLike<number>;
  eosId: number;
}

/** Options of `Word2Vec.train`: the progress callback, threads, the stop signal. */
export interface Word2VecTrainOptions {
  /**
   * Called about every 0.1 s of training and once at the end (`epochEnd` true). A step is one
   * input word (`itemsPerSec` in words, all threads; `threadItemsPerSec` per thread); `loss` is
   * the mean per (input, output word) pair since the previous report.
   */
  onProgress?: (p: Progress) => void;
  /**
   * Threads to train on; default 1 (the main thread: deterministic, the same
   * vectors in every runtime). n > 1 trains hogwild on n workers of the pool
   * and needs `init({ threads: m })` with m >= n. See docs/word2vec.md "Threads".
   */
  threads?: number;
  /**
   * Stops training early: checked between kernel calls (pieces of at most 65,536 ids, about 0.1 s;
   * with threads > 1, between groups of threads × 65,536 ids). Once it is aborted, training ends at
   * the next check, the model keeps the vectors trained so far, the last progress is reported and
   * the result has `aborted: true`. Already aborted: nothing is trained (the model holds the
   * initial random vectors). Training yields a macrotask to the event loop about every 50 ms so an
   * abort from a message or a timer gets through. A signal that never aborts changes nothing
   * (bit-identical vectors). See docs/models.md "Stopping training".
   */
  signal?: AbortSignal;
}

/** What `Word2Vec.train` returns: words processed, time, speed, mean loss, threads. */
export interface Word2VecTrainResult {
  /** Raw tokens processed (epochs included, EOS and dropped words excluded). */
  words: number;
  seconds: number;
  wordsPerSec: number;
  /** Mean loss per pair over the run. */
  loss: number;
  /** Threads that trained (the `threads` option). */
  threads: number;
  /** True when the `signal` ended training before all epochs. */
  aborted: boolean;
}

type Resolved = Required<Omit<Word2VecOptions, 'lr'>> & { lr: number };

/** The keys Word2VecOptions may have. */
const OPTION_KEYS: readonly string[] = [
  'dim',
  'window',
  'negative',
  'sample',
  'minCount',
  'epochs',
  'lr',
  'model',
  'loss',
  'seed',
];
/** The keys Word2VecTrainOptions may have. */
const TRAIN_OPTION_KEYS: readonly string[] = ['onProgress', 'threads', 'signal'];

function resolve(o: Word2VecOptions): Resolved {
  const fn = 'Word2Vec';
  checkOptionKeys(fn, o, OPTION_KEYS);
  const model = o.model ?? 'skipgram';
  if (model !== 'skipgram' && model !== 'cbow')
    throw new ArgumentError(`${fn}: model must be 'skipgram' or 'cbow', got ${String(model)}`);
  const loss = o.loss ?? 'ns';
  if (loss !== 'ns' && loss !== 'hs') throw new ArgumentError(`${fn}: loss must be 'ns' or 'hs', got ${String(loss)}`);
  const r: Resolved = {
    dim: o.dim ?? 100,
    window: o.window ?? 5,
    negative: o.negative ?? 5,
    sample: o.sample ?? 1e-3,
    minCount: o.minCount ?? 5,
    epochs: o.epochs ?? 5,
    lr: o.lr ?? (model === 'cbow' ? 0.05 : 0.025),
    model,
    loss,
    seed: o.seed ?? 1,
  };
  const intIn = (k: keyof Resolved, lo: number, hi: number) => {
    const v = r[k] as number;
    if (!(Number.isInteger(v) && v >= lo && v <= hi))
      throw new ArgumentError(`${fn}: ${k} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  };
  intIn('dim', 1, 1 << 16);
  intIn('window', 1, 1000);
  intIn('negative', 0, 1000);
  intIn('minCount', 1, Number.MAX_SAFE_INTEGER);
  intIn('epochs', 1, 1_000_000);
  intIn('seed', 0, Number.MAX_SAFE_INTEGER);
  if (!(r.sample >= 0 && Number.isFinite(r.sample)))
    throw new ArgumentError(`${fn}: sample must be a finite number >= 0, got ${r.sample}`);
  checkLr(fn, 'lr', r.lr);
  if (loss === 'ns' && r.negative === 0) throw new ArgumentError(`${fn}: negative must be >= 1 for loss 'ns', got 0`);
  return r;
}

/** word2vec skip-gram / CBOW. `threads: 1`: the same seed gives the same vectors in every runtime. */
export class Word2Vec {
  readonly options: Readonly<Resolved>;
  private _words: string[] = [];
  private index = new Map<string, number>();
  private W: Float32Array = new Float32Array(0);
  /** Row-normalised copy of W for cosine queries, made on first use. */
  private queries: WordVectors | undefined;
  private eos = -1;

  constructor(options: Word2VecOptions = {}) {
    this.options = Object.freeze(resolve(options));
  }

  /** A model from trained vectors: `vectors` is [words.length, dim] row-major (copied). */
  static fromTrained(words: readonly string[], vectors: Float32Array, options: Word2VecOptions = {}): Word2Vec {
    const m = new Word2Vec(options);
    const dim = m.options.dim;
    if (!(vectors instanceof Float32Array) || vectors.length !== words.length * dim) {
      throw new ShapeError(
        `Word2Vec.fromTrained: vectors must be a Float32Array of ${words.length} x ${dim}, got ${vectors?.length}`,
      );
    }
    m.setWords(words, -1);
    m.W = vectors.slice();
    return m;
  }

  /** Vocabulary of the trained model (frequency order of the training vocab, rare words dropped). */
  get words(): readonly string[] {
    return this._words;
  }

  /** The vectors as a `.vec` text file (header "n dim", one word per line), as word2vec -binary 0 and fastText write. */
  toVec(): Uint8Array {
    return writeVec({ words: [...this._words], dim: this.dim, data: this.W });
  }

  /** The vectors in word2vec's C binary format (-binary 1). */
  toWord2VecBin(): Uint8Array {
    return writeWord2VecBin({ words: [...this._words], dim: this.dim, data: this.W });
  }

  /** A model from a `.vec` file (ours, word2vec's or fastText's), for queries. */
  static fromVec(bytes: Uint8Array | string): Word2Vec {
    const wv = readVec(bytes);
    return Word2Vec.fromTrained(wv.words, wv.data, { dim: wv.dim });
  }

  /** A model from a word2vec C binary file. */
  static fromWord2VecBin(bytes: Uint8Array): Word2Vec {
    const wv = readWord2VecBin(bytes);
    return Word2Vec.fromTrained(wv.words, wv.data, { dim: wv.dim });
  }

  get dim(): number {
    return this.options.dim;
  }

  /** A copy of the input vectors, [words.length, dim] row-major. */
  get vectors(): Float32Array {
    return this.W.slice();
  }

  private setWords(words: readonly string[], eos: number): void {
    this._words = [...words];
    this.index = new Map();
    this._words.forEach((w, i) => {
      if (typeof w !== 'string') throw new ArgumentError(`Word2Vec: words[${i}] must be a string, got ${typeof w}`);
      if (this.index.has(w))
        throw new ArgumentError(`Word2Vec: words must be distinct, got ${JSON.stringify(w)} twice`);
      this.index.set(w, i);
    });
    this.eos = eos;
    this.queries = undefined;
  }

  /**
   * Train on text: whitespace-separated tokens, one sentence per line (the
   * native tools' reading). The vocabulary is counted in a first pass (words
   * seen fewer than `minCount` times are dropped, `</s>` ends each line) and the
   * text is encoded to int32 ids in chunks in a second, so `text` is read twice:
   * pass a string or bytes, or a function that returns a fresh stream each time
   * (for files too large to hold as one string).
   */
  async train(text: TextSource | (() => TextSource), options: Word2VecTrainOptions = {}): Promise<Word2VecTrainResult> {
    const fn = 'Word2Vec.train';
    rt(fn);
    checkOptionKeys(fn, options, TRAIN_OPTION_KEYS);
    const source = typeof text === 'function' ? text : () => text;
    const vocab = await Vocab.build(source(), { minCount: this.options.minCount });
    if (vocab.nlabels > 0) {
      throw new ArgumentError(
        `${fn}: text must not contain labels for word vectors, got ${vocab.nlabels} (e.g. ${JSON.stringify(vocab.word(vocab.nwords))})`,
      );
    }
    const chunks: Int32Array[] = [];
    for await (const c of encode(source(), vocab)) chunks.push(c);
    const words = Array.from({ length: vocab.nwords }, (_, i) => vocab.word(i));
    return this.trainIds(chunks, { words, counts: vocab.counts('word'), eosId: vocab.id(EOS) }, options);
  }

  /**
   * Train on int32 ids (one array or several chunks, in order; ids index
   * `vocab.words`, `vocab.eosId` ends a sentence). Words with a count below
   * `minCount` are dropped from the vocabulary and from the stream (the EOS
   * word is kept). Replaces any earlier vectors.
   */
  async trainIds(
    ids: Int32Array | readonly Int32Array[],
    vocab: TrainVocab,
    options: Word2VecTrainOptions = {},
  ): Promise<Word2VecTrainResult> {
    const fn = 'Word2Vec.trainIds';
    rt(fn);
    const o = this.options;
    const chunks = ids instanceof Int32Array ? [ids] : ids;
    if (!Array.isArray(chunks) || chunks.some((c) => !(c instanceof Int32Array))) {
      throw new ArgumentError(`${fn}: ids must be an Int32Array or an array of Int32Array chunks, got ${typeof ids}`);
    }
    if (vocab === null || typeof vocab !== 'object' || !Array.isArray(vocab.words)) {
      throw new ArgumentError(
        `${fn}: vocab must be { words, counts, eosId }, got ${vocab === null ? 'null' : typeof vocab}`,
      );
    }
    const Vin = vocab.words.length;
    if (vocab.counts?.length !== Vin)
      throw new ShapeError(
        `${fn}: vocab.counts must have ${Vin} entries like vocab.words, got ${vocab.counts?.length}`,
      );
    const eosIn = vocab.eosId;
    if (!(Number.isInteger(eosIn) && eosIn >= -1 && eosIn < Vin))
      throw new ArgumentError(`${fn}: vocab.eosId must be -1 or an id in [0, ${Vin}), got ${eosIn}`);
    checkOptionKeys(fn, options, TRAIN_OPTION_KEYS);
    const session = new TrainingSession(fn, options);
    const threads = session.threads;

    // Keep words with count >= minCount (and EOS), in the given order.
    const remap = new Int32Array(Vin).fill(-1);
    const words: string[] = [];
    const counts: number[] = [];
    for (let i = 0; i < Vin; i++) {
      const c = vocab.counts[i]!;
      if (!(c >= 0 && Number.isFinite(c)))
        throw new ArgumentError(`${fn}: vocab.counts[${i}] must be a finite number >= 0, got ${c}`);
      if (i === eosIn || c >= o.minCount) {
        remap[i] = words.length;
        words.push(vocab.words[i]!);
        counts.push(c);
      }
    }
    const eos = eosIn >= 0 ? remap[eosIn]! : -1;
    const V = words.length;
    if (V - (eos >= 0 ? 1 : 0) < 1)
      throw new VocabError(`${fn}: vocab must have a word with count >= minCount (${o.minCount}), got none`);
    if (o.loss === 'hs' && V < 2)
      throw new VocabError(`${fn}: vocab must have at least 2 words for loss 'hs', got ${V}`);
    // Remap once (dropping rare words), checking ids, and count the raw tokens.
    const mapped: Int32Array[] = [];
    let tokens = 0;
    for (let k = 0; k < chunks.length; k++) {
      const c = chunks[k]!;
      const out = new Int32Array(c.length);
      let m = 0;
      for (let i = 0; i < c.length; i++) {
        const id = c[i]!;
        if (!(id >= 0 && id < Vin))
          throw new ArgumentError(
            `${fn}: ids${chunks.length > 1 ? `[${k}]` : ''}[${i}] must be in [0, ${Vin}), got ${id}`,
          );
        const t = remap[id]!;
        if (t < 0) continue;
        out[m++] = t;
        if (t !== eos) tokens++;
      }
      mapped.push(out.subarray(0, m));
    }
    if (tokens === 0) throw new ArgumentError(`${fn}: ids must contain a word with count >= minCount, got none`);

    const dim = o.dim;
    const total = tokens * o.epochs;
    const win = Tensor.rand([V, dim], { seed: o.seed, stream: 1 });
    let wout: Tensor | undefined;
    let tr: SgnsTrainer | undefined;
    let lastLoss = 0,
      lastPairs = 0,
      lastValue = 0,
      epoch = 0;
    session.start({ epochs: o.epochs, steps: total });
    try {
      // word2vec's initialisation: input rows uniform in [-0.5/dim, 0.5/dim), output rows 0.
      const v = win.view();
      for (let i = 0; i < v.length; i++) v[i] = (v[i]! - 0.5) / dim;
      wout = Tensor.zeros([o.loss === 'hs' ? V - 1 : V, dim]);
      tr = new SgnsTrainer(win, wout, {
        window: o.window,
        negative: o.negative,
        model: o.model,
        loss: o.loss,
        sample: o.sample,
        lr: o.lr,
        totalWords: total,
        seed: o.seed,
        eosId: eos,
        counts,
      });
      const trainer = tr;
      const report = (force: boolean) =>
        session.report(force, trainer.stats.processed, () => {
          const s = trainer.stats;
          const pairs = s.lossCount - lastPairs;
          if (pairs > 0) lastValue = (s.lossSum - lastLoss) / pairs;
          lastLoss = s.lossSum;
          lastPairs = s.lossCount;
          const threadItems = threads > 1 ? trainer.threadStats.map((x) => x.processed) : [s.processed];
          return { epoch: epoch + 1, step: s.processed, lr: s.lr, loss: lastValue, threadItems };
        });
      const after = session.reporting ? () => report(false) : undefined;
      let aborted = false;
      for (epoch = 0; epoch < o.epochs && !aborted; epoch++)
        aborted = await chunkPass(tr, mapped, threads, eos, after, session.signal, session.host);
      epoch = Math.min(epoch, o.epochs) - 1;
      report(true);
      const s = tr.stats;
      this.setWords(words, eos);
      this.W = win.toArray() as Float32Array;
      const seconds = session.elapsedSec();
      return {
        words: s.processed,
        seconds,
        wordsPerSec: s.processed / Math.max(seconds, 1e-9),
        loss: s.lossCount > 0 ? s.lossSum / s.lossCount : 0,
        threads,
        aborted,
      };
    } finally {
      session.close();
      tr?.dispose();
      wout?.dispose();
      win.dispose();
    }
  }

  private idOf(fn: string, word: string): number {
    if (typeof word !== 'string') throw new ArgumentError(`${fn}: word must be a string, got ${typeof word}`);
    const id = this.index.get(word);
    if (id === undefined) throw new VocabError(`${fn}: word must be in the vocabulary, got ${JSON.stringify(word)}`);
    return id;
  }

  /** The vector of `word` (a copy). VocabError if unknown. */
  vector(word: string): Float32Array {
    const id = this.idOf('Word2Vec.vector', word);
    const d = this.options.dim;
    return this.W.slice(id * d, (id + 1) * d);
  }

  /** True if the model has a vector for `word`. */
  has(word: string): boolean {
    return this.index.has(word);
  }

  /** The cosine queries over these vectors (made once per training / load). */
  wordVectors(): WordVectors {
    this.queries ??= new WordVectors(this._words, this.options.dim, this.W, {
      skipRows: this.eos >= 0 ? [this.eos] : [],
      name: 'Word2Vec',
    });
    return this.queries;
  }

  /** The k nearest words to `word` by cosine similarity (the word itself excluded). VocabError if unknown. */
  mostSimilar(word: string, k = 10): Neighbour[] {
    this.idOf('Word2Vec.mostSimilar', word);
    return this.wordVectors().mostSimilar(word, k);
  }

  /** "a is to b as c is to ?": the k nearest words to unit(b) − unit(a) + unit(c), the inputs excluded (word2vec's rule). */
  analogy(a: string, b: string, c: string, k = 10): Neighbour[] {
    for (const w of [a, b, c]) this.idOf('Word2Vec.analogy', w);
    return this.wordVectors().analogy(a, b, c, k);
  }

  /** Drop the vectors. The model is empty afterwards (the vectors live in JS memory, so this only frees them early). */
  dispose(): void {
    this.W = new Float32Array(0);
    this.queries = undefined;
    this.setWords([], -1);
  }
}
