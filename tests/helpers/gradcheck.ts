// Central finite differences through the tape. The checked function returns a
// Variable y; the loss is sum(y * R) for fixed seeded weights R, evaluated in
// float64 from y's float32 values (so only y's own rounding enters the
// differences). The analytic gradient is backward(y, R) on leaf Variables.
import { expect } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { type Variable, noGrad, step, variable } from '../../src/autograd/tape.js';
import { seededValues } from '../reference/softmax.js';

export interface GradCheckOptions {
  /** Step of the differences (the actual float32 step is used in the quotient). */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Seed of the weights R. */
  seed?: number;
}

/** Checks d sum(build(xs) * R) / d xs against central differences, for every element of every input. */
/** d loss / d t[j] by central differences: t[j] ± eps (rounded to float32), restored after. */
export function centralDifference(t: Tensor, j: number, eps: number, loss: () => number): number {
  const orig = t.view()[j]!;
  const xp = Math.fround(orig + eps),
    xm = Math.fround(orig - eps);
  t.view()[j] = xp;
  const fp = loss();
  t.view()[j] = xm;
  const fm = loss();
  t.view()[j] = orig;
  return (fp - fm) / (xp - xm);
}

export function gradCheck(build: (...xs: Variable[]) => Variable, inputs: Tensor[], o: GradCheckOptions = {}): void {
  const eps = o.eps ?? 1e-2;
  const rtol = o.rtol ?? 1e-2;
  const atol = o.atol ?? 1e-3;
  let R: Float64Array = new Float64Array(0);
  let shape: readonly number[] = [];
  const analytic = step(() => {
    const vars = inputs.map((t) => variable(t, { requiresGrad: true }));
    const y = build(...vars);
    shape = y.shape;
    R = y.size === 1 ? Float64Array.of(1) : Float64Array.from(seededValues(y.size, o.seed ?? 5, 1), Math.fround);
    const seed = Tensor.fromArray(R, y.shape);
    try {
      y.backward(seed);
    } finally {
      seed.dispose();
    }
    return vars.map((v) => (v.grad === null ? new Float32Array(v.size) : (v.grad.toArray() as Float32Array)));
  });
  const loss = () =>
    noGrad(() => {
      const y = build(...inputs.map((t) => variable(t)));
      expect(y.shape).toEqual(shape);
      const yv = y.value.view();
      let s = 0;
      for (let i = 0; i < yv.length; i++) s += yv[i]! * R[i]!;
      return s;
    });
  for (const [k, t] of inputs.entries()) {
    for (let j = 0; j < t.size; j++) {
      const num = centralDifference(t, j, eps, loss);
      const got = analytic[k]![j]!;
      if (!(Math.abs(got - num) <= atol + rtol * Math.abs(num))) {
        expect.fail(`input ${k} element ${j}: analytic ${got}, finite differences ${num} (eps ${eps})`);
      }
    }
  }
}
