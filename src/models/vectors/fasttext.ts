/**
 * fastText's unsupervised word vectors (`fasttext skipgram` / `fasttext cbow`):
 * each word is its own input row plus the rows of its hashed character n-grams
 * (`<wh`, `whe`, ... of `<where>`); the word's input vector is the mean of those
 * rows and the gradient is added to every one of them. Trained by the word2vec
 * kernel (`SgnsTrainer` with a subword table, negatives ∝ count^0.5 as in
 * fastText). Words never seen in training get a vector from their n-grams.
 * Models read and write native fastText `.bin` files. See docs/fasttext.md.
 */
import { checkBytes } from '../../core/check.js';
import { ArgumentError, VocabError } from '../../core/errors.js';
import { rt } from '../../core/runtime.js';
import { Tensor } from '../../core/tensor.js';
import { readFastTextBin, writeFastTextBin } from '../../io/fasttext-bin.js';
import { writeVec, type WordVectorTable } from '../../io/vec.js';
import { SgnsTrainer } from './sgns-trainer.js';
import { EOS, computeSubwords } from '../../text/subwords.js';
import type { TextSource } from '../../text/tokenize.js';
import { Vocab, encode } from '../../text/vocab.js';
import {
  type FastTextArgs,
  type FastTextEntry,
  type FastTextModelData,
  fastTextInputMatrix,
  fastTextWordVector,
} from '../fasttext/model.js';
import { WordVectors, type Neighbour } from './word-vectors.js';
import { chunkPass } from '../../train/batches.js';
import type { Progress } from '../../train/progress.js';
import { TrainingSession } from '../../train/session.js';
import { checkOptionKeys } from '../../train/options.js';

/** Options of FastText word-vector training (the arguments of `fasttext skipgram` / `cbow`). */
export interface FastTextUnsupervisedOptions {
  /** 'skipgram' (fastText's `sg`) or 'cbow'. */
  model: 'skipgram' | 'cbow';
  /** Vector size; default 100. */
  dim?: number;
  /** Context window; default 5. */
  ws?: number;
  /** Passes over the data; default 5. */
  epoch?: number;
  /** Initial learning rate; default 0.05. */
  lr?: number;
  /** Words seen fewer times are dropped; default 5. */
  minCount?: number;
  /** Negatives per pair (loss 'ns'); default 5. */
  neg?: number;
  /** 'ns' (negative sampling, default) or 'hs' (hierarchical softmax). */
  loss?: 'ns' | 'hs';
  /** Hash buckets of the character n-grams; default 2,000,000 (0 when maxn is 0). */
  bucket?: number;
  /** Shortest character n-gram; default 3. */
  minn?: number;
  /** Longest character n-gram; default 6; 0 = no n-grams (word rows only). */
  maxn?: number;
  /** Subsampling threshold; default 1e-4. */
  t?: number;
  /** Stored in the `.bin` (fastText's lr update period); the kernel updates lr once per sentence. Default 100. */
  lrUpdateRate?: number;
  /** Seed of the initial vectors and of every random draw; default 0. */
  seed?: number;
  /** Worker threads (hogwild, as fastText); > 1 needs `init({ threads: m })` with m >= threads. Default 1 (deterministic). */
  threads?: number;
  /**
   * Blocks of the input matrix fastText would initialise (its -thread): the first min(initBlocks, 10)
   * tenths start uniform in [-1/dim, 1/dim], the rest at zero, as in native fastText 0.9.2 (see
   * `fastTextInputMatrix`). Default 10 (native's default -thread 12); the CLI passes its -thread.
   */
  initBlocks?: number;
  /**
   * Called about every 0.1 s of training and once at the end (`epochEnd` true). A step is one
   * input word; `loss` is the mean per pair since the previous report, `avgLoss` since the start
   * (what fastText prints as avg.loss).
   */
  onProgress?: (p: Progress) => void;
  /**
   * Stops training early: checked between kernel calls (pieces of at most 65,536 ids, about 0.1 s;
   * with threads > 1, between groups of threads × 65,536 ids). Once it is aborted, training ends at
   * the next check, the returned model holds the vectors trained so far and the last progress is
   * reported. Already aborted: nothing is trained (the model holds the initial vectors). Training
   * yields a macrotask to the event loop about every 50 ms so an abort from a message or a timer
   * gets through. A signal that never aborts changes nothing (bit-identical model). See
   * docs/models.md "Stopping training".
   */
  signal?: AbortSignal;
}

/** Every option of FastText.train (an unknown name is an error, not silently ignored). */
const UNSUPERVISED_OPTIONS: readonly (keyof FastTextUnsupervisedOptions)[] = [
  'model',
  'dim',
  'ws',
  'epoch',
  'lr',
  'minCount',
  'neg',
  'loss',
  'bucket',
  'minn',
  'maxn',
  't',
  'lrUpdateRate',
  'seed',
  'threads',
  'initBlocks',
  'onProgress',
  'signal',
];

function intOpt(
  fn: string,
  name: string,
  v: number | undefined,
  dflt: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return dflt;
  if (!(Number.isSafeInteger(v) && v >= min && v <= max))
    throw new ArgumentError(`${fn}: ${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  return v;
}

/** fastText skip-gram / CBOW word vectors with subwords. Holds its matrices in Wasm memory: `dispose()` it. */
export class FastText {
  private data: FastTextModelData;
  private vecs: WordVectorTable | undefined;
  private queries: WordVectors | undefined;
  private eos: number;

  private constructor(
    readonly args: FastTextArgs,
    readonly entries: FastTextEntry[],
    readonly ntokens: number,
    private input: Tensor,
    private output: Tensor,
  ) {
    const empty = { rows: 0, cols: args.dim, data: new Float32Array(0) };
    this.data = { args, words: entries, ntokens, pruneIdxSize: -1, input: empty, output: empty };
    this.eos = entries.findIndex((e) => e.word === EOS);
  }

  /** Train on text: whitespace-separated tokens, one sentence per line (read twice: pass a string, bytes or a function returning a fresh stream). */
  static async train(text: TextSource | (() => TextSource), options: FastTextUnsupervisedOptions): Promise<FastText> {
    const fn = 'FastText.train';
    rt(fn);
    if (options === null || typeof options !== 'object')
      throw new ArgumentError(`${fn}: options must be an object, got ${options === null ? 'null' : typeof options}`);
    checkOptionKeys(fn, options, UNSUPERVISED_OPTIONS);
    const model = options.model;
    if (model !== 'skipgram' && model !== 'cbow')
      throw new ArgumentError(`${fn}: model must be 'skipgram' or 'cbow', got ${String(model)}`);
    const loss = options.loss ?? 'ns';
    if (loss !== 'ns' && loss !== 'hs')
      throw new ArgumentError(`${fn}: loss must be 'ns' or 'hs' for word vectors, got ${String(loss)}`);
    const dim = intOpt(fn, 'dim', options.dim, 100, 1, 1 << 16);
    const ws = intOpt(fn, 'ws', options.ws, 5, 1, 1000);
    const epoch = intOpt(fn, 'epoch', options.epoch, 5, 1, 1_000_000);
    const minCount = intOpt(fn, 'minCount', options.minCount, 5, 1);
    const neg = intOpt(fn, 'neg', options.neg, 5, loss === 'ns' ? 1 : 0, 1000);
    const minn = intOpt(fn, 'minn', options.minn, 3, 0, 1000);
    const maxn = intOpt(fn, 'maxn', options.maxn, 6, 0, 1000);
    if (maxn > 0 && minn > maxn) throw new ArgumentError(`${fn}: minn must be <= maxn (${maxn}), got ${minn}`);
    const bucket = maxn === 0 ? 0 : intOpt(fn, 'bucket', options.bucket, 2_000_000, 1, 2 ** 31 - 1);
    const lrUpdateRate = intOpt(fn, 'lrUpdateRate', options.lrUpdateRate, 100, 1, 2 ** 31 - 1);
    const seed = intOpt(fn, 'seed', options.seed, 0, 0);
    const threads = intOpt(fn, 'threads', options.threads, 1, 1, 64);
    const initBlocks = intOpt(fn, 'initBlocks', options.initBlocks, 10, 0);
    const lr = options.lr ?? 0.05;
    if (!(lr > 0 && Number.isFinite(lr))) throw new ArgumentError(`${fn}: lr must be a finite number > 0, got ${lr}`);
    const t = options.t ?? 1e-4;
    if (!(t >= 0 && Number.isFinite(t))) throw new ArgumentError(`${fn}: t must be a finite number >= 0, got ${t}`);
    const session = new TrainingSession(fn, { ...options, threads });

    const source = typeof text === 'function' ? text : () => text;
    const vocab = await Vocab.build(source(), { minCount });
    if (vocab.nlabels > 0) {
      throw new ArgumentError(
        `${fn}: text must not contain labels for word vectors, got ${vocab.nlabels} (e.g. ${JSON.stringify(vocab.word(vocab.nwords))})`,
      );
    }
    const V = vocab.nwords;
    const eos = vocab.id(EOS);
    if (V - (eos >= 0 ? 1 : 0) < 1)
      throw new VocabError(`${fn}: text must have a word seen at least minCount (${minCount}) times, got none`);
    if (loss === 'hs' && V < 2) throw new VocabError(`${fn}: text must have at least 2 words for loss 'hs', got ${V}`);
    const chunks: Int32Array[] = [];
    let tokens = 0;
    for await (const c of encode(source(), vocab)) {
      chunks.push(c);
      for (let i = 0; i < c.length; i++) if (c[i] !== eos) tokens++;
    }
    if (tokens === 0)
      throw new ArgumentError(`${fn}: text must contain a word seen at least minCount (${minCount}) times, got none`);

    const entries: FastTextEntry[] = vocab.entries().map((e) => ({ word: e.word, count: e.count, type: 'word' }));
    const counts = vocab.counts('word');
    // Subword table: the word's row, then its n-gram rows (fastText's initNgrams; </s> has no n-grams).
    let subwords: { offsets: Int32Array; rows: Int32Array } | undefined;
    if (maxn > 0) {
      const offsets = new Int32Array(V + 1);
      const rows: number[] = [];
      for (let w = 0; w < V; w++) {
        rows.push(w);
        const word = entries[w]!.word;
        if (word !== EOS) for (const r of computeSubwords(word, minn, maxn, bucket, V)) rows.push(r);
        offsets[w + 1] = rows.length;
      }
      subwords = { offsets, rows: Int32Array.from(rows) };
    }

    const args: FastTextArgs = {
      dim,
      ws,
      epoch,
      minCount,
      neg,
      wordNgrams: 1,
      loss,
      model: model === 'skipgram' ? 'sg' : 'cbow',
      bucket,
      minn,
      maxn,
      lrUpdateRate,
      t,
    };
    // fastText's initialisation: input uniform in [-1/dim, 1/dim] over the first initBlocks tenths, output zero.
    const input = fastTextInputMatrix(V + bucket, dim, initBlocks, { seed, stream: 21 });
    let output: Tensor | undefined;
    let tr: SgnsTrainer | undefined;
    try {
      output = Tensor.zeros([loss === 'hs' ? V - 1 : V, dim]);
      // fastText's schedule: lr = lr0 (1 - done / (epoch · ntokens)), where ntokens counts every token read
      // (</s> and words below minCount too) but `done` only those kept in the dictionary (</s> included; the
      // 'fasttext' flavor counts it so).
      const eosCount = eos >= 0 ? counts[eos]! : 0;
      const perEpoch = tokens + eosCount;
      tr = new SgnsTrainer(input, output, {
        window: ws,
        negative: neg,
        model,
        loss,
        sample: t,
        lr,
        totalWords: epoch * vocab.ntokens,
        seed,
        eosId: eos,
        counts,
        subwords,
        stream: 22,
        noisePower: 0.5,
        flavor: 'fasttext',
        sampleTotal: vocab.ntokens,
      });
      const trainer = tr;
      session.start({ epochs: epoch, steps: epoch * vocab.ntokens });
      let lastLoss = 0,
        lastPairs = 0,
        lastValue = 0,
        ep = 0;
      const report = (force: boolean) =>
        session.report(force, trainer.stats.processed, () => {
          const s = trainer.stats;
          const pairs = s.lossCount - lastPairs;
          if (pairs > 0) lastValue = (s.lossSum - lastLoss) / pairs;
          lastLoss = s.lossSum;
          lastPairs = s.lossCount;
          return {
            epoch: ep + 1,
            step: s.processed,
            lr: s.lr,
            loss: lastValue,
            avgLoss: s.lossCount > 0 ? s.lossSum / s.lossCount : 0,
          };
        });
      const after = session.reporting ? () => report(false) : undefined;
      // fastText trains until it has read epoch · ntokens dictionary tokens: with words below minCount
      // dropped, that is more than `epoch` passes (Brown, minCount 5: 5.25), the last one partial, and
      // the learning rate ends at 0. The same here: whole passes, then the head of the data up to that count.
      const totalIds = epoch * vocab.ntokens;
      const pass = (cs: Int32Array[]) => chunkPass(trainer, cs, threads, eos, after, session.signal, session.host);
      let aborted = false;
      for (ep = 0; !aborted && trainer.stats.processed + perEpoch <= totalIds; ep++) aborted = await pass(chunks);
      if (aborted) ep--;
      ep = Math.min(ep, epoch - 1);
      const rest = totalIds - trainer.stats.processed;
      if (!aborted && rest > 0) await pass(headOfLines(chunks, rest, eos));
      report(true);
    } catch (e) {
      input.dispose();
      output?.dispose();
      throw e;
    } finally {
      session.close();
      tr?.dispose();
    }
    return new FastText(args, entries, vocab.ntokens, input, output);
  }

  /** A model from the bytes of an unsupervised fastText `.bin` (native or ours). */
  static fromBytes(bytes: Uint8Array | ArrayBuffer): FastText {
    const fn = 'FastText.fromBytes';
    rt(fn);
    const m = readFastTextBin(checkBytes(fn, 'bytes', bytes));
    if (m.args.model === 'sup')
      throw new ArgumentError(`${fn}: model must be 'sg' or 'cbow' (word vectors), got 'sup' (use FastTextClassifier)`);
    const input = Tensor.fromArray(m.input.data, [m.input.rows, m.input.cols]);
    let output: Tensor;
    try {
      output = Tensor.fromArray(m.output.data, [m.output.rows, m.output.cols]);
    } catch (e) {
      input.dispose();
      throw e;
    }
    return new FastText(m.args, m.words, m.ntokens, input, output);
  }

  /** Words of the model in id order (`</s>` included, as in fastText). */
  get words(): string[] {
    return this.entries.map((e) => e.word);
  }

  get dim(): number {
    return this.args.dim;
  }

  private alive(fn: string): void {
    if (this.input.disposed) throw new ArgumentError(`${fn}: model must not be disposed, got a disposed model`);
  }

  /**
   * The model's data with views of its matrices in Wasm memory (no copies):
   * valid until the next Wasm allocation. The same object each time (its
   * word index is cached), its views refreshed when memory has grown.
   */
  toModelData(): FastTextModelData {
    this.alive('FastText.toModelData');
    const buf = rt('FastText.toModelData').memory.buffer;
    if (this.data.input.data.buffer !== buf || this.data.input.rows === 0) {
      this.data.input = {
        rows: this.input.shape[0]!,
        cols: this.input.shape[1]!,
        data: this.input.view() as Float32Array,
      };
      this.data.output = {
        rows: this.output.shape[0]!,
        cols: this.output.shape[1]!,
        data: this.output.view() as Float32Array,
      };
    }
    return this.data;
  }

  /** fastText's getWordVector: the mean of the word's row and its n-gram rows; unknown words use their n-grams (zeros if none). */
  vector(word: string): Float32Array {
    const fn = 'FastText.vector';
    if (typeof word !== 'string') throw new ArgumentError(`${fn}: word must be a string, got ${typeof word}`);
    this.alive(fn);
    return fastTextWordVector(this.toModelData(), word);
  }

  /** Vectors of every word (fastText's .vec content), computed once. */
  private all(): WordVectorTable {
    if (this.vecs === undefined) {
      const md = this.toModelData();
      const words = this.words;
      const dim = this.dim;
      const data = new Float32Array(words.length * dim);
      words.forEach((w, i) => fastTextWordVector(md, w, data.subarray(i * dim, (i + 1) * dim)));
      this.vecs = { words, dim, data };
    }
    return this.vecs;
  }

  /** The cosine queries over every word's vector (unknown words through their n-grams). */
  wordVectors(): WordVectors {
    this.alive('FastText.wordVectors');
    if (this.queries === undefined) {
      const { words, dim, data } = this.all();
      this.queries = new WordVectors(words, dim, data, {
        skipRows: this.eos >= 0 ? [this.eos] : [],
        lookup: (w) => this.vector(w),
        name: 'FastText',
      });
    }
    return this.queries;
  }

  /** The k words nearest to `word` by cosine (fastText's `nn`; unknown words work through their n-grams; the word and `</s>` excluded). */
  mostSimilar(word: string, k = 10): Neighbour[] {
    this.alive('FastText.mostSimilar');
    return this.wordVectors().mostSimilar(word, k);
  }

  /** "a is to b as c is to ?": the k words nearest to unit(b) − unit(a) + unit(c), the three excluded. */
  analogy(a: string, b: string, c: string, k = 10): Neighbour[] {
    this.alive('FastText.analogy');
    return this.wordVectors().analogy(a, b, c, k);
  }

  /** The model as native fastText `.bin` bytes (`fasttext print-word-vectors`, `nn` read them). */
  toBytes(): Uint8Array {
    return writeFastTextBin(this.toModelData());
  }

  /** fastText's `.vec` text of every word's vector (`</s>` included, as fastText writes it). */
  toVec(): Uint8Array {
    this.alive('FastText.toVec');
    return writeVec(this.all());
  }

  /** Free the matrices in Wasm memory. Idempotent. */
  dispose(): void {
    if (!this.input.disposed) this.input.dispose();
    if (!this.output.disposed) this.output.dispose();
    this.vecs = undefined;
    this.queries = undefined;
  }
}

/** The first ids of `chunks`, at least `n` of them, up to the end of the line (EOS) where the n-th falls. */
function headOfLines(chunks: readonly Int32Array[], n: number, eos: number): Int32Array[] {
  const out: Int32Array[] = [];
  let left = n;
  for (const c of chunks) {
    if (left <= 0) break;
    if (c.length <= left) {
      out.push(c);
      left -= c.length;
      continue;
    }
    let end = left;
    while (end < c.length && c[end - 1] !== eos) end++;
    out.push(c.subarray(0, end));
    left = 0;
  }
  return out;
}
