import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { Variable, isGradEnabled, noGrad, param, step, tape, variable } from '../../src/autograd/tape.js';
import * as F from '../../src/autograd/functional.js';
import { sgdStep } from '../../src/ops/optim.js';

beforeAll(async () => {
  await initForTests();
  // The GEMM workspaces are made on first use and kept: make them before any memory comparison.
  tidy(() => {
    F.matmul(Tensor.zeros([1, 1]), Tensor.zeros([1, 1]));
    F.linear(Tensor.zeros([1, 1]), Tensor.zeros([1, 1]));
  });
  tape.release();
});

const rnd = (shape: number[], seed: number, scale = 0.5) =>
  Tensor.fromArray(
    Float32Array.from(
      seededValues(
        shape.reduce((a, b) => a * b, 1),
        seed,
        scale,
      ),
    ),
    shape,
  );

/** A 2-layer MLP: 5 -> 7 (GELU) -> 3, cross-entropy on fixed data. */
class Mlp {
  w1 = new Parameter(rnd([7, 5], 1));
  b1 = new Parameter(rnd([7], 2, 0.1));
  w2 = new Parameter(rnd([3, 7], 3));
  b2 = new Parameter(rnd([3], 4, 0.1));
  x = rnd([4, 5], 5, 1);
  y = Tensor.fromArray(Int32Array.from([0, 2, 1, 2]), [4], 'int32');
  get params(): Parameter[] {
    return [this.w1, this.b1, this.w2, this.b2];
  }
  loss(): Variable {
    return F.crossEntropy(F.linear(F.gelu(F.linear(this.x, this.w1, this.b1)), this.w2, this.b2), this.y);
  }
  grads(): Float32Array[] {
    return this.params.map((p) => (p.grad === null ? new Float32Array(0) : (p.grad.toArray() as Float32Array)));
  }
  dispose(): void {
    for (const p of this.params) p.dispose();
    this.x.dispose();
    this.y.dispose();
  }
}

describe('gradient accumulation, zeroGrad, requiresGrad', () => {
  test('two backward() calls (same step, or two steps) give twice the gradient; zeroGrad resets', () => {
    const m = new Mlp();
    try {
      step(() => m.loss().backward());
      const once = m.grads();
      expect(once.every((g) => g.length > 0 && g.some((v) => v !== 0))).toBe(true);
      for (const p of m.params) p.zeroGrad();
      step(() => {
        const l = m.loss();
        l.backward();
        l.backward();
      });
      const twice = m.grads();
      for (const [i, g] of twice.entries())
        expectClose(
          g,
          once[i]!.map((v) => 2 * v),
          { rtol: 1e-6, atol: 1e-7 },
        );
      step(() => m.loss().backward());
      for (const [i, g] of m.grads().entries())
        expectClose(
          g,
          once[i]!.map((v) => 3 * v),
          { rtol: 1e-6, atol: 1e-7 },
        );
      for (const p of m.params) p.zeroGrad();
      expect(m.grads().every((g) => g.every((v) => v === 0))).toBe(true);
    } finally {
      m.dispose();
    }
  });

  test('a parameter used twice sums both gradients', () => {
    const w = new Parameter(rnd([3], 9));
    try {
      step(() => F.sum(F.mul(w, w)).backward());
      expectClose(
        w.grad!.toArray(),
        Array.from(w.value.toArray(), (v) => 2 * v),
        { rtol: 1e-6, atol: 0 },
      );
    } finally {
      w.dispose();
    }
  });

  test('requiresGrad = false: grad stays null (or untouched) and the frozen branch is not recorded', () => {
    const m = new Mlp();
    try {
      m.w1.requiresGrad = false;
      m.b1.requiresGrad = false;
      const recorded = step(() => {
        const l = m.loss();
        l.backward();
        return tape.length;
      });
      // linear 2 and the loss only: the first layer and its GELU need no gradient.
      expect(recorded).toBe(2);
      expect(m.w1.grad).toBeNull();
      expect(m.b1.grad).toBeNull();
      expect(m.w2.grad).not.toBeNull();
      const stale = m.w2.ensureGrad();
      stale.view().fill(0.25);
      m.w2.requiresGrad = false;
      m.b2.requiresGrad = false;
      step(() => {
        const l = m.loss();
        expect(l.requiresGrad).toBe(false);
        expect(tape.length).toBe(0);
        expect(() => l.backward()).toThrow(ArgumentError);
      });
      expect(Array.from(m.w2.grad!.toArray()).every((v) => v === 0.25)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  test('detach() stops the gradient: d/dw sum(w * detach(w)) = w', () => {
    const w = new Parameter(rnd([4], 12));
    try {
      step(() => {
        const v = F.mul(w, F.scale(w, 1));
        F.sum(F.mul(w, F.scale(w, 1).detach())).backward();
        expect(v.requiresGrad).toBe(true);
      });
      expectClose(w.grad!.toArray(), w.value.toArray(), { rtol: 0, atol: 0 });
    } finally {
      w.dispose();
    }
  });

  test('leaf Variables made with requiresGrad get .grad; constants do not', () => {
    tidy(() => {
      const x = Tensor.fromArray([1, 2, 3]);
      const c = Tensor.fromArray([4, 5, 6]);
      step(() => {
        const vx = variable(x, { requiresGrad: true });
        const vc = variable(c);
        F.sum(F.mul(vx, vc)).backward();
        expect(Array.from(vx.grad!.toArray())).toEqual([4, 5, 6]);
        expect(vc.grad).toBeNull();
        expect(vx.isLeaf).toBe(true);
      });
    });
  });
});

describe('noGrad, release and step', () => {
  test('noGrad records nothing; memory after it equals before plus the returned output', () => {
    const m = new Mlp();
    try {
      const before = memoryStats().bytesInUse;
      const out = noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        return F.linear(F.gelu(F.linear(m.x, m.w1, m.b1)), m.w2, m.b2);
      });
      expect(isGradEnabled()).toBe(true);
      expect(tape.length).toBe(0);
      expect(out.requiresGrad).toBe(false);
      expect(memoryStats().bytesInUse - before).toBe(Math.ceil(out.value.byteLength / 16) * 16);
      // Saved statistics (layer norm mean/rstd, attention lse, max-pool argmax) are not kept either.
      const gamma = Tensor.fromArray([1, 1, 1]),
        beta = Tensor.fromArray([0, 0, 0]);
      const before2 = memoryStats().bytesInUse;
      const pooled = noGrad(() => {
        const x = F.layerNorm(F.reshape(out, [1, 4, 3]), gamma, beta);
        const qkv = F.splitHeads(x, 1);
        return F.maxPool(F.mergeHeads(F.attention(qkv, qkv, qkv)));
      });
      expect(memoryStats().bytesInUse - before2).toBe(Math.ceil(pooled.value.byteLength / 16) * 16);
      expect(() =>
        noGrad(() => {
          F.relu(m.x);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(memoryStats().bytesInUse - before2).toBe(Math.ceil(pooled.value.byteLength / 16) * 16);
      tape.release();
      gamma.dispose();
      beta.dispose();
      expect(memoryStats().bytesInUse).toBe(before);
      expect(() => F.relu(out)).toThrow(/released/);
    } finally {
      m.dispose();
    }
  });

  test('step() frees every temporary of forward and backward (also on a throw); parameters and grads stay', () => {
    const m = new Mlp();
    try {
      step(() => m.loss().backward()); // grads allocated
      const before = memoryStats();
      const loss = step(() => {
        const l = m.loss();
        l.backward();
        expect(tape.tensorCount).toBeGreaterThan(0);
        return l.item();
      });
      expect(Number.isFinite(loss)).toBe(true);
      expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
      expect(memoryStats().blocks).toBe(before.blocks);
      expect(() =>
        step(() => {
          m.loss();
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(() => step(() => step(() => 1))).toThrow(/must not nest/);
      expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    } finally {
      m.dispose();
    }
  });

  test('tidy() around a forward does not free the step: a returned Variable stays valid until release', () => {
    const w = new Parameter(rnd([2, 3], 8));
    try {
      const before = memoryStats().bytesInUse;
      const x = Tensor.fromArray([1, 2, 3], [1, 3]),
        seed = Tensor.fromArray([1, 1], [1, 2]);
      const y = tidy(() => F.relu(F.linear(x, w)));
      expect(y.value.disposed).toBe(false);
      y.backward(seed);
      expect(w.grad).not.toBeNull();
      tape.release();
      x.dispose();
      seed.dispose();
      w.grad!.dispose();
      w.grad = null;
      expect(memoryStats().bytesInUse).toBe(before);
    } finally {
      w.dispose();
    }
  });

  test('errors: a loss with more than one element needs a gradient; param() wants a Parameter', () => {
    const w = new Parameter(rnd([2, 2], 3));
    try {
      step(() => {
        const y = F.relu(w);
        expect(() => y.backward()).toThrow(ShapeError);
        expect(() => y.backward(Tensor.zeros([3]))).toThrow(ShapeError);
        expect(() => param(w.value as unknown as Parameter)).toThrow(ArgumentError);
        expect(() => F.add(w, 3 as unknown as Tensor)).toThrow(/add: b must be a Variable, Parameter or Tensor/);
      });
    } finally {
      w.dispose();
    }
  });
});

describe('determinism', () => {
  test('the same seeds give the same bits: 5 SGD steps with dropout and attention dropout, run twice', () => {
    const run = () => {
      const emb = new Parameter(rnd([10, 8], 20));
      const wq = new Parameter(rnd([8, 8], 21));
      const wo = new Parameter(rnd([3, 8], 22));
      const ids = Tensor.fromArray(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4], 'int32');
      const y = Tensor.fromArray(Int32Array.from([0, 2]), [2], 'int32');
      const params = [emb, wq, wo];
      let counter = 0;
      for (let s = 0; s < 5; s++) {
        step(() => {
          const x = F.dropout(F.embedding(emb, ids), { p: 0.2, seed: 42, counter });
          counter += F.dropoutCounterSpan(x.size);
          const h = F.splitHeads(F.linear(x, wq), 2);
          const a = F.mergeHeads(F.attention(h, h, h, { causal: true, dropout: { p: 0.1, seed: 43, counter } }));
          counter += F.dropoutCounterSpan(2 * 2 * 4 * 4);
          F.crossEntropy(F.linear(F.maxPool(a), wo), y).backward();
          for (const p of params) sgdStep(p.value, p.grad!, {}, { lr: 0.1 });
          for (const p of params) p.zeroGrad();
        });
      }
      const out = params.map((p) => p.value.toArray() as Float32Array);
      for (const p of params) p.dispose();
      ids.dispose();
      y.dispose();
      return out;
    };
    const a = run(),
      b = run();
    for (const [i, x] of a.entries()) expectSameBits(x, b[i]!);
  });
});

describe('the docs example (docs/autograd.md)', () => {
  test('a 2-layer MLP trains: the loss falls; inference under noGrad', () => {
    const w1 = new Parameter(Tensor.randn([16, 4], { seed: 1, std: 0.5 }));
    const b1 = new Parameter(Tensor.zeros([16]));
    const w2 = new Parameter(Tensor.randn([3, 16], { seed: 2, std: 0.25 }));
    const b2 = new Parameter(Tensor.zeros([3]));
    const params = [w1, b1, w2, b2];
    const x = Tensor.randn([8, 4], { seed: 3 });
    const y = Tensor.fromArray(Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1]), [8], 'int32');
    const losses: number[] = [];
    for (let i = 0; i < 50; i++) {
      losses.push(
        step(() => {
          const h = F.gelu(F.linear(x, w1, b1));
          const l = F.crossEntropy(F.linear(h, w2, b2), y, { labelSmoothing: 0.05 });
          l.backward();
          for (const p of params) sgdStep(p.value, p.grad!, {}, { lr: 0.5 });
          for (const p of params) p.zeroGrad();
          return l.item();
        }),
      );
    }
    const probs = noGrad(() => F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2).toArray());
    tape.release();
    expect(probs.length).toBe(24);
    expect(losses[49]!).toBeLessThan(losses[0]! * 0.5);
    for (const p of params) p.dispose();
    x.dispose();
    y.dispose();
  });
});
