// Float64 reference of fastText's supervised update (the same order of updates
// and the same random draws as assembly/fasttext.ts, from the Philox mirror).
import { Philox } from '../../src/core/rng.js';

export type Loss = 'softmax' | 'ns' | 'hs' | 'ova';

export interface RefModel {
  input: Float64Array;
  output: Float64Array;
  dim: number;
  nlabels: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function refTrain(
  m: RefModel,
  ex: { rows: number[]; labels: number[]; lr: number }[],
  o: {
    loss: Loss;
    neg: number;
    negTable: Int32Array;
    hs?: { points: Int32Array; codes: Int32Array; offsets: Int32Array };
    rng: Philox;
  },
): number {
  const { dim, nlabels } = m;
  const uniformInt = (n: number) => Number((BigInt(o.rng.nextU32()) * BigInt(n)) >> 32n);
  let lossSum = 0;
  for (const e of ex) {
    if (e.rows.length === 0 || e.labels.length === 0) continue;
    const h = new Float64Array(dim);
    for (const r of e.rows) for (let i = 0; i < dim; i++) h[i]! += m.input[r * dim + i]!;
    for (let i = 0; i < dim; i++) h[i]! /= e.rows.length;
    const g = new Float64Array(dim);
    const dot = (j: number) => {
      let s = 0;
      for (let i = 0; i < dim; i++) s += m.output[j * dim + i]! * h[i]!;
      return s;
    };
    const update = (j: number, a: number) => {
      for (let i = 0; i < dim; i++) g[i]! += a * m.output[j * dim + i]!;
      for (let i = 0; i < dim; i++) m.output[j * dim + i]! += a * h[i]!;
    };
    const logistic = (j: number, y: boolean) => {
      const s = sigmoid(dot(j));
      update(j, e.lr * ((y ? 1 : 0) - s));
      return -Math.log((y ? s : 1 - s) + 1e-5);
    };
    let l = 0;
    if (o.loss === 'ova') {
      for (let i = 0; i < nlabels; i++) l += logistic(i, e.labels.includes(i));
    } else {
      const t = e.labels[uniformInt(e.labels.length)]!;
      if (o.loss === 'softmax') {
        const s = Array.from({ length: nlabels }, (_, i) => dot(i));
        const mx = Math.max(...s);
        const z = s.reduce((a, v) => a + Math.exp(v - mx), 0);
        const p = s.map((v) => Math.exp(v - mx) / z);
        for (let i = 0; i < nlabels; i++) update(i, e.lr * ((i === t ? 1 : 0) - p[i]!));
        l = -Math.log(p[t]! + 1e-5);
      } else if (o.loss === 'ns') {
        l += logistic(t, true);
        for (let k = 0; k < o.neg; k++) {
          let j = t;
          for (let tries = 0; j === t && tries < 64; tries++) j = o.negTable[uniformInt(o.negTable.length)]!;
          if (j === t) continue;
          l += logistic(j, false);
        }
      } else {
        const hs = o.hs!;
        for (let p = hs.offsets[t]!; p < hs.offsets[t + 1]!; p++) l += logistic(hs.points[p]!, hs.codes[p] !== 0);
      }
    }
    for (const r of e.rows) for (let i = 0; i < dim; i++) m.input[r * dim + i]! += g[i]! / e.rows.length;
    lossSum += l;
  }
  return lossSum;
}
