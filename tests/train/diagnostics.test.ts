// Gradient-flow diagnostics: parameter groups, gradient norms and activation statistics
// against float64 computations from values read out here, the forward wrappers removed
// after a recording (also when it throws), and fit's `diagnostics` option: the every-N
// cadence, norms measured before clipping, no leaks, and bit-identical training.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import { step, tape, variable, type Variable } from '../../src/autograd/tape.js';
import * as F from '../../src/autograd/functional.js';
import { Module, ModuleList } from '../../src/nn/module.js';
import { Linear, LayerNorm } from '../../src/nn/layers.js';
import { TextClassifier, type ClassificationExample } from '../../src/models/encoder/classifier.js';
import type { Progress } from '../../src/train/progress.js';
import {
  defaultActivationModules,
  gradientNorms,
  observe,
  parameterGroup,
  recordActivations,
  type TensorStats,
} from '../../src/train/diagnostics.js';

beforeAll(async () => {
  await initForTests();
});

/** float64 statistics of values: mean, population std, fraction of exact zeros, max |x|. */
function stats64(x: ArrayLike<number>): TensorStats {
  const n = x.length;
  let s = 0,
    zeros = 0,
    absMax = 0;
  for (let i = 0; i < n; i++) {
    s += x[i]!;
    if (x[i] === 0) zeros++;
    absMax = Math.max(absMax, Math.abs(x[i]!));
  }
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / n), zeroFraction: zeros / n, absMax, count: n };
}

function expectStats(got: TensorStats | undefined, want: TensorStats, what: string) {
  expect(got, what).toBeDefined();
  expect(got!.count, what).toBe(want.count);
  expect(got!.zeroFraction, what).toBeCloseTo(want.zeroFraction, 12);
  expect(got!.absMax, what).toBe(want.absMax); // a max of float32 values is exact
  expect(Math.abs(got!.mean - want.mean), `${what} mean`).toBeLessThan(1e-9 * (1 + want.absMax));
  expect(Math.abs(got!.std - want.std), `${what} std`).toBeLessThan(1e-7 * (1 + want.std));
}

/** A tiny MLP: `layers` (a ModuleList of Linear, ReLU between them), a LayerNorm and a `head`. */
class Mlp extends Module {
  readonly layers: ModuleList<Linear>;
  readonly norm: LayerNorm;
  readonly head: Linear;
  /** The outputs of the last forward, read out (for the float64 checks). */
  seen: Record<string, Float32Array> = {};

  constructor(dims: number[], seed: number) {
    super();
    this.layers = this.addModule('layers', new ModuleList<Linear>());
    for (let i = 0; i + 1 < dims.length; i++) this.layers.push(new Linear(dims[i]!, dims[i + 1]!));
    this.norm = this.addModule('norm', new LayerNorm(dims[dims.length - 1]!));
    this.head = this.addModule('head', new Linear(dims[dims.length - 1]!, 3));
    this.resetParameters(seed);
  }

  forward(x: Variable): Variable {
    let h = x;
    let i = 0;
    for (const l of this.layers) {
      h = l.forward(h);
      this.seen[`layers.${i}`] = h.value.toArray() as Float32Array;
      h = observe(`relu.${i}`, F.relu(h));
      this.seen[`relu.${i}`] = h.value.toArray() as Float32Array;
      i++;
    }
    h = this.norm.forward(h);
    this.seen.norm = h.value.toArray() as Float32Array;
    const y = this.head.forward(h);
    this.seen.head = y.value.toArray() as Float32Array;
    return y;
  }
}

const DIMS = [5, 7, 13, 4]; // primes and a non-multiple of 4 among the widths

function batch(rows: number, cols: number, seed: number): Tensor {
  return Tensor.randn([rows, cols], { seed, stream: 7 });
}

function labels(rows: number, seed: number): Tensor {
  const rng = new Philox(seed, 3);
  return Tensor.fromArray(
    Int32Array.from({ length: rows }, () => rng.nextInt(3)),
    [rows],
    'int32',
  );
}

describe('parameterGroup', () => {
  test.each([
    ['encoder.layer.3.attention.self.query.weight', 'encoder.layer.3'],
    ['encoder.layer.11.output.LayerNorm.bias', 'encoder.layer.11'],
    ['embeddings.word_embeddings.weight', 'embeddings'],
    ['classifier.weight', 'classifier'],
    ['layers.0.weight', 'layers.0'],
    ['lstm.weight_ih_l0', 'lstm.l0'],
    ['lstm.bias_hh_l2', 'lstm.l2'],
    ['encoder.rnn.weight_hh_l1_reverse', 'encoder.rnn.l1_reverse'],
    ['weight_ih_l0', 'l0'],
    ['bias', 'bias'],
  ])('%s → %s', (name, group) => {
    expect(parameterGroup(name)).toBe(group);
  });
});

describe('gradientNorms', () => {
  for (const rows of [1, 3, 10]) {
    test(`per-group norms of a ${rows}-row batch = float64 norms of the gradients read out`, () => {
      const m = new Mlp(DIMS, 4);
      try {
        step(() => {
          const x = variable(batch(rows, DIMS[0]!, 1 + rows));
          F.crossEntropy(m.forward(x), tape.own(labels(rows, rows))).backward();
          x.value.dispose();
        });
        const want = new Map<string, number>();
        let all = 0;
        for (const [name, p] of m.namedParameters()) {
          const g = p.grad!.toArray();
          let s = 0;
          for (const v of g) s += v * v;
          const k = parameterGroup(name);
          want.set(k, (want.get(k) ?? 0) + s);
          all += s;
        }
        const got = gradientNorms(m);
        expect(Object.keys(got.groups)).toEqual(['layers.0', 'layers.1', 'layers.2', 'norm', 'head']);
        for (const [k, s] of want) {
          expect(Math.sqrt(s)).toBeGreaterThan(0);
          // sumOfSquares sums float32 squares in blocks, then in float64: float32 rounding, relative
          expect(Math.abs(got.groups[k]! - Math.sqrt(s)) / Math.sqrt(s), k).toBeLessThan(1e-6);
        }
        expect(Math.abs(got.total - Math.sqrt(all)) / Math.sqrt(all)).toBeLessThan(1e-6);

        // one group per parameter; frozen parameters are left out
        m.head.setRequiresGrad(false);
        const each = gradientNorms(m, { groupBy: (n) => n });
        expect(Object.keys(each.groups)).toEqual(
          m
            .namedParameters()
            .map(([n]) => n)
            .filter((n) => !n.startsWith('head.')),
        );
        const w = m.layers.at(1).weight.grad!.toArray();
        const w2 = Math.sqrt(w.reduce((s, v) => s + v * v, 0));
        expect(Math.abs(each.groups['layers.1.weight']! - w2) / w2).toBeLessThan(1e-6);
      } finally {
        m.dispose();
      }
    });
  }

  test('no gradient yet counts as zero; bad arguments are typed errors', () => {
    const m = new Mlp([3, 2], 1);
    try {
      const g = gradientNorms(m);
      expect(g.total).toBe(0);
      expect(g.groups).toEqual({ 'layers.0': 0, norm: 0, head: 0 });
      expect(() => gradientNorms(m, { groupBy: () => 3 as unknown as string })).toThrow(
        /gradientNorms: options.groupBy must return a non-empty string, got number 3 for "layers.0.weight"/,
      );
      expect(() => gradientNorms({} as Module)).toThrow(ArgumentError);
      expect(() => gradientNorms(m, { groupby: 1 } as never)).toThrow(/did you mean 'groupBy'/);
    } finally {
      m.dispose();
    }
  });
});

describe('recordActivations', () => {
  test('default modules: each child of a ModuleList and each direct child', () => {
    const m = new Mlp(DIMS, 1);
    try {
      expect(defaultActivationModules(m)).toEqual(['layers.0', 'layers.1', 'layers.2', 'norm', 'head']);
      const c = new TextClassifier({ vocabSize: 9, numClasses: 2, dim: 8, heads: 2, layers: 2, seed: 1 });
      expect(defaultActivationModules(c)).toEqual([
        'embeddings',
        'encoder',
        'encoder.layer.0',
        'encoder.layer.1',
        'classifier',
      ]);
      c.dispose();
    } finally {
      m.dispose();
    }
  });

  for (const rows of [1, 2, 7]) {
    test(`statistics of module outputs and observed values (${rows} rows) = float64 statistics`, () => {
      const m = new Mlp(DIMS, 2);
      try {
        const { result, activations } = step(() =>
          recordActivations(
            () => {
              const x = variable(batch(rows, DIMS[0]!, 9 + rows));
              const y = m.forward(x);
              x.value.dispose();
              return y.value.size;
            },
            { model: m },
          ),
        );
        expect(result).toBe(rows * 3);
        // the order the values were produced in
        expect(Object.keys(activations)).toEqual([
          'layers.0',
          'relu.0',
          'layers.1',
          'relu.1',
          'layers.2',
          'relu.2',
          'norm',
          'head',
        ]);
        for (const [k, v] of Object.entries(m.seen)) expectStats(activations[k], stats64(v), k);
        // ReLU outputs have dead units; the pre-activations do not
        expect(activations['relu.1']!.zeroFraction).toBeGreaterThan(0);
        expect(activations['layers.1']!.zeroFraction).toBe(0);
      } finally {
        m.dispose();
      }
    });
  }

  test('a module run twice pools both outputs; chosen modules only', () => {
    const m = new Mlp([4, 4], 3);
    try {
      const outs: Float32Array[] = [];
      const { activations } = step(() =>
        recordActivations(
          () => {
            const l = m.layers.at(0);
            const a = l.forward(tape.own(batch(3, 4, 1)));
            const b = l.forward(tape.own(batch(5, 4, 2)));
            outs.push(a.value.toArray() as Float32Array, b.value.toArray() as Float32Array);
          },
          { model: m, modules: ['layers.0'] },
        ),
      );
      expect(Object.keys(activations)).toEqual(['layers.0']);
      const all = new Float32Array(32);
      all.set(outs[0]!, 0);
      all.set(outs[1]!, 12);
      expectStats(activations['layers.0'], stats64(all), 'pooled');
    } finally {
      m.dispose();
    }
  });

  test('the forward methods are restored after the call, also when it throws; nothing leaks', () => {
    const m = new Mlp(DIMS, 5);
    try {
      const mods = [m.layers.at(0), m.layers.at(1), m.layers.at(2), m.norm, m.head];
      const restored = () => {
        for (const x of mods) {
          expect(Object.hasOwn(x, 'forward')).toBe(false);
          expect((x as unknown as { forward: unknown }).forward).toBe(Object.getPrototypeOf(x).forward);
        }
      };
      step(() => m.forward(variable(tape.own(batch(2, DIMS[0]!, 1))))); // warm the allocator
      const before = memoryStats();
      let inside = false;
      expect(() =>
        step(() =>
          recordActivations(
            () => {
              inside = mods.every((x) => Object.hasOwn(x, 'forward'));
              m.forward(variable(tape.own(batch(2, DIMS[0]!, 1))));
              throw new Error('boom');
            },
            { model: m },
          ),
        ),
      ).toThrow('boom');
      expect(inside).toBe(true);
      restored();
      // an error from option checks installs nothing
      expect(() => recordActivations(() => 0, { model: m, modules: ['layers.9'] })).toThrow(
        /recordActivations: options.modules\[0\] must be the path of a module of the model with a forward method, got "layers.9"/,
      );
      expect(() => recordActivations(() => 0, { modules: ['head'] })).toThrow(ArgumentError);
      restored();
      // nested recordings: the inner one's wrappers go, the outer one's stay until it ends
      const outer = step(() =>
        recordActivations(
          () => {
            const inner = recordActivations(() => m.forward(variable(tape.own(batch(2, DIMS[0]!, 3)))).value.size, {
              model: m,
              modules: ['head'],
            });
            expect(Object.hasOwn(m.head, 'forward')).toBe(true);
            return inner;
          },
          { model: m },
        ),
      );
      restored();
      expect(Object.keys(outer.result.activations)).toEqual(['relu.0', 'relu.1', 'relu.2', 'head']);
      expect(outer.activations.head).toEqual(outer.result.activations.head);
      // observe outside a recording: nothing, and the value back
      const t = batch(1, 2, 1);
      expect(observe('x', t)).toBe(t);
      t.dispose();
      const after = memoryStats();
      expect(after.bytesInUse).toBe(before.bytesInUse);
      expect(after.blocks).toBe(before.blocks);
      expect(tape.tensorCount).toBe(0);
    } finally {
      m.dispose();
    }
  });
});

// ---- fit's diagnostics option

const VOCAB = 12;
const CFG = { vocabSize: VOCAB, numClasses: 2, dim: 8, heads: 2, layers: 2, ffn: 12, dropout: 0.1, seed: 3 };

function data(seed: number, n: number): ClassificationExample[] {
  const rng = new Philox(seed, 5);
  return Array.from({ length: n }, () => {
    const len = 2 + rng.nextInt(6);
    const ids = Array.from({ length: len }, () => 1 + rng.nextInt(VOCAB - 1));
    return { ids, label: ids[0]! < ids[len - 1]! ? 1 : 0 };
  });
}

const bitsOf = (m: Module) =>
  m.namedParameters().map(([, p]) => [...new Uint32Array((p.value.toArray() as Float32Array).buffer)]);

describe('TextClassifier.fit with diagnostics', () => {
  const train = data(1, 29); // batchSize 4: 8 steps per epoch
  const OPTS = { epochs: 2, batchSize: 4, lr: 3e-3, sortWindow: 1 };

  test('every N steps a forced report carries gradient norms (before clipping) and activation statistics', async () => {
    const m = new TextClassifier(CFG);
    try {
      const reports: Progress[] = [];
      const r = await m.fit(train, {
        ...OPTS,
        clip: 1e-3,
        diagnostics: { every: 3 },
        onProgress: (p) => reports.push(p),
      });
      expect(r.steps).toBe(16);
      const d = reports.filter((p) => p.diagnostics !== undefined);
      expect(d.map((p) => p.step)).toEqual([3, 6, 9, 12, 15]);
      for (const p of d) {
        const g = p.diagnostics!;
        expect(g.step).toBe(p.step);
        // `encoder`: the final LayerNorm of the pre-norm encoder
        expect(Object.keys(g.gradNorms)).toEqual([
          'embeddings',
          'encoder.layer.0',
          'encoder.layer.1',
          'encoder',
          'classifier',
        ]);
        const sq = Object.values(g.gradNorms).reduce((s, v) => s + v * v, 0);
        expect(Math.abs(g.totalGradNorm - Math.sqrt(sq))).toBeLessThan(1e-12 * g.totalGradNorm);
        for (const v of Object.values(g.gradNorms)) expect(v).toBeGreaterThan(0);
        // clip 1e-3: a norm after clipping would be at most 1e-3
        expect(g.totalGradNorm).toBeGreaterThan(1e-2);
        expect(Object.keys(g.activations!)).toEqual([
          'embeddings',
          'encoder.layer.0',
          'encoder.layer.1',
          'encoder',
          'classifier',
        ]);
        for (const s of Object.values(g.activations!)) {
          expect(s.count).toBeGreaterThan(0);
          expect(Number.isFinite(s.mean) && s.std > 0 && s.absMax > 0).toBe(true);
        }
        // the classifier's output: [batch, 2] logits
        expect(g.activations!.classifier!.count % 2).toBe(0);
        expect(g.activations!.encoder!.count % CFG.dim).toBe(0);
      }
      // a list of modules and no activations
      const few: Progress[] = [];
      await m.fit(train, {
        ...OPTS,
        epochs: 1,
        diagnostics: { every: 8, activations: ['encoder.layer.1'], groupBy: (n) => n.split('.')[0]! },
        onProgress: (p) => few.push(p),
      });
      const f = few.filter((p) => p.diagnostics !== undefined);
      expect(f.map((p) => p.step)).toEqual([8]);
      expect(Object.keys(f[0]!.diagnostics!.gradNorms)).toEqual(['embeddings', 'encoder', 'classifier']);
      expect(Object.keys(f[0]!.diagnostics!.activations!)).toEqual(['encoder.layer.1']);
      const none: Progress[] = [];
      await m.fit(train, {
        ...OPTS,
        epochs: 1,
        diagnostics: { every: 4, activations: false },
        onProgress: (p) => none.push(p),
      });
      const n = none.filter((p) => p.diagnostics !== undefined);
      expect(n.map((p) => p.step)).toEqual([4, 8]);
      expect(n[0]!.diagnostics!.activations).toBeUndefined();
    } finally {
      m.dispose();
    }
  });

  test('training is bit-identical with and without diagnostics; memory in use is flat; modules restored', async () => {
    const a = new TextClassifier(CFG);
    const b = new TextClassifier(CFG);
    try {
      await a.fit(train, OPTS);
      await b.fit(train, { ...OPTS, epochs: 1, diagnostics: { every: 1 }, onProgress: () => {} }); // warm the allocator
      b.resetParameters(CFG.seed);
      const before = memoryStats();
      let reports = 0;
      await b.fit(train, {
        ...OPTS,
        diagnostics: { every: 1 },
        onProgress: (p) => void (p.diagnostics !== undefined && reports++),
      });
      const after = memoryStats();
      expect(reports).toBe(16);
      expect(bitsOf(b)).toEqual(bitsOf(a));
      expect(after.bytesInUse).toBe(before.bytesInUse);
      expect(after.blocks).toBe(before.blocks);
      expect(tape.tensorCount).toBe(0);
      for (const [, mod] of b.namedModules()) expect(Object.hasOwn(mod, 'forward')).toBe(false);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('a step that throws during a diagnostics step leaves the modules unwrapped', async () => {
    const m = new TextClassifier(CFG);
    const bad = data(2, 8);
    try {
      let calls = 0;
      const orig = m.logits.bind(m);
      m.logits = (batch) => {
        if (++calls === 2) throw new Error('batch failed');
        return orig(batch);
      };
      await expect(m.fit(bad, { ...OPTS, diagnostics: { every: 2 }, onProgress: () => {} })).rejects.toThrow(
        'batch failed',
      );
      for (const [, mod] of m.namedModules()) expect(Object.hasOwn(mod, 'forward')).toBe(false);
      expect(tape.tensorCount).toBe(0);
    } finally {
      m.dispose();
    }
  });

  test('bad diagnostics options are typed errors before training', async () => {
    const m = new TextClassifier(CFG);
    try {
      const fit = (d: unknown) => m.fit(train, { ...OPTS, diagnostics: d as never });
      await expect(fit({ every: 0 })).rejects.toThrow(
        'TextClassifier.fit: options.diagnostics.every must be an integer >= 1, got 0',
      );
      await expect(fit({})).rejects.toThrow(/options.diagnostics.every must be an integer >= 1, got undefined/);
      await expect(fit({ every: 1, evry: 2 })).rejects.toThrow(/options.diagnostics must have only the keys/);
      await expect(fit({ every: 1, groupBy: 'layer' })).rejects.toThrow(
        /options.diagnostics.groupBy must be a function/,
      );
      await expect(fit({ every: 1, activations: ['encoder.layer.7'] })).rejects.toThrow(
        /options.diagnostics.activations\[0\] must be the path of a module of the model/,
      );
      await expect(fit({ every: 1, activations: 'all' })).rejects.toThrow(
        /options.diagnostics.activations must be a boolean or an array of module paths, got/,
      );
      await expect(fit(3)).rejects.toThrow(ArgumentError);
    } finally {
      m.dispose();
    }
  });
});
