// fastText's supervised text classifier (`fasttext supervised`): words and
// hashed word n-grams averaged into a hidden vector, a linear layer over the
// labels, trained by SGD with fastText's linear learning-rate decay, in Wasm.
// Models read and write native fastText `.bin` files.
import { checkBytes } from '../../core/check.js';
import type { Progress } from '../../train/progress.js';
import { TrainingSession } from '../../train/session.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { rt } from '../../core/runtime.js';
import { Tensor } from '../../core/tensor.js';
import { readFastTextBin, writeFastTextBin } from '../../io/fasttext-bin.js';
import type { WordVectorTable } from '../../io/vec.js';
import { SupervisedTrainer, supervisedPredict, type SupervisedLoss } from './trainer.js';
import { Vocab } from '../../text/vocab.js';
import { wordFromBytes } from '../../text/word-bytes.js';
import { checkOptionKeys } from '../../train/options.js';
import { type FastTextArgs, type FastTextModelData, fastTextInputMatrix, fastTextLineIds } from './model.js';

/** Options of supervised fastText training (the arguments of `fasttext supervised`). */
export interface FastTextSupervisedOptions {
  /** Vector dimension; default 100. */
  dim?: number;
  /** Passes over the data; default 5. */
  epoch?: number;
  /** Initial learning rate; default 0.1. */
  lr?: number;
  /** Longest word n-gram; default 1 (words only). */
  wordNgrams?: number;
  /** Words seen fewer times are dropped; default 1. */
  minCount?: number;
  /** Labels seen fewer times are dropped; default 0. */
  minCountLabel?: number;
  /** Hash buckets for word n-grams; default 2,000,000, and 0 when wordNgrams is 1. */
  bucket?: number;
  /** Loss: softmax (default), ns, hs or ova (one-vs-all, multi-label). */
  loss?: SupervisedLoss;
  /** Negatives per example for loss ns; default 5. */
  neg?: number;
  /** Tokens between learning-rate updates; default 100. */
  lrUpdateRate?: number;
  /** Label prefix; default `__label__`. */
  label?: string;
  /** Seed of the initial vectors and of the random draws; default 0. */
  seed?: number;
  /** Word vectors to start the input rows of known words from (fastText's -pretrainedVectors). */
  pretrainedVectors?: WordVectorTable;
  /**
   * Blocks of the input matrix fastText would initialise (its -thread): the first min(initBlocks, 10)
   * tenths start uniform in [-1/dim, 1/dim], the rest at zero, as in native fastText 0.9.2 (see
   * `fastTextInputMatrix`). Default 10 (native's default -thread 12); the CLI passes its -thread.
   */
  initBlocks?: number;
  /**
   * Called about every 0.25 s of training and at the end (`epochEnd` true). A step is one input
   * token (counted as fastText does, every lrUpdateRate tokens); `loss` is the mean of the
   * examples since the previous report.
   */
  onProgress?: (p: Progress) => void;
  /**
   * Stops training early: checked between steps (256 examples each). Once it is aborted, training
   * ends at the next step boundary, the returned model holds the weights trained so far and the
   * last progress is reported. Already aborted: nothing is trained (the initial weights). Training
   * yields a macrotask to the event loop about every 50 ms so an abort from a message or a timer
   * gets through. A signal that never aborts changes nothing (bit-identical model). See
   * docs/models.md "Stopping training".
   */
  signal?: AbortSignal;
}

/** Every option of FastTextClassifier.train (an unknown name is an error, not silently ignored). */
const SUPERVISED_OPTIONS: readonly (keyof FastTextSupervisedOptions)[] = [
  'dim',
  'epoch',
  'lr',
  'wordNgrams',
  'minCount',
  'minCountLabel',
  'bucket',
  'loss',
  'neg',
  'lrUpdateRate',
  'label',
  'seed',
  'pretrainedVectors',
  'initBlocks',
  'onProgress',
  'signal',
];

/** One predicted label and its probability. */
export interface Prediction {
  /** The label without its prefix removed (as fastText prints it). */
  label: string;
  prob: number;
}

/** What `test` returns: the examples counted, precision at k and recall at k. */
export interface TestResult {
  /** Examples with at least one known label. */
  n: number;
  /** Correct predictions / predictions made (P@k). */
  precision: number;
  /** Correct predictions / gold labels (R@k). */
  recall: number;
}

const EXAMPLES_PER_STEP = 256;

function checkInt(fn: string, name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min)
    throw new ArgumentError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function linesOf(text: string | Uint8Array): string[] {
  // bytes as the tokenizer decodes them (Vocab.build): invalid UTF-8 kept as U+DC80.. escapes, a BOM kept
  const s = typeof text === 'string' ? text : wordFromBytes(text);
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A trained supervised fastText model. Holds its matrices in Wasm memory: call `dispose()` when done. */
export class FastTextClassifier {
  private constructor(
    readonly args: FastTextArgs,
    readonly words: FastTextModelData['words'],
    readonly ntokens: number,
    private readonly input: Tensor,
    private readonly output: Tensor,
    readonly labelPrefix: string,
  ) {}

  /** Labels in id order (their counts order, most frequent first). */
  get labels(): string[] {
    return this.words.filter((e) => e.type === 'label').map((e) => e.word);
  }

  private get labelCounts(): number[] {
    return this.words.filter((e) => e.type === 'label').map((e) => e.count);
  }

  /** Train on lines `__label__a __label__b word word ...` (fastText's supervised format). */
  static async train(text: string | Uint8Array, options: FastTextSupervisedOptions = {}): Promise<FastTextClassifier> {
    const fn = 'FastTextClassifier.train';
    rt(fn);
    checkOptionKeys(fn, options, SUPERVISED_OPTIONS);
    const dim = checkInt(fn, 'dim', options.dim, 100, 1);
    const epoch = checkInt(fn, 'epoch', options.epoch, 5, 1);
    const wordNgrams = checkInt(fn, 'wordNgrams', options.wordNgrams, 1, 1);
    const minCount = checkInt(fn, 'minCount', options.minCount, 1, 0);
    const minCountLabel = checkInt(fn, 'minCountLabel', options.minCountLabel, 0, 0);
    const bucket = checkInt(fn, 'bucket', options.bucket, wordNgrams > 1 ? 2_000_000 : 0, 0);
    const neg = checkInt(fn, 'neg', options.neg, 5, 1);
    const lrUpdateRate = checkInt(fn, 'lrUpdateRate', options.lrUpdateRate, 100, 1);
    const seed = checkInt(fn, 'seed', options.seed, 0, 0);
    const initBlocks = checkInt(fn, 'initBlocks', options.initBlocks, 10, 0);
    const lr0 = options.lr ?? 0.1;
    if (!(lr0 > 0 && Number.isFinite(lr0)))
      throw new ArgumentError(`${fn}: lr must be a finite number > 0, got ${lr0}`);
    const loss = options.loss ?? 'softmax';
    if (!['softmax', 'ns', 'hs', 'ova'].includes(loss))
      throw new ArgumentError(`${fn}: loss must be one of softmax, ns, hs, ova, got ${JSON.stringify(loss)}`);
    if (wordNgrams > 1 && bucket === 0) throw new ArgumentError(`${fn}: bucket must be > 0 when wordNgrams > 1, got 0`);
    const label = options.label ?? '__label__';
    const session = new TrainingSession(fn, options, '', 250);

    const vocab = await Vocab.build(text, { minCount, minCountLabel, labelPrefix: label });
    if (vocab.nlabels === 0)
      throw new ArgumentError(`${fn}: text must contain labels starting with ${JSON.stringify(label)}, got none`);
    const args: FastTextArgs = {
      dim,
      ws: 5,
      epoch,
      minCount,
      neg,
      wordNgrams,
      loss,
      model: 'sup',
      bucket,
      minn: 0,
      maxn: 0,
      lrUpdateRate,
      t: 1e-4,
    };
    const words = vocab.entries().map((e) => ({ word: e.word, count: e.count, type: e.type }));
    const lookup: FastTextModelData = {
      args,
      words,
      ntokens: vocab.ntokens,
      pruneIdxSize: -1,
      input: { rows: 0, cols: dim, data: new Float32Array(0) },
      output: { rows: 0, cols: dim, data: new Float32Array(0) },
    };

    // Examples in CSR form, once (every epoch reads them in file order, as one fastText thread does).
    const lines = linesOf(text);
    const rows: number[] = [];
    const offsets = [0];
    const labels: number[] = [];
    const labelOffsets = [0];
    const tokens: number[] = [];
    for (const line of lines) {
      const ex = fastTextLineIds(lookup, line, { label });
      // Element by element: a spread of a long line's ids overflows the call stack (workerd: ~80k tokens).
      for (const id of ex.ids) rows.push(id);
      for (const l of ex.labels) labels.push(l);
      offsets.push(rows.length);
      labelOffsets.push(labels.length);
      tokens.push(line.split(/[ \t\v\f\r\0]+/).filter((t) => t.length > 0).length + 1);
    }

    // fastText's initialisation: input uniform in [-1/dim, 1/dim] over the first initBlocks tenths, output zero.
    const nrows = vocab.nwords + bucket;
    const input = fastTextInputMatrix(nrows, dim, initBlocks, { seed, stream: 11 });
    const output = Tensor.zeros([vocab.nlabels, dim]);
    if (options.pretrainedVectors !== undefined) loadPretrained(fn, input, vocab, options.pretrainedVectors);
    const model = new FastTextClassifier(args, words, vocab.ntokens, input, output, label);
    const trainer = new SupervisedTrainer(input, output, {
      loss,
      neg,
      labelCounts: model.labelCounts,
      seed,
      stream: 12,
    });
    try {
      const total = epoch * vocab.ntokens;
      let tokenCount = 0;
      let local = 0;
      let lossSum = 0;
      let lossN = 0;
      session.start({ epochs: epoch, steps: total });
      const n = lines.length;
      const csr = {
        rows: Int32Array.from(rows),
        offsets: Int32Array.from(offsets),
        labels: Int32Array.from(labels),
        labelOffsets: Int32Array.from(labelOffsets),
      };
      const report = (ep: number, force: boolean) =>
        session.report(force, tokenCount, () => {
          const loss = lossN > 0 ? lossSum / lossN : 0;
          lossSum = 0;
          lossN = 0;
          return { epoch: ep + 1, step: tokenCount, lr: lr0 * (1 - Math.min(1, tokenCount / total)), loss };
        });
      let ep = 0;
      train: for (; ep < epoch; ep++) {
        for (let b = 0; b < n; b += EXAMPLES_PER_STEP) {
          if (await session.stopRequested()) break train;
          const e1 = Math.min(n, b + EXAMPLES_PER_STEP);
          const lrs = new Float32Array(e1 - b);
          for (let e = b; e < e1; e++) {
            // fastText: lr = lr0 (1 - progress), progress advanced every lrUpdateRate tokens.
            lrs[e - b] = lr0 * (1 - Math.min(1, tokenCount / total));
            local += tokens[e]!;
            if (local > lrUpdateRate) {
              tokenCount += local;
              local = 0;
            }
          }
          const r0 = csr.offsets[b]!;
          const l0 = csr.labelOffsets[b]!;
          const r = trainer.step({
            rows: csr.rows.subarray(r0, csr.offsets[e1]),
            offsets: csr.offsets.slice(b, e1 + 1).map((v) => v - r0),
            labels: csr.labels.subarray(l0, csr.labelOffsets[e1]),
            labelOffsets: csr.labelOffsets.slice(b, e1 + 1).map((v) => v - l0),
            lrs,
          });
          lossSum += r.loss * r.examples;
          lossN += r.examples;
          report(ep, false);
        }
      }
      tokenCount += local;
      report(Math.min(ep, epoch - 1), true);
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      session.close();
      trainer.dispose();
    }
    return model;
  }

  /** A model from the bytes of a supervised fastText `.bin` (native or ours). */
  static fromBytes(bytes: Uint8Array | ArrayBuffer, options: { label?: string } = {}): FastTextClassifier {
    const fn = 'FastTextClassifier.fromBytes';
    rt(fn);
    const m = readFastTextBin(checkBytes(fn, 'bytes', bytes));
    if (m.args.model !== 'sup')
      throw new ArgumentError(`${fn}: model must be a supervised model, got ${JSON.stringify(m.args.model)}`);
    const input = Tensor.fromArray(m.input.data, [m.input.rows, m.input.cols]);
    const output = Tensor.fromArray(m.output.data, [m.output.rows, m.output.cols]);
    return new FastTextClassifier(m.args, m.words, m.ntokens, input, output, options.label ?? '__label__');
  }

  /** The model as native fastText `.bin` bytes (`fasttext predict` reads them). */
  toBytes(): Uint8Array {
    return writeFastTextBin(this.toModelData());
  }

  /**
   * The model's data (args, dictionary, matrices) with views of its matrices in
   * Wasm memory, no copies: valid until the next Wasm allocation.
   */
  toModelData(): FastTextModelData {
    return {
      args: this.args,
      words: this.words,
      ntokens: this.ntokens,
      pruneIdxSize: -1,
      input: { rows: this.input.shape[0]!, cols: this.input.shape[1]!, data: this.input.view() as Float32Array },
      output: { rows: this.output.shape[0]!, cols: this.output.shape[1]!, data: this.output.view() as Float32Array },
    };
  }

  private lookup(): FastTextModelData {
    return {
      args: this.args,
      words: this.words,
      ntokens: this.ntokens,
      pruneIdxSize: -1,
      input: { rows: 0, cols: this.args.dim, data: new Float32Array(0) },
      output: { rows: 0, cols: this.args.dim, data: new Float32Array(0) },
    };
  }

  /** Input rows (CSR) and gold label ids of lines, each line read once. */
  private encodeLines(lines: string[]): { rows: Int32Array; offsets: Int32Array; labels: number[][] } {
    const lk = this.lookup();
    const rows: number[] = [];
    const offsets = [0];
    const labels: number[][] = [];
    for (const line of lines) {
      const ex = fastTextLineIds(lk, line, { label: this.labelPrefix });
      for (const id of ex.ids) rows.push(id);
      offsets.push(rows.length);
      labels.push(ex.labels);
    }
    return { rows: Int32Array.from(rows), offsets: Int32Array.from(offsets), labels };
  }

  /** Label probabilities of encoded lines, one kernel call. */
  private probs(rows: Int32Array, offsets: Int32Array): Float32Array[] {
    const p = supervisedPredict(this.input, this.output, rows, offsets, {
      loss: this.args.loss,
      labelCounts: this.args.loss === 'hs' ? this.labelCounts : undefined,
    });
    const nl = this.output.shape[0]!;
    return Array.from({ length: offsets.length - 1 }, (_, i) => p.subarray(i * nl, (i + 1) * nl));
  }

  /** Label ids of the k highest probabilities >= threshold, most likely first (ties: lower id). */
  private static topK(p: Float32Array, k: number, threshold: number): number[] {
    const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
    return order.slice(0, k).filter((i) => p[i]! >= threshold);
  }

  private static checkK(fn: string, k: number, threshold: number): void {
    if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`${fn}: k must be an integer >= 1, got ${k}`);
    if (!(threshold >= 0 && threshold <= 1))
      throw new ArgumentError(`${fn}: threshold must be in [0, 1], got ${threshold}`);
  }

  /** Label probabilities (in label-id order) for each line. */
  probabilities(lines: string[]): Float32Array[] {
    const { rows, offsets } = this.encodeLines(lines);
    return this.probs(rows, offsets);
  }

  /** The k most likely labels of a line with probability >= threshold, most likely first. */
  predict(line: string, k = 1, threshold = 0): Prediction[] {
    return this.predictLines([line], k, threshold)[0]!;
  }

  /** predict() for many lines at once (one kernel call). */
  predictLines(lines: string[], k = 1, threshold = 0): Prediction[][] {
    const fn = 'FastTextClassifier.predict';
    FastTextClassifier.checkK(fn, k, threshold);
    const names = this.labels;
    return this.probabilities(lines).map((p) =>
      FastTextClassifier.topK(p, k, threshold).map((i) => ({ label: names[i]!, prob: p[i]! })),
    );
  }

  /** Precision and recall at k on labelled lines (fastText's `test`). */
  test(text: string | Uint8Array, k = 1, threshold = 0): TestResult {
    const fn = 'FastTextClassifier.test';
    FastTextClassifier.checkK(fn, k, threshold);
    const { rows, offsets, labels: gold } = this.encodeLines(linesOf(text));
    const probs = this.probs(rows, offsets);
    let n = 0,
      predicted = 0,
      correct = 0,
      golds = 0;
    for (let i = 0; i < gold.length; i++) {
      if (gold[i]!.length === 0) continue;
      n++;
      golds += gold[i]!.length;
      const top = FastTextClassifier.topK(probs[i]!, k, threshold);
      predicted += top.length;
      for (const id of top) if (gold[i]!.includes(id)) correct++;
    }
    return { n, precision: predicted > 0 ? correct / predicted : 0, recall: golds > 0 ? correct / golds : 0 };
  }

  /** Free the matrices in Wasm memory. */
  dispose(): void {
    if (!this.input.disposed) this.input.dispose();
    if (!this.output.disposed) this.output.dispose();
  }
}

function loadPretrained(fn: string, input: Tensor, vocab: Vocab, wv: WordVectorTable): void {
  const dim = input.shape[1]!;
  if (wv.dim !== dim) throw new ShapeError(`${fn}: pretrainedVectors must have dimension ${dim} (dim), got ${wv.dim}`);
  const view = input.view() as Float32Array;
  for (let i = 0; i < wv.words.length; i++) {
    const id = vocab.id(wv.words[i]!);
    if (id >= 0 && id < vocab.nwords) view.set(wv.data.subarray(i * dim, (i + 1) * dim), id * dim);
  }
}
