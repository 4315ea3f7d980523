// Central finite differences for whole modules, with respect to every
// parameter element and to the float32 input tensors given. As
// tests/helpers/gradcheck.ts: loss = sum(y * R), R fixed, evaluated in float64
// from y's float32 values; analytic gradient = backward(y, R). The module's
// RNG state is restored before every forward, so dropout draws the same masks
// in the analytic pass and in every perturbed pass.
import { expect } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { type Variable, noGrad, step, variable } from '../../src/autograd/tape.js';
import type { Module } from '../../src/nn/index.js';
import { seededValues } from '../reference/softmax.js';
import { centralDifference } from './gradcheck.js';

export interface ModuleGradCheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
  /** Elements not to check (for example an embedding's padding row, which by design gets no gradient). */
  skip?: (name: string, index: number) => boolean;
}

/** Returns the number of elements checked. */
export function moduleGradCheck(
  module: Module,
  build: (...xs: Variable[]) => Variable,
  inputs: Tensor[],
  o: ModuleGradCheckOptions = {},
): number {
  const eps = o.eps ?? 1e-2;
  const rtol = o.rtol ?? 1e-2;
  const atol = o.atol ?? 1e-3;
  const rng = module.rngState();
  const params = module.namedParameters();
  module.zeroGrad();
  let R = new Float64Array(0);
  const analyticX = step(() => {
    module.loadRngState(rng);
    const vars = inputs.map((t) => variable(t, { requiresGrad: true }));
    const y = build(...vars);
    R = Float64Array.from(seededValues(y.size, o.seed ?? 5, 1), Math.fround);
    const seed = Tensor.fromArray(R, y.shape);
    try {
      y.backward(seed);
    } finally {
      seed.dispose();
    }
    return vars.map((v) => (v.grad === null ? new Float32Array(v.size) : (v.grad.toArray() as Float32Array)));
  });
  const analyticP = params.map(([, p]) =>
    p.grad === null ? new Float32Array(p.size) : (p.grad.toArray() as Float32Array),
  );
  const loss = () =>
    noGrad(() => {
      module.loadRngState(rng);
      const y = build(...inputs.map((t) => variable(t)));
      const yv = y.value.view();
      let s = 0;
      for (let i = 0; i < yv.length; i++) s += yv[i]! * R[i]!;
      return s;
    });
  const targets: [string, Tensor, Float32Array][] = [
    ...inputs.map((t, i): [string, Tensor, Float32Array] => [`input ${i}`, t, analyticX[i]!]),
    ...params.map(([n, p], i): [string, Tensor, Float32Array] => [n, p.value, analyticP[i]!]),
  ];
  let checked = 0;
  let nonzero = 0;
  for (const [name, t, got] of targets) {
    for (let j = 0; j < t.size; j++) {
      if (o.skip?.(name, j) === true) continue;
      const num = centralDifference(t, j, eps, loss);
      const g = got[j]!;
      if (!(Math.abs(g - num) <= atol + rtol * Math.abs(num))) {
        expect.fail(`${name} element ${j}: analytic ${g}, finite differences ${num} (eps ${eps})`);
      }
      checked++;
      if (Math.abs(num) > 1e-3) nonzero++;
    }
  }
  // The check is of real gradients, not of zeros.
  expect(nonzero).toBeGreaterThan(checked / 2);
  module.loadRngState(rng);
  return checked;
}
