import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { Tensor } from '../../src/core/tensor.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';
import { SupervisedTrainer, supervisedPredict, type SupervisedLoss } from '../../src/models/fasttext/trainer.js';
import { huffmanTree, negativeTable } from '../../src/ops/tables.js';
import { refTrain } from '../reference/fasttext.js';

beforeAll(async () => {
  await initForTests();
});

/** A seeded toy problem: `nrows` input rows, examples with 1..4 rows and 1..2 labels. */
function problem(nrows: number, dim: number, nlabels: number, nex: number, seed: number) {
  const rng = new Philox(seed, 9);
  const input = Float32Array.from({ length: nrows * dim }, () => (rng.nextFloat() - 0.5) / dim);
  const output = Float32Array.from({ length: nlabels * dim }, () => (rng.nextFloat() - 0.5) * 0.2);
  const ex = Array.from({ length: nex }, (_, e) => ({
    rows: Array.from({ length: 1 + rng.nextInt(4) }, () => rng.nextInt(nrows)),
    labels: Array.from({ length: 1 + (nlabels > 1 ? rng.nextInt(2) : 0) }, () => rng.nextInt(nlabels)),
    lr: 0.5 * (1 - e / nex),
  }));
  ex[3] = { ...ex[3]!, rows: [] }; // skipped: no rows
  return { input, output, ex };
}

function csr(ex: { rows: number[]; labels: number[]; lr: number }[]) {
  const offsets = new Int32Array(ex.length + 1);
  const labelOffsets = new Int32Array(ex.length + 1);
  ex.forEach((e, i) => {
    offsets[i + 1] = offsets[i]! + e.rows.length;
    labelOffsets[i + 1] = labelOffsets[i]! + e.labels.length;
  });
  return {
    rows: Int32Array.from(ex.flatMap((e) => e.rows)),
    offsets,
    labels: Int32Array.from(ex.flatMap((e) => e.labels)),
    labelOffsets,
    lrs: Float32Array.from(ex.map((e) => e.lr)),
  };
}

describe('training = float64 reference of the same updates and draws', () => {
  const cases: { loss: SupervisedLoss; dim: number; nlabels: number }[] = [
    { loss: 'softmax', dim: 7, nlabels: 5 },
    { loss: 'softmax', dim: 16, nlabels: 2 },
    { loss: 'ns', dim: 9, nlabels: 6 },
    { loss: 'hs', dim: 8, nlabels: 7 },
    { loss: 'hs', dim: 3, nlabels: 2 },
    { loss: 'ova', dim: 5, nlabels: 4 },
  ];
  for (const c of cases) {
    test(`${c.loss} dim=${c.dim} labels=${c.nlabels}`, () => {
      const { input, output, ex } = problem(23, c.dim, c.nlabels, 40, c.dim * 31 + c.nlabels);
      const counts = Array.from({ length: c.nlabels }, (_, i) => 1 + ((i * 7) % 5));
      const inT = Tensor.fromArray(input, [23, c.dim]);
      const outT = Tensor.fromArray(output, [c.nlabels, c.dim]);
      const tr = new SupervisedTrainer(inT, outT, { loss: c.loss, neg: 3, labelCounts: counts, seed: 5, stream: 2 });
      const half = csr(ex.slice(0, 20));
      const rest = csr(ex.slice(20));
      const a = tr.step(half);
      const b = tr.step(rest); // the random stream continues across calls
      const ref = {
        input: Float64Array.from(input),
        output: Float64Array.from(output),
        dim: c.dim,
        nlabels: c.nlabels,
      };
      const lossRef = refTrain(ref, ex, {
        loss: c.loss,
        neg: 3,
        negTable: negativeTable(counts),
        hs: huffmanTree(counts, 'fasttext'),
        rng: new Philox(5, 2),
      });
      expectClose(inT.toArray(), ref.input, { rtol: 1e-4, atol: 1e-6 });
      expectClose(outT.toArray(), ref.output, { rtol: 1e-4, atol: 1e-6 });
      expect(a.examples + b.examples).toBe(39);
      expect(a.loss * a.examples + b.loss * b.examples).toBeCloseTo(lossRef, 3);
      // the updates moved the parameters
      expect(Math.max(...outT.toArray().map((v, i) => Math.abs(v - output[i]!)))).toBeGreaterThan(1e-3);
      tr.dispose();
      inT.dispose();
      outT.dispose();
    });
  }
});

describe('learning and prediction', () => {
  for (const loss of ['softmax', 'ns', 'hs', 'ova'] as SupervisedLoss[]) {
    test(`${loss}: separable toy data reaches 100% and probabilities are consistent`, () => {
      // rows 0-9 belong to label 0, 10-19 to label 1, 20-29 to label 2
      const rng = new Philox(1, 1);
      const ex = Array.from({ length: 600 }, (_, e) => {
        const y = rng.nextInt(3);
        return {
          rows: Array.from({ length: 3 }, () => y * 10 + rng.nextInt(10)),
          labels: [y],
          lr: 0.2 * (1 - e / 600),
        };
      });
      const dim = 10;
      const inT = Tensor.fromArray(
        Float32Array.from({ length: 30 * dim }, () => (rng.nextFloat() - 0.5) / dim),
        [30, dim],
      );
      const outT = Tensor.zeros([3, dim]);
      const counts = [200, 200, 200];
      const tr = new SupervisedTrainer(inT, outT, { loss, labelCounts: counts, seed: 3 });
      let first = 0,
        last = 0;
      for (let i = 0; i < 6; i++) {
        const r = tr.step(csr(ex.slice(i * 100, (i + 1) * 100)));
        if (i === 0) first = r.loss;
        last = r.loss;
      }
      expect(last).toBeLessThan(first);
      const test_ = Array.from({ length: 30 }, (_, i) => ({ rows: [i], labels: [Math.floor(i / 10)], lr: 0 }));
      const { rows, offsets } = csr(test_);
      const p = tr.predict(rows, offsets);
      const p2 = supervisedPredict(inT, outT, rows, offsets, { loss, labelCounts: counts });
      expect(p2).toEqual(p);
      for (let i = 0; i < 30; i++) {
        const row = Array.from(p.subarray(i * 3, i * 3 + 3));
        expect(row.indexOf(Math.max(...row))).toBe(Math.floor(i / 10));
        if (loss === 'softmax' || loss === 'hs') expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        for (const v of row) expect(v).toBeGreaterThanOrEqual(0);
      }
      tr.dispose();
      inT.dispose();
      outT.dispose();
    });
  }
});

describe("huffmanTree(counts, 'fasttext') and negativeTable", () => {
  test('Huffman codes are prefix-free, frequent labels get shorter paths', () => {
    const counts = [50, 20, 10, 10, 5, 3, 1, 1];
    const t = huffmanTree(counts, 'fasttext');
    const codes = counts.map((_, i) =>
      Array.from(t.codes.subarray(t.offsets[i], t.offsets[i + 1]))
        .reverse()
        .join(''),
    );
    for (let i = 0; i < codes.length; i++)
      for (let j = 0; j < codes.length; j++) if (i !== j) expect(codes[j]!.startsWith(codes[i]!)).toBe(false);
    expect(codes[0]!.length).toBeLessThanOrEqual(codes[7]!.length);
    for (const p of t.points) expect(p >= 0 && p < counts.length - 1).toBe(true);
    // Kraft equality for a full binary tree
    expect(codes.reduce((a, c) => a + 2 ** -c.length, 0)).toBeCloseTo(1, 12);
  });
  test('negative table follows count^0.5', () => {
    const t = negativeTable([100, 25, 1], 10_000);
    const f = [0, 0, 0];
    for (const v of t) f[v]!++;
    expect(f[0]! / t.length).toBeCloseTo(10 / 16, 2);
    expect(f[1]! / t.length).toBeCloseTo(5 / 16, 2);
    expect(f[2]! / t.length).toBeCloseTo(1 / 16, 2);
  });
});

describe('bad input', () => {
  test('typed errors', () => {
    const inT = Tensor.zeros([5, 4]);
    const outT = Tensor.zeros([3, 4]);
    expect(() => new SupervisedTrainer(inT, Tensor.zeros([3, 5]))).toThrow(ShapeError);
    expect(() => new SupervisedTrainer(inT, outT, { loss: 'hinge' as never })).toThrow(/loss must be one of/);
    expect(() => new SupervisedTrainer(inT, outT, { labelCounts: [1, 2] })).toThrow(ShapeError);
    expect(() => new SupervisedTrainer(inT, outT, { labelCounts: [1, 0, 2] })).toThrow(/labelCounts\[1\] must be > 0/);
    const tr = new SupervisedTrainer(inT, outT);
    const ok = {
      rows: Int32Array.of(0, 1),
      offsets: Int32Array.of(0, 2),
      labels: Int32Array.of(2),
      labelOffsets: Int32Array.of(0, 1),
      lrs: Float32Array.of(0.1),
    };
    expect(() => tr.step({ ...ok, rows: Int32Array.of(0, 5) })).toThrow(
      /rows\[1\] must be a row of input in \[0, 5\), got 5/,
    );
    expect(() => tr.step({ ...ok, labels: Int32Array.of(3) })).toThrow(ArgumentError);
    expect(() => tr.step({ ...ok, offsets: Int32Array.of(0, 1) })).toThrow(/offsets must run from 0 to 2/);
    expect(() => tr.step({ ...ok, lrs: Float32Array.of(NaN) })).toThrow(/lrs\[0\] must be a finite number/);
    expect(() => tr.step({ ...ok, lrs: Float32Array.of() })).toThrow(ShapeError);
    tr.dispose();
    expect(() => tr.step(ok)).toThrow(/disposed/);
    expect(() => supervisedPredict(inT, outT, Int32Array.of(0), Int32Array.of(0, 1), { loss: 'hs' })).toThrow(
      /labelCounts must be given/,
    );
  });
});
