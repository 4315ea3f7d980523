// fastText's supervised classifier on the Wasm kernel: batches of examples
// (input row ids and label ids, CSR) trained with one SGD step each, and label
// probabilities for prediction. The model class (src/models) turns text into
// rows (words + hashed word n-grams) and schedules the learning rate.
import { ArgumentError, ShapeError, formatShape } from '../../core/errors.js';
import { type Runtime, rt } from '../../core/runtime.js';
import { Tensor, expectTensor } from '../../core/tensor.js';
import { huffmanTree, negativeTable } from '../../ops/tables.js';

/** The loss of supervised training: softmax, negative sampling, hierarchical softmax or one-vs-all. */
export type SupervisedLoss = 'softmax' | 'ns' | 'hs' | 'ova';

const LOSS_CODE: Record<SupervisedLoss, number> = { softmax: 0, ns: 1, hs: 2, ova: 3 };

/** Examples in CSR form: example e has rows[offsets[e]..offsets[e+1]) and labels[labelOffsets[e]..labelOffsets[e+1]). */
export interface SupervisedBatch {
  rows: Int32Array;
  offsets: Int32Array;
  labels: Int32Array;
  labelOffsets: Int32Array;
  /** Learning rate of each example. */
  lrs: Float32Array;
}

/** Options of SupervisedTrainer: the loss, negatives, label counts, seed and stream. */
export interface SupervisedTrainerOptions {
  loss?: SupervisedLoss;
  /** Negatives per example for loss 'ns'; default 5. */
  neg?: number;
  /** Label frequencies: the ns sampling table (count^0.5, as fastText) and the hs Huffman tree. */
  labelCounts?: ArrayLike<number>;
  seed?: number;
  /** Philox stream of the draws (label choice, negatives); default 0. */
  stream?: number;
}

function checkCsr(
  fn: string,
  name: string,
  offsets: Int32Array,
  values: Int32Array,
  n: number,
  limit: number,
  what: string,
): void {
  if (offsets.length !== n + 1)
    throw new ShapeError(`${fn}: ${name} offsets must have ${n + 1} entries, got ${offsets.length}`);
  if (offsets[0] !== 0 || offsets[n] !== values.length) {
    throw new ArgumentError(
      `${fn}: ${name} offsets must run from 0 to ${values.length}, got ${offsets[0]}..${offsets[n]}`,
    );
  }
  for (let e = 0; e < n; e++) {
    if (offsets[e + 1]! < offsets[e]!)
      throw new ArgumentError(
        `${fn}: ${name} offsets must not decrease, got ${offsets[e]} then ${offsets[e + 1]} at ${e}`,
      );
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < limit))
      throw new ArgumentError(`${fn}: ${name}[${i}] must be a ${what} in [0, ${limit}), got ${v}`);
  }
}

/** Copies typed arrays into one Wasm block (16-byte aligned parts); returns their offsets. */
function stage(r: Runtime, parts: ArrayBufferView[]): { block: number; ptrs: number[] } {
  const sizes = parts.map((p) => (p.byteLength + 15) & ~15);
  const block = r.heap.alloc(sizes.reduce((a, b) => a + b, 0));
  const ptrs: number[] = [];
  let at = block;
  const bytes = new Uint8Array(r.memory.buffer);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    ptrs.push(at);
    at += sizes[i]!;
  }
  return { block, ptrs };
}

/**
 * Trains an input matrix (rows, dim) and an output matrix (labels, dim) with
 * fastText's supervised update. Holds its random stream and the tables of its
 * loss; call `dispose()` to free them (the matrices stay the caller's).
 */
export class SupervisedTrainer {
  readonly loss: SupervisedLoss;
  readonly neg: number;
  readonly nlabels: number;
  readonly dim: number;
  private readonly tables: { block: number; ptrs: number[]; negSize: number };
  private readonly rng: number;
  private readonly scratch: number;
  private readonly lossOut: number;
  private disposed = false;

  constructor(
    readonly input: Tensor,
    readonly output: Tensor,
    options: SupervisedTrainerOptions = {},
  ) {
    const fn = 'SupervisedTrainer';
    const r = rt(fn);
    const [, dim] = expectTensor(fn, 'input', input, 2) as [number, number];
    const [nlabels, odim] = expectTensor(fn, 'output', output, 2) as [number, number];
    if (odim !== dim)
      throw new ShapeError(`${fn}: output must have ${dim} columns like input, got shape ${formatShape(output.shape)}`);
    if (nlabels < 1)
      throw new ShapeError(`${fn}: output must have at least 1 row (label), got ${formatShape(output.shape)}`);
    const loss = options.loss ?? 'softmax';
    if (!(loss in LOSS_CODE))
      throw new ArgumentError(`${fn}: loss must be one of softmax, ns, hs, ova, got ${JSON.stringify(loss)}`);
    const neg = options.neg ?? 5;
    if (!Number.isInteger(neg) || neg < 0) throw new ArgumentError(`${fn}: neg must be an integer >= 0, got ${neg}`);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new ArgumentError(`${fn}: seed must be an integer in [0, 2^53), got ${seed}`);
    const stream = options.stream ?? 0;
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff)
      throw new ArgumentError(`${fn}: stream must be an integer in [0, 2^32), got ${stream}`);
    const counts = options.labelCounts ?? new Array<number>(nlabels).fill(1);
    if (counts.length !== nlabels)
      throw new ShapeError(
        `${fn}: labelCounts must have ${nlabels} entries (one per output row), got ${counts.length}`,
      );
    for (let i = 0; i < nlabels; i++) {
      if (!(counts[i]! > 0)) throw new ArgumentError(`${fn}: labelCounts[${i}] must be > 0, got ${counts[i]}`);
    }
    this.loss = loss;
    this.neg = neg;
    this.nlabels = nlabels;
    this.dim = dim;
    const neg_ = loss === 'ns' ? negativeTable(counts) : new Int32Array(1);
    const hs =
      loss === 'hs'
        ? huffmanTree(counts, 'fasttext')
        : { points: new Int32Array(1), codes: new Int32Array(1), offsets: new Int32Array(nlabels + 1) };
    const staged = stage(r, [neg_, hs.points, hs.codes, hs.offsets]);
    this.tables = { ...staged, negSize: neg_.length };
    this.rng = r.heap.alloc(48);
    const st = new Uint32Array(r.memory.buffer, this.rng, 10);
    st.set([seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, stream >>> 0, 0, 0, 0, 0, 0, 0, 4]);
    this.scratch = r.heap.alloc((2 * ((dim + 3) & ~3) + nlabels) * 4);
    this.lossOut = r.heap.alloc(16);
    new Float64Array(r.memory.buffer, this.lossOut, 2).fill(0);
  }

  /** One SGD step per example of the batch; returns the batch's mean loss and how many examples were used. */
  step(batch: SupervisedBatch): { loss: number; examples: number } {
    const fn = 'SupervisedTrainer.step';
    if (this.disposed) throw new ArgumentError(`${fn}: trainer must not be disposed, got a disposed trainer`);
    const r = rt(fn);
    const n = batch.offsets.length - 1;
    if (n < 0) throw new ShapeError(`${fn}: offsets must have at least 1 entry, got 0`);
    checkCsr(fn, 'rows', batch.offsets, batch.rows, n, this.input.shape[0]!, 'row of input');
    checkCsr(fn, 'labels', batch.labelOffsets, batch.labels, n, this.nlabels, 'label');
    if (batch.lrs.length !== n) throw new ShapeError(`${fn}: lrs must have ${n} entries, got ${batch.lrs.length}`);
    for (let e = 0; e < n; e++) {
      const lr = batch.lrs[e]!;
      if (!(lr >= 0 && Number.isFinite(lr)))
        throw new ArgumentError(`${fn}: lrs[${e}] must be a finite number >= 0, got ${lr}`);
    }
    const { block, ptrs } = stage(r, [batch.rows, batch.offsets, batch.labels, batch.labelOffsets, batch.lrs]);
    try {
      const lo = new Float64Array(r.memory.buffer, this.lossOut, 2);
      lo.fill(0);
      const [neg, pts, cds, hoff] = this.tables.ptrs as [number, number, number, number];
      r.kernels.ft_supervised_train_f32(
        ptrs[0]!,
        ptrs[1]!,
        ptrs[2]!,
        ptrs[3]!,
        ptrs[4]!,
        neg,
        pts,
        cds,
        hoff,
        this.input.offset,
        this.output.offset,
        this.scratch,
        this.rng,
        this.lossOut,
        n,
        this.dim,
        this.nlabels,
        this.tables.negSize,
        LOSS_CODE[this.loss],
        this.neg,
      );
      const out = new Float64Array(r.memory.buffer, this.lossOut, 2);
      return { loss: out[1]! > 0 ? out[0]! / out[1]! : 0, examples: out[1]! };
    } finally {
      r.heap.free(block);
    }
  }

  /** Label probabilities of each example, (n, nlabels) row-major; examples without rows get zeros. */
  predict(rows: Int32Array, offsets: Int32Array): Float32Array {
    const fn = 'SupervisedTrainer.predict';
    if (this.disposed) throw new ArgumentError(`${fn}: trainer must not be disposed, got a disposed trainer`);
    return supervisedPredict(this.input, this.output, rows, offsets, {
      loss: this.loss,
      hs: this.loss === 'hs' ? this.tables.ptrs : undefined,
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const r = rt('SupervisedTrainer.dispose');
    r.heap.free(this.tables.block);
    r.heap.free(this.rng);
    r.heap.free(this.scratch);
    r.heap.free(this.lossOut);
  }
}

/**
 * Label probabilities for examples (rows in CSR form): softmax for 'softmax',
 * independent sigmoids for 'ns' and 'ova', Huffman path products for 'hs'
 * (which needs the label counts the model was trained with).
 */
export function supervisedPredict(
  input: Tensor,
  output: Tensor,
  rows: Int32Array,
  offsets: Int32Array,
  options: { loss?: SupervisedLoss; labelCounts?: ArrayLike<number>; hs?: number[] } = {},
): Float32Array {
  const fn = 'supervisedPredict';
  const r = rt(fn);
  const [nrows, dim] = expectTensor(fn, 'input', input, 2) as [number, number];
  const [nlabels, odim] = expectTensor(fn, 'output', output, 2) as [number, number];
  if (odim !== dim)
    throw new ShapeError(`${fn}: output must have ${dim} columns like input, got shape ${formatShape(output.shape)}`);
  if (nlabels < 1)
    throw new ShapeError(`${fn}: output must have at least 1 row (label), got shape ${formatShape(output.shape)}`);
  const loss = options.loss ?? 'softmax';
  if (!(loss in LOSS_CODE))
    throw new ArgumentError(`${fn}: loss must be one of softmax, ns, hs, ova, got ${JSON.stringify(loss)}`);
  if (loss === 'hs' && options.hs === undefined && options.labelCounts !== undefined) {
    // the Huffman tree's paths index output rows: one leaf per row
    if (options.labelCounts.length !== nlabels)
      throw new ShapeError(
        `${fn}: labelCounts must have ${nlabels} entries (one per output row), got ${options.labelCounts.length}`,
      );
  }
  const n = offsets.length - 1;
  if (n < 0) throw new ShapeError(`${fn}: offsets must have at least 1 entry, got 0`);
  checkCsr(fn, 'rows', offsets, rows, n, nrows, 'row of input');
  let hsStage: { block: number; ptrs: number[] } | undefined;
  let hsPtrs = options.hs;
  if (loss === 'hs' && hsPtrs === undefined) {
    if (options.labelCounts === undefined)
      throw new ArgumentError(`${fn}: labelCounts must be given for loss "hs", got undefined`);
    const t = huffmanTree(options.labelCounts, 'fasttext');
    hsStage = stage(r, [
      t.points.length ? t.points : new Int32Array(1),
      t.codes.length ? t.codes : new Int32Array(1),
      t.offsets,
    ]);
    hsPtrs = [0, ...hsStage.ptrs];
  }
  const { block, ptrs } = stage(r, [rows.length ? rows : new Int32Array(1), offsets]);
  const scratch = r.heap.alloc(((dim + 3) & ~3) * 4);
  const probs = r.heap.alloc(Math.max(1, n * nlabels) * 4);
  try {
    const [, pts, cds, hoff] = hsPtrs ?? [0, 0, 0, 0];
    r.kernels.ft_supervised_predict_f32(
      ptrs[0]!,
      ptrs[1]!,
      pts!,
      cds!,
      hoff!,
      input.offset,
      output.offset,
      scratch,
      probs,
      n,
      dim,
      nlabels,
      LOSS_CODE[loss],
    );
    return new Float32Array(r.memory.buffer, probs, n * nlabels).slice();
  } finally {
    r.heap.free(block);
    r.heap.free(scratch);
    r.heap.free(probs);
    if (hsStage) r.heap.free(hsStage.block);
  }
}
