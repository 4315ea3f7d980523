/**
 * The word2vec / fastText training op: the tables the kernel reads (subsampling
 * keep probabilities, the alias table of the unigram^0.75 noise distribution,
 * the Huffman tree) and `SgnsTrainer`, which owns the kernel's state, scratch
 * and id buffer and runs `sgns_train` over chunks of ids. See docs/word2vec.md.
 */
import { ArgumentError, ShapeError, WasmNlpError } from '../../core/errors.js';
import type { Kernels } from '../../core/kernels.js';
import { rt } from '../../core/runtime.js';
import { Tensor, expectTensor } from '../../core/tensor.js';
import { aliasTable, huffmanTree, keepProbabilities } from '../../ops/tables.js';
import { ID_BUFFER, pieceEnd } from '../../train/batches.js';
import { checkLr, checkOptionKeys } from '../../train/options.js';

/** Longest sentence the kernel keeps in one piece (assembly/sgns.ts SGNS_MAX_SENTENCE). */
export const SGNS_MAX_SENTENCE = 1000;
/** Kernel flags (assembly/sgns.ts): EOS is a word; redraw a negative equal to the true word. */
const SGNS_EOS_WORD = 1,
  SGNS_REDRAW = 2;
/** Bytes of the kernel's state block. */
const STATE_BYTES = 80;
/** Ids per worker kernel call in `trainParallel` at most (~0.1-0.3 s of work at dim 100). */
const PART_IDS = 1 << 16;
/** Per-thread blocks start on their own cache lines, with a guard line either side (no false sharing). */
const LINE = 64;
/** Philox stream of worker thread k: base stream + (k + 1) * THREAD_STREAM (never the 1-thread stream). */
export const THREAD_STREAM = 1 << 16;

/** Options of one training run of the kernel. */
export interface SgnsOptions {
  /** Context window (max distance), ≥ 1. */
  window: number;
  /** Negative samples per pair (NS), ≥ 0. */
  negative: number;
  model: 'skipgram' | 'cbow';
  loss: 'ns' | 'hs';
  /** Subsampling threshold; 0 disables it. */
  sample: number;
  /** Initial learning rate. */
  lr: number;
  /** Tokens of the whole run, epochs included (raw non-EOS tokens; EOS too for flavor 'fasttext'): the decay reaches 1e-4·lr there. */
  totalWords: number;
  seed: number;
  /** The id that ends a sentence (word2vec: never trained on; fastText: the sentence's last word); -1 for none. */
  eosId: number;
  /**
   * Whose rules for the details (default 'word2vec'). 'fasttext': the EOS id is
   * a word (subsampled, trained, in the noise distribution, counted in
   * `processed`) and a negative equal to the true word is drawn again;
   * 'word2vec': EOS only separates sentences and such a negative is skipped.
   */
  flavor?: 'word2vec' | 'fasttext';
  /** Token count T of the subsampling frequencies count / T (default: the sum of `counts`, EOS excluded for 'word2vec'). */
  sampleTotal?: number;
  /** Per-word counts (subsampling, noise distribution, Huffman tree); length V. */
  counts: ArrayLike<number>;
  /** fastText subwords: rows of the input matrix per word (CSR, offsets length V + 1). */
  subwords?: { offsets: Int32Array; rows: Int32Array };
  /** Philox stream (default 0). */
  stream?: number;
  /** Exponent of the NS noise distribution counts^power: 0.75 (word2vec, default) or 0.5 (fastText). */
  noisePower?: number;
}

/** Progress of a trainer: processed raw tokens, current lr, loss sum and pairs. */
export interface SgnsState {
  processed: number;
  lr: number;
  lossSum: number;
  lossCount: number;
  /** Index of the next RNG word. */
  rngWord: number;
}

const int = (x: number) => Number.isInteger(x);

/** The keys SgnsOptions may have. */
const SGNS_OPTION_KEYS: readonly string[] = [
  'window',
  'negative',
  'model',
  'loss',
  'sample',
  'lr',
  'totalWords',
  'seed',
  'eosId',
  'flavor',
  'sampleTotal',
  'counts',
  'subwords',
  'stream',
  'noisePower',
];

/**
 * Runs the training kernel over chunks of ids, updating `win` (rowsIn, dim) and
 * `wout` (V, dim) for NS or (V - 1, dim) for HS in place. The learning-rate
 * schedule, loss and RNG stream continue from one `train` call to the next.
 * Holds Wasm memory for its tables: `dispose()` it.
 */
export class SgnsTrainer {
  readonly V: number;
  readonly dim: number;
  private readonly opts: SgnsOptions;
  private readonly win: Tensor;
  private readonly wout: Tensor;
  private readonly blocks: number[] = [];
  private readonly state: number;
  private readonly scratch: number;
  private readonly ids: number;
  private readonly keep: number;
  private readonly prob: number;
  private readonly alias: number;
  private readonly hsOff: number;
  private readonly hsCodes: number;
  private readonly hsPoints: number;
  private readonly subOff: number;
  private readonly subRows: number;
  private readonly maxTargets: number;
  private readonly scratchBytes: number;
  /** Worker threads' blocks: state (128 B), scratch and ids buffer, each thread on its own cache lines. */
  private readonly threadBlocks: { state: number; scratch: number; ids: number }[] = [];
  private readonly perThread: SgnsState[] = [];

  constructor(win: Tensor, wout: Tensor, options: SgnsOptions) {
    const fn = 'SgnsTrainer';
    const r = rt(fn);
    const [rowsIn, dim] = expectTensor(fn, 'win', win, 2) as [number, number];
    const [rowsOut, dimOut] = expectTensor(fn, 'wout', wout, 2) as [number, number];
    checkOptionKeys(fn, options, SGNS_OPTION_KEYS);
    const o = options;
    const V = o.counts?.length ?? 0;
    if (V < 1) throw new ArgumentError(`${fn}: counts must have at least 1 word, got ${V}`);
    if (dimOut !== dim) throw new ShapeError(`${fn}: wout must have ${dim} columns like win, got ${dimOut}`);
    if (win === wout) throw new ArgumentError(`${fn}: wout must not be win, got the same Tensor`);
    if (!(dim >= 1)) throw new ShapeError(`${fn}: win must have at least 1 column, got ${dim}`);
    if (!(int(o.window) && o.window >= 1 && o.window <= 1000))
      throw new ArgumentError(`${fn}: window must be an integer in [1, 1000], got ${o.window}`);
    if (!(int(o.negative) && o.negative >= 0 && o.negative <= 1000))
      throw new ArgumentError(`${fn}: negative must be an integer in [0, 1000], got ${o.negative}`);
    if (o.model !== 'skipgram' && o.model !== 'cbow')
      throw new ArgumentError(`${fn}: model must be 'skipgram' or 'cbow', got ${String(o.model)}`);
    if (o.loss !== 'ns' && o.loss !== 'hs')
      throw new ArgumentError(`${fn}: loss must be 'ns' or 'hs', got ${String(o.loss)}`);
    if (!(o.sample >= 0 && Number.isFinite(o.sample)))
      throw new ArgumentError(`${fn}: sample must be a finite number >= 0, got ${o.sample}`);
    checkLr(fn, 'lr', o.lr);
    if (!(o.totalWords >= 1 && Number.isFinite(o.totalWords)))
      throw new ArgumentError(`${fn}: totalWords must be >= 1, got ${o.totalWords}`);
    if (!(Number.isSafeInteger(o.seed) && o.seed >= 0))
      throw new ArgumentError(`${fn}: seed must be an integer in [0, 2^53), got ${o.seed}`);
    if (!(int(o.eosId) && o.eosId >= -1 && o.eosId < V))
      throw new ArgumentError(`${fn}: eosId must be -1 or an id in [0, ${V}), got ${o.eosId}`);
    if (o.flavor !== undefined && o.flavor !== 'word2vec' && o.flavor !== 'fasttext')
      throw new ArgumentError(`${fn}: flavor must be 'word2vec' or 'fasttext', got ${String(o.flavor)}`);
    if (o.sampleTotal !== undefined && !(o.sampleTotal > 0 && Number.isFinite(o.sampleTotal)))
      throw new ArgumentError(`${fn}: sampleTotal must be a finite number > 0, got ${o.sampleTotal}`);
    if (o.noisePower !== undefined && !(o.noisePower >= 0 && o.noisePower <= 1))
      throw new ArgumentError(`${fn}: noisePower must be a number in [0, 1], got ${o.noisePower}`);
    for (let i = 0; i < V; i++) {
      const c = o.counts[i]!;
      if (!(c >= 0 && Number.isFinite(c)))
        throw new ArgumentError(`${fn}: counts[${i}] must be a finite number >= 0, got ${c}`);
    }
    const hs = o.loss === 'hs';
    if (hs && V < 2) throw new ArgumentError(`${fn}: counts must have at least 2 words for loss 'hs', got ${V}`);
    const wantOut = hs ? V - 1 : V;
    if (rowsOut !== wantOut)
      throw new ShapeError(`${fn}: wout must have ${wantOut} rows for loss '${o.loss}' and ${V} words, got ${rowsOut}`);
    let maxRows = 1;
    if (o.subwords !== undefined) {
      const { offsets, rows } = o.subwords;
      if (!(offsets instanceof Int32Array) || offsets.length !== V + 1) {
        throw new ShapeError(`${fn}: subwords.offsets must be an Int32Array of ${V + 1}, got ${offsets?.length}`);
      }
      if (!(rows instanceof Int32Array) || offsets[0] !== 0 || offsets[V] !== rows.length) {
        throw new ShapeError(
          `${fn}: subwords.rows must be an Int32Array of offsets[V] = ${offsets[V]} entries, got ${rows?.length}`,
        );
      }
      for (let w = 0; w < V; w++) {
        const n = offsets[w + 1]! - offsets[w]!;
        if (n < 1)
          throw new ArgumentError(
            `${fn}: subwords.offsets must give every word at least 1 row, got ${n} for word ${w}`,
          );
        maxRows = Math.max(maxRows, n);
      }
      for (let i = 0; i < rows.length; i++) {
        if (!(rows[i]! >= 0 && rows[i]! < rowsIn))
          throw new ArgumentError(`${fn}: subwords.rows[${i}] must be in [0, ${rowsIn}), got ${rows[i]}`);
      }
    } else if (rowsIn !== V) {
      throw new ShapeError(`${fn}: win must have ${V} rows (one per word) without subwords, got ${rowsIn}`);
    }

    this.V = V;
    this.dim = dim;
    this.opts = { ...o };
    this.win = win;
    this.wout = wout;
    const heap = r.heap;
    const put = (data: Int32Array | Uint32Array | Float32Array): number => {
      const p = heap.alloc(Math.max(4, data.byteLength));
      this.blocks.push(p);
      new Uint8Array(r.memory.buffer, p, data.byteLength).set(
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
      return p;
    };
    try {
      const ft = o.flavor === 'fasttext';
      this.keep = o.sample > 0 ? put(keepProbabilities(o.counts, o.sample, ft ? -1 : o.eosId, o.sampleTotal)) : 0;
      let maxTargets = 1 + o.negative;
      if (hs) {
        const t = huffmanTree(o.counts);
        this.hsOff = put(t.offsets);
        this.hsCodes = put(t.codes);
        this.hsPoints = put(t.points);
        this.prob = this.alias = 0;
        maxTargets = t.maxCodeLength;
      } else {
        const a = aliasTable(o.counts, o.noisePower ?? 0.75, ft ? -1 : o.eosId);
        this.prob = put(a.prob);
        this.alias = put(a.alias);
        this.hsOff = this.hsCodes = this.hsPoints = 0;
      }
      this.maxTargets = Math.max(1, maxTargets);
      this.subOff = o.subwords ? put(o.subwords.offsets) : 0;
      this.subRows = o.subwords ? put(o.subwords.rows) : 0;
      this.scratchBytes = r.kernels.sgns_scratch_bytes(dim, o.window, this.maxTargets, maxRows);
      this.scratch = heap.alloc(this.scratchBytes);
      this.blocks.push(this.scratch);
      this.ids = heap.alloc(ID_BUFFER * 4);
      this.blocks.push(this.ids);
      this.state = heap.alloc(STATE_BYTES);
      this.blocks.push(this.state);
    } catch (e) {
      for (const p of this.blocks) heap.free(p);
      this.blocks.length = 0;
      throw e;
    }
    const f = new Float64Array(r.memory.buffer, this.state, 7);
    f.set([o.lr, o.totalWords, 0, 0, 0, o.lr, 0]);
    new Uint32Array(r.memory.buffer, this.state + 56, 3).set([
      o.seed >>> 0,
      Math.floor(o.seed / 2 ** 32) >>> 0,
      (o.stream ?? 0) >>> 0,
    ]);
  }

  /** Counters so far (processed tokens, current lr, loss sum and count, RNG position). */
  get stats(): SgnsState {
    const f = new Float64Array(rt('SgnsTrainer.stats').memory.buffer, this.state, 7);
    return { processed: f[2]!, lr: f[5]!, lossSum: f[3]!, lossCount: f[4]!, rngWord: f[6]! };
  }

  /**
   * Train on `ids` (ids in [0, V) or the EOS id). A sentence ends at EOS, every
   * SGNS_MAX_SENTENCE raw tokens, and at the end of `ids`; ids are fed to the
   * kernel in pieces cut just after an EOS where one is near, else at the
   * buffer size. `afterEach`, when given, runs after every kernel call (progress).
   * Returns the number of raw tokens processed (EOS not counted, except for flavor 'fasttext').
   */
  train(ids: Int32Array, afterEach?: () => void): number {
    const fn = 'SgnsTrainer.train';
    const r = rt(fn);
    if (this.blocks.length === 0)
      throw new ArgumentError(`${fn}: trainer must not be disposed, got a disposed trainer`);
    if (!(ids instanceof Int32Array))
      throw new ArgumentError(`${fn}: ids must be an Int32Array, got ${ids === null ? 'null' : typeof ids}`);
    const { V } = this;
    const eos = this.opts.eosId;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < V)) throw new ArgumentError(`${fn}: ids[${i}] must be in [0, ${V}), got ${id}`);
    }
    const before = this.stats.processed;
    let start = 0;
    while (start < ids.length) {
      const end = pieceEnd(ids, start, ID_BUFFER, eos);
      new Int32Array(r.memory.buffer, this.ids, end - start).set(ids.subarray(start, end));
      this.run(this.ids, end - start);
      afterEach?.();
      start = end;
    }
    return this.stats.processed - before;
  }

  /** Train on ids already in Wasm memory (an int32 Tensor, checked like `train`). */
  trainTensor(ids: Tensor): number {
    const fn = 'SgnsTrainer.trainTensor';
    expectTensor(fn, 'ids', ids, 1, 'int32');
    const v = ids.view() as Int32Array;
    for (let i = 0; i < v.length; i++) {
      if (!(v[i]! >= 0 && v[i]! < this.V))
        throw new ArgumentError(`${fn}: ids[${i}] must be in [0, ${this.V}), got ${v[i]}`);
    }
    const before = this.stats.processed;
    if (ids.size > 0) this.run(ids.offset, ids.size);
    return this.stats.processed - before;
  }

  private run(ids: number, n: number): void {
    rt('SgnsTrainer').kernels.sgns_train(...this.args(ids, n, this.state, this.scratch));
  }

  /** The arguments of one sgns_train call. */
  private args(ids: number, n: number, state: number, scratch: number): Parameters<Kernels['sgns_train']> {
    const o = this.opts;
    return [
      ids,
      this.keep,
      this.prob,
      this.alias,
      this.hsOff,
      this.hsCodes,
      this.hsPoints,
      this.subOff,
      this.subRows,
      this.win.offset,
      this.wout.offset,
      state,
      scratch,
      n,
      this.V,
      this.dim,
      o.window,
      o.negative,
      this.maxTargets,
      o.model === 'cbow' ? 1 : 0,
      o.loss === 'hs' ? 1 : 0,
      o.eosId,
      o.flavor === 'fasttext' ? SGNS_EOS_WORD | SGNS_REDRAW : 0,
    ];
  }

  /** Per worker thread: its share of the counters of all `trainParallel` calls so far (processed, loss, last lr, RNG position). */
  get threadStats(): SgnsState[] {
    return this.perThread.map((t) => ({ ...t }));
  }

  /**
   * Hogwild training on `threads` workers of the pool (`init({ threads: n })`,
   * n >= threads): the ids (one pass) are cut into consecutive pieces of up to
   * min(65536, L / (16 threads)) ids (at least 1024), each cut just after an EOS, handed out in
   * order to whichever worker is free (so a worker slowed down by the OS does
   * not hold the others back at the end); each worker trains its pieces
   * with its own scratch, state and Philox stream
   * (base stream + (k + 1) * THREAD_STREAM), all updating `win`/`wout` in the
   * shared memory without locks, like word2vec and fastText. The learning rate
   * follows the GLOBAL progress: each piece gets its own place in the schedule,
   * processed = the tokens of all pieces handed out before it (by every
   * thread, in this run so far), so lr = lr0 (1 - (H + p) / T) after p tokens
   * of the piece, and the global count differs from H + p by at most the
   * other workers' unfinished pieces. `stats`
   * accumulates every thread's counts after each call; `afterEach` runs after
   * each call. Not deterministic for threads > 1. Resolves to the raw tokens
   * processed.
   */
  async trainParallel(
    ids: Int32Array | readonly Int32Array[],
    threads: number,
    afterEach?: () => void,
  ): Promise<number> {
    const fn = 'SgnsTrainer.trainParallel';
    const r = rt(fn);
    if (this.blocks.length === 0)
      throw new ArgumentError(`${fn}: trainer must not be disposed, got a disposed trainer`);
    if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
      throw new ArgumentError(`${fn}: threads must be an integer in [1, 64], got ${threads}`);
    const pool = r.pool;
    if (pool === undefined || pool.size < threads) {
      throw new ArgumentError(
        `${fn}: threads must be at most the worker pool size, got ${threads} with ${pool === undefined ? 'no worker pool' : `a pool of ${pool.size}`}. ` +
          `Hint: \`await init({ threads: ${threads} })\` (call shutdown() first if init() already ran), or train with threads: 1.`,
      );
    }
    const chunks = ids instanceof Int32Array ? [ids] : ids;
    if (!Array.isArray(chunks) || chunks.some((c) => !(c instanceof Int32Array))) {
      throw new ArgumentError(`${fn}: ids must be an Int32Array or an array of Int32Array chunks, got ${typeof ids}`);
    }
    const { V } = this;
    const eos = this.opts.eosId;
    let L = 0;
    for (let k = 0; k < chunks.length; k++) {
      const c = chunks[k]!;
      for (let i = 0; i < c.length; i++) {
        if (!(c[i]! >= 0 && c[i]! < V))
          throw new ArgumentError(
            `${fn}: ids${chunks.length > 1 ? `[${k}]` : ''}[${i}] must be in [0, ${V}), got ${c[i]}`,
          );
      }
      L += c.length;
    }
    this.ensureThreads(threads);

    // Pieces of at most `piece` ids, handed out in stream order to whichever worker is free.
    const piece = Math.min(PART_IDS, Math.max(1024, Math.ceil(L / (threads * 16))));
    const segs = chunks.filter((c) => c.length > 0);

    const mem = () => r.memory.buffer;
    const main = () => new Float64Array(mem(), this.state, 7);
    const main0 = main()[2]!;
    const c = { seg: 0, off: 0 };
    let handed = main0; // tokens of the schedule handed out so far (this call's pieces included)
    let furthest = main0;
    let failure: { k: number; e: unknown } | undefined;
    let processedHere = 0;

    /** Copy the next piece of the stream (at most `piece` ids, cut after its last EOS) into worker k's buffer; returns its length. */
    const fill = (k: number): number => {
      const buf = new Int32Array(mem(), this.threadBlocks[k]!.ids, PART_IDS);
      let n = 0;
      let s = c.seg,
        off = c.off;
      while (n < piece && s < segs.length) {
        const seg = segs[s]!;
        const take = Math.min(piece - n, seg.length - off);
        buf.set(seg.subarray(off, off + take), n);
        n += take;
        off += take;
        if (off === seg.length) {
          s++;
          off = 0;
        }
      }
      n = pieceEnd(buf.subarray(0, n), 0, n, eos, s < segs.length);
      // Advance the cursor by n ids.
      let left = n;
      while (left > 0) {
        const seg = segs[c.seg]!;
        const take = Math.min(left, seg.length - c.off);
        left -= take;
        c.off += take;
        if (c.off === seg.length) {
          c.seg++;
          c.off = 0;
        }
      }
      return n;
    };

    const worker = async (k: number): Promise<void> => {
      const tb = this.threadBlocks[k]!;
      const me = this.perThread[k]!;
      while (failure === undefined && c.seg < segs.length) {
        const n = fill(k);
        if (n === 0) break;
        // This piece's place in the schedule: the tokens handed out before it (all threads).
        const p0 = handed;
        const piece32 = new Int32Array(mem(), tb.ids, n);
        if (this.opts.flavor === 'fasttext') handed += n;
        else for (let i = 0; i < n; i++) if (piece32[i] !== eos) handed++;
        const st = new Float64Array(mem(), tb.state, 7);
        st[1] = this.opts.totalWords;
        st[2] = p0;
        st[3] = 0;
        st[4] = 0;
        try {
          await r.pool!.call(k, 'sgns_train', this.args(tb.ids, n, tb.state, tb.scratch));
        } catch (e) {
          failure ??= { k, e };
          break;
        }
        const s2 = new Float64Array(mem(), tb.state, 7);
        const p = s2[2]! - p0;
        const m = main();
        m[2]! += p;
        m[3]! += s2[3]!;
        m[4]! += s2[4]!;
        if (p0 + p >= furthest) {
          furthest = p0 + p; // stats.lr: the lr at the furthest point of the schedule reached
          m[5] = s2[5]!;
        }
        me.processed += p;
        me.lossSum += s2[3]!;
        me.lossCount += s2[4]!;
        me.lr = s2[5]!;
        me.rngWord = s2[6]!;
        processedHere += p;
        afterEach?.();
      }
    };

    await Promise.all(Array.from({ length: threads }, (_, k) => worker(k)));
    if (failure !== undefined) {
      const e = failure.e;
      throw new WasmNlpError(
        `${fn}: worker ${failure.k} must finish its kernel call, got ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return processedHere;
  }

  /** Allocate the blocks of worker threads 0..n-1 (once per thread; kept until dispose). */
  private ensureThreads(n: number): void {
    const r = rt('SgnsTrainer');
    const o = this.opts;
    const lineUp = (x: number) => Math.ceil(x / LINE) * LINE;
    for (let k = this.threadBlocks.length; k < n; k++) {
      const bytes = 128 + lineUp(this.scratchBytes) + PART_IDS * 4;
      const p = r.heap.alloc(bytes + 3 * LINE);
      this.blocks.push(p);
      const base = lineUp(p + LINE);
      const tb = { state: base, scratch: base + 128, ids: base + 128 + lineUp(this.scratchBytes) };
      const f = new Float64Array(r.memory.buffer, tb.state, 7);
      f.set([o.lr, o.totalWords, 0, 0, 0, o.lr, 0]);
      const stream = ((o.stream ?? 0) + (k + 1) * THREAD_STREAM) >>> 0;
      new Uint32Array(r.memory.buffer, tb.state + 56, 3).set([
        o.seed >>> 0,
        Math.floor(o.seed / 2 ** 32) >>> 0,
        stream,
      ]);
      this.threadBlocks.push(tb);
      this.perThread.push({ processed: 0, lr: o.lr, lossSum: 0, lossCount: 0, rngWord: 0 });
    }
  }

  /** Draw `n` negatives from the noise distribution with the trainer's RNG stream (for tests). */
  drawNegatives(n: number): Int32Array {
    const fn = 'SgnsTrainer.drawNegatives';
    const r = rt(fn);
    if (this.prob === 0) throw new ArgumentError(`${fn}: loss must be 'ns', got 'hs'`);
    const out = Tensor.empty([n], 'int32');
    try {
      r.kernels.sgns_draw_negatives(this.prob, this.alias, out.offset, this.state, this.scratch, n, this.V);
      return out.toArray() as Int32Array;
    } finally {
      out.dispose();
    }
  }

  /** Free the tables, scratch and state (not win/wout). Idempotent. */
  dispose(): void {
    if (this.blocks.length === 0) return;
    const heap = rt('SgnsTrainer.dispose').heap;
    for (const p of this.blocks) heap.free(p);
    this.blocks.length = 0;
  }
}
