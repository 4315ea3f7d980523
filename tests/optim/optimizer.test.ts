import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { refAdamStep, refGlobalNorm, refSgdStep, type RefSgd } from '../reference/optim.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { ArgumentError } from '../../src/core/errors.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { Adam, AdamW, SGD, type Optimizer, type OptimizerStateDict } from '../../src/optim/optimizer.js';
import { defaultParamGroups, isNoDecay } from '../../src/optim/groups.js';
import { LRScheduler, constantSchedule, inverseTimeDecay, linearWarmupDecay } from '../../src/optim/schedule.js';
import { GradAccumulator, clipGradients } from '../../src/optim/clip.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const STEPS = 6;
const SHAPES = [[3, 5], [7], [1], [2, 2, 3]] as const;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** Gradient of parameter i at step s: fixed data, so the f32 run and the f64 reference see the same inputs. */
const gradAt = (i: number, n: number, s: number) => seeded(n, 500 + 31 * s + 7 * i + n);

function makeParams(seed: number): Parameter[] {
  return SHAPES.map((s, i) => new Parameter(Tensor.fromArray(seeded(size(s), seed + i), [...s])));
}

function setGrads(params: Parameter[], s: number): void {
  params.forEach((p, i) =>
    p
      .ensureGrad()
      .view()
      .set(gradAt(i, p.size, s)),
  );
}

describe('SGD = float64 reference of torch.optim.SGD', () => {
  const variants: RefSgd[] = [
    { lr: 0.1 },
    { lr: 0.05, weightDecay: 0.01 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.1, momentum: 0.9, nesterov: true },
    { lr: 0.03, momentum: 0.5, weightDecay: 0.1, nesterov: true },
  ];
  for (const o of variants) {
    test(JSON.stringify(o), () => {
      tidy(() => {
        const params = makeParams(1);
        const refs = params.map((p) => Float64Array.from(p.value.toArray()));
        const bufs: (Float64Array | null)[] = params.map(() => null);
        const opt = new SGD(params, o);
        for (let s = 1; s <= STEPS; s++) {
          setGrads(params, s);
          opt.step();
          params.forEach((p, i) => (bufs[i] = refSgdStep(refs[i]!, gradAt(i, p.size, s), bufs[i]!, o)));
        }
        params.forEach((p, i) => expectClose(p.value.toArray(), refs[i]!, { rtol: 1e-5, atol: 1e-6 }));
        expect(opt.stepCount).toBe(STEPS);
        const sd = opt.stateDict();
        expect(sd.state['0']!.momentum_buffer !== undefined).toBe((o.momentum ?? 0) > 0);
        if (bufs[0] !== null) expectClose(sd.state['0']!.momentum_buffer!, bufs[0]!, { rtol: 1e-5, atol: 1e-6 });
        opt.dispose();
      });
    });
  }
});

describe('Adam and AdamW = float64 reference of torch.optim.Adam / AdamW', () => {
  const variants = [
    { cls: 'Adam', o: { lr: 0.01 } },
    { cls: 'Adam', o: { lr: 0.1, betas: [0.8, 0.99] as [number, number], eps: 1e-6 } },
    { cls: 'Adam', o: { lr: 0.01, weightDecay: 0.1 } },
    { cls: 'AdamW', o: { lr: 0.01 } }, // default weightDecay 0.01
    { cls: 'AdamW', o: { lr: 0.001, betas: [0, 0.9] as [number, number], eps: 1e-3, weightDecay: 0.5 } },
  ] as const;
  for (const { cls, o } of variants) {
    test(`${cls} ${JSON.stringify(o)}`, () => {
      tidy(() => {
        const params = makeParams(2);
        const refs = params.map((p) => Float64Array.from(p.value.toArray()));
        const ms = params.map((p) => new Float64Array(p.size));
        const vs = params.map((p) => new Float64Array(p.size));
        const opt = cls === 'Adam' ? new Adam(params, o) : new AdamW(params, o);
        const wd = 'weightDecay' in o ? o.weightDecay : cls === 'AdamW' ? 0.01 : 0;
        const betas = 'betas' in o ? o.betas : [0.9, 0.999];
        for (let s = 1; s <= STEPS; s++) {
          setGrads(params, s);
          opt.step();
          params.forEach((p, i) =>
            refAdamStep(refs[i]!, gradAt(i, p.size, s), ms[i]!, vs[i]!, {
              lr: o.lr,
              step: s,
              beta1: betas[0],
              beta2: betas[1],
              eps: 'eps' in o ? o.eps : 1e-8,
              weightDecay: wd,
              decoupled: cls === 'AdamW',
            }),
          );
        }
        params.forEach((p, i) => expectClose(p.value.toArray(), refs[i]!, { rtol: 2e-6, atol: o.lr * 1e-4 }));
        const sd = opt.stateDict();
        expect(sd.type).toBe(cls);
        expect(sd.state['1']!.step).toBe(STEPS);
        expectClose(sd.state['1']!.exp_avg!, ms[1]!, { rtol: 1e-5, atol: 1e-7 });
        expectClose(sd.state['1']!.exp_avg_sq!, vs[1]!, { rtol: 1e-5, atol: 1e-9 });
        opt.dispose();
      });
    });
  }

  test('Adam class = tf.train.adam on the CPU backend over 4 steps', () => {
    const n = 33;
    const p0 = seeded(n, 3);
    const cfg = { lr: 0.02, beta1: 0.85, beta2: 0.995, eps: 1e-7 };
    const tfOpt = tf.train.adam(cfg.lr, cfg.beta1, cfg.beta2, cfg.eps);
    const variable = tf.variable(tf.tensor1d(p0), true, 'optim_adam_class_p');
    tidy(() => {
      const p = new Parameter(Tensor.fromArray(p0));
      const opt = new Adam([p], { lr: cfg.lr, betas: [cfg.beta1, cfg.beta2], eps: cfg.eps });
      for (let s = 1; s <= 4; s++) {
        const g = gradAt(0, n, s);
        tf.tidy(() => tfOpt.applyGradients([{ name: 'optim_adam_class_p', tensor: tf.tensor1d(g) }]));
        p.ensureGrad().view().set(g);
        opt.step();
      }
      expectClose(p.value.toArray(), variable.dataSync(), { rtol: 1e-6, atol: 1e-6 });
      opt.dispose();
      p.dispose();
    });
    tfOpt.dispose();
    variable.dispose();
  });
});

describe('skipping, per-parameter steps, zeroGrad', () => {
  test('frozen parameters and parameters without a gradient are left alone, and their state does not advance', () => {
    tidy(() => {
      const [a, b, c] = makeParams(3);
      const before = [a!, b!, c!].map((p) => p.value.toArray());
      b!.requiresGrad = false;
      b!.ensureGrad().view().fill(1);
      a!.ensureGrad().view().fill(0.5);
      const opt = new Adam([a!, b!, c!], { lr: 0.1 });
      opt.step();
      opt.step();
      expect(firstDiff(a!.value.toArray(), before[0]!)).toBe(true);
      expectSameBits(b!.value.toArray(), before[1]!);
      expectSameBits(c!.value.toArray(), before[2]!);
      expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
      // c gets a gradient from now on: its first update uses step 1 (bias corrections of t = 1).
      const g = seeded(c!.size, 99);
      c!.ensureGrad().view().set(g);
      const ref = Float64Array.from(before[2]!);
      opt.step();
      refAdamStep(ref, g, new Float64Array(c!.size), new Float64Array(c!.size), { lr: 0.1, step: 1 });
      expectClose(c!.value.toArray(), ref, { rtol: 2e-6, atol: 1e-5 });
      const st = opt.stateDict().state;
      expect([st['0']!.step, st['2']!.step, opt.stepCount]).toEqual([3, 1, 3]);
      opt.zeroGrad();
      expect([...a!.grad!.toArray(), ...c!.grad!.toArray()].every((x) => x === 0)).toBe(true);
      opt.dispose();
    });
  });

  test('step() inside tidy() keeps the moment buffers alive', () => {
    const p = new Parameter(Tensor.fromArray([1, 2, 3]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.ensureGrad().view().fill(1);
    tidy(() => opt.step());
    tidy(() => opt.step());
    expectClose(opt.stateDict().state['0']!.momentum_buffer!, [1.9, 1.9, 1.9], { rtol: 1e-6, atol: 0 });
    opt.dispose();
    p.dispose();
  });
});

function firstDiff(a: Float32Array, b: Float32Array): boolean {
  return a.some((x, i) => x !== b[i]);
}

describe('parameter groups', () => {
  const named: [string, readonly number[]][] = [
    ['embeddings.word_embeddings.weight', [6, 4]],
    ['embeddings.LayerNorm.weight', [4]],
    ['encoder.layer.0.attention.self.query.weight', [4, 4]],
    ['encoder.layer.0.attention.self.query.bias', [4]],
    ['encoder.layer.0.output.layer_norm.weight', [4]],
    ['encoder.norm_final.gain', [1, 4]], // rank 2, but "norm" in the name
    ['classifier.bias_matrix', [2, 4]], // "bias" inside a name is not a bias
    ['scale', []],
  ];

  test('defaultParamGroups: no decay on rank <= 1, *.bias and *norm* (documented rule)', () => {
    tidy(() => {
      const params = named.map(([, s], i) => new Parameter(Tensor.fromArray(seeded(size(s), 40 + i), [...s])));
      const groups = defaultParamGroups(
        named.map(([n], i) => [n, params[i]!] as const),
        { weightDecay: 0.1 },
      );
      expect(groups.length).toBe(2);
      expect(groups[0]!.names).toEqual([
        'embeddings.word_embeddings.weight',
        'encoder.layer.0.attention.self.query.weight',
        'classifier.bias_matrix',
      ]);
      expect(groups[0]!.weightDecay).toBe(0.1);
      expect(groups[1]!.names).toEqual([
        'embeddings.LayerNorm.weight',
        'encoder.layer.0.attention.self.query.bias',
        'encoder.layer.0.output.layer_norm.weight',
        'encoder.norm_final.gain',
        'scale',
      ]);
      expect(groups[1]!.weightDecay).toBe(0);
      expect(isNoDecay('bias', params[2]!)).toBe(true);
      // A record works too, and an all-decay list gives one group.
      expect(defaultParamGroups({ w: params[0]! }).map((g) => g.names)).toEqual([['w']]);
    });
  });

  test('AdamW over the default groups: decayed group = reference with wd, the other = reference without', () => {
    tidy(() => {
      const params = named.map(([, s], i) => new Parameter(Tensor.fromArray(seeded(size(s), 40 + i), [...s])));
      const opt = new AdamW(defaultParamGroups(named.map(([n], i) => [n, params[i]!] as const)), {
        lr: 0.05,
        weightDecay: 0.2,
      });
      expect(opt.paramGroups.map((g) => g.weightDecay)).toEqual([0.2, 0]);
      const refs = params.map((p) => Float64Array.from(p.value.toArray()));
      const ms = params.map((p) => new Float64Array(p.size));
      const vs = params.map((p) => new Float64Array(p.size));
      for (let s = 1; s <= 4; s++) {
        setGrads(params, s);
        opt.step();
        params.forEach((p, i) =>
          refAdamStep(refs[i]!, gradAt(i, p.size, s), ms[i]!, vs[i]!, {
            lr: 0.05,
            step: s,
            weightDecay: isNoDecay(named[i]![0], p) ? 0 : 0.2,
            decoupled: true,
          }),
        );
      }
      params.forEach((p, i) => expectClose(p.value.toArray(), refs[i]!, { rtol: 2e-6, atol: 5e-6 }));
      // The state dict is keyed by name.
      expect(Object.keys(opt.stateDict().state).sort()).toEqual(named.map(([n]) => n).sort());
      opt.dispose();
    });
  });

  test('a group overrides lr and momentum; keys are indices without names', () => {
    tidy(() => {
      const [a, b] = makeParams(5);
      const opt = new SGD([{ params: [a!] }, { params: [b!], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
      expect(opt.paramGroups.map((g) => [g.lr, g.momentum, g.keys])).toEqual([
        [0.1, 0, ['0']],
        [0.5, 0.9, ['1']],
      ]);
      const ra = Float64Array.from(a!.value.toArray());
      const rb = Float64Array.from(b!.value.toArray());
      let buf: Float64Array | null = null;
      for (let s = 1; s <= 3; s++) {
        setGrads([a!, b!], s);
        opt.step();
        refSgdStep(ra, gradAt(0, a!.size, s), null, { lr: 0.1 });
        buf = refSgdStep(rb, gradAt(1, b!.size, s), buf, { lr: 0.5, momentum: 0.9 });
      }
      expectClose(a!.value.toArray(), ra, { rtol: 1e-5, atol: 1e-6 });
      expectClose(b!.value.toArray(), rb, { rtol: 1e-5, atol: 1e-6 });
      opt.dispose();
    });
  });

  test('[name, Parameter] pairs (namedParameters()) make one group keyed by name; a Set of Parameters works', () => {
    tidy(() => {
      const [a, b] = makeParams(9);
      const opt = new Adam(
        new Map([
          ['x.weight', a!],
          ['x.bias', b!],
        ]),
        { lr: 0.1 },
      );
      expect(opt.paramGroups.map((g) => g.keys)).toEqual([['x.weight', 'x.bias']]);
      setGrads([a!, b!], 1);
      opt.step();
      expect(Object.keys(opt.stateDict().state)).toEqual(['x.weight', 'x.bias']);
      expect(new SGD(new Set([a!, b!])).paramGroups[0]!.keys).toEqual(['0', '1']);
      opt.dispose();
    });
  });

  test('bad arguments are ArgumentErrors naming the problem', () => {
    tidy(() => {
      const [a, b] = makeParams(6);
      expect(() => new SGD([])).toThrow(/params must not be empty/);
      expect(() => new SGD([{ params: [a!] }, { params: [a!] }])).toThrow(/must appear in one group only/);
      expect(() => new SGD([a!], { lr: -1 })).toThrow(ArgumentError);
      expect(() => new SGD([a!], { nesterov: true })).toThrow(/momentum must be > 0 with nesterov/);
      expect(() => new Adam([a!], { betas: [1, 0.9] })).toThrow(/betas\[0\] must be a finite number in \[0, 1\)/);
      expect(() => new Adam([{ params: [a!], momentum: 0.9 } as never])).toThrow(/got "momentum"/);
      expect(() => new AdamW([a!], { weight_decay: 0.1 } as never)).toThrow(
        /AdamW: options must have only lr, betas, eps, weightDecay, got "weight_decay"/,
      );
      expect(() => new SGD([a!], { beta: 0.9 } as never)).toThrow(/SGD: options must have only/);
      expect(() => new Adam([{ params: [a!, b!], names: ['x', 'x'] }])).toThrow(/must be unique/);
      expect(() => new Adam([{ params: [a!, b!], names: ['x'] }])).toThrow(/names must be 2 strings/);
      const opt = new Adam([a!]);
      opt.paramGroups[0]!.lr = NaN;
      expect(() => opt.step()).toThrow(/Adam.step: paramGroups\[0\].lr must be a finite number >= 0, got NaN/);
    });
  });
});

describe('schedules', () => {
  test('constant, linear warm-up + decay, inverse time at chosen steps', () => {
    expect([0, 1, 1000].map(constantSchedule())).toEqual([1, 1, 1]);
    const lin = linearWarmupDecay({ warmupSteps: 4, totalSteps: 12 });
    expect([0, 1, 2, 3, 4, 5, 8, 11, 12, 20].map(lin)).toEqual([0, 0.25, 0.5, 0.75, 1, 7 / 8, 0.5, 1 / 8, 0, 0]);
    expect([0, 3, 5].map(linearWarmupDecay({ warmupSteps: 0, totalSteps: 5 }))).toEqual([1, 0.4, 0]);
    const inv = inverseTimeDecay({ decay: 0.5 });
    expect([0, 1, 2, 6].map(inv)).toEqual([1, 1 / 1.5, 0.5, 0.25]);
    expect(() => lin(-1)).toThrow(ArgumentError);
    expect(() => lin(1.5)).toThrow(/step must be an integer >= 0/);
    expect(() => linearWarmupDecay({ warmupSteps: 5, totalSteps: 4 })).toThrow(/warmupSteps must be <= totalSteps/);
    expect(() => inverseTimeDecay({ decay: -1 })).toThrow(ArgumentError);
  });

  test('LRScheduler sets each group to baseLr * schedule(step); SGD follows the schedule', () => {
    tidy(() => {
      const [a, b] = makeParams(7);
      const opt = new SGD([{ params: [a!] }, { params: [b!], lr: 0.2 }], { lr: 0.1 });
      const sched = new LRScheduler(opt, linearWarmupDecay({ warmupSteps: 2, totalSteps: 6 }));
      expect(opt.paramGroups.map((g) => g.lr)).toEqual([0, 0]);
      expect(sched.lrsAt(1)).toEqual([0.05, 0.1]);
      const ra = Float64Array.from(a!.value.toArray());
      for (let s = 1; s <= 5; s++) {
        setGrads([a!, b!], s);
        const lr = 0.1 * linearWarmupDecay({ warmupSteps: 2, totalSteps: 6 })(s - 1);
        expect(opt.paramGroups[0]!.lr).toBeCloseTo(lr, 15);
        opt.step();
        sched.step();
        refSgdStep(ra, gradAt(0, a!.size, s), null, { lr });
      }
      expectClose(a!.value.toArray(), ra, { rtol: 1e-5, atol: 1e-6 });
      expect(sched.stateDict()).toEqual({ stepCount: 5, baseLrs: [0.1, 0.2] });
      opt.dispose();
    });
  });
});

describe('clipping', () => {
  test('clipGradients: global norm over trainable parameters with gradients, returns the pre-clip norm', () => {
    tidy(() => {
      const [a, b, c, d] = makeParams(8);
      setGrads([a!, b!, c!], 1);
      c!.requiresGrad = false; // frozen: neither counted nor scaled
      const ga = a!.grad!.toArray();
      const gb = b!.grad!.toArray();
      const gc = c!.grad!.toArray();
      const norm = refGlobalNorm([ga, gb]);
      const got = clipGradients([a!, b!, c!, d!], 0.5);
      expect(Math.abs(got - norm) / norm).toBeLessThan(1e-6);
      expect(Math.abs(refGlobalNorm([a!.grad!.toArray(), b!.grad!.toArray()]) - 0.5)).toBeLessThan(1e-6);
      expectSameBits(c!.grad!.toArray(), gc);
      expect(d!.grad).toBeNull();
      expect(clipGradients([a!, b!], 10)).toBeCloseTo(0.5, 5); // below maxNorm: unchanged
    });
  });
});

describe('gradient accumulation', () => {
  // Linear loss L(w) = mean over examples e of x_e . w: dL/dw = mean of x_e (independent of w).
  const N = 4;
  const b = 3;
  const n = 10;
  const examples = Array.from({ length: N * b }, (_, e) => seeded(n, 300 + e));
  const meanOf = (xs: Float32Array[]) => {
    const out = new Float32Array(n);
    for (const x of xs) for (let i = 0; i < n; i++) out[i]! += x[i]! / xs.length;
    return out;
  };
  const addInto = (p: Parameter, g: Float32Array) => {
    const v = p.ensureGrad().view();
    for (let i = 0; i < n; i++) v[i]! += g[i]!;
  };

  for (const make of [
    (ps: Parameter[]) => new AdamW(ps, { lr: 0.01 }),
    (ps: Parameter[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
  ]) {
    test(`${N} micro-batches of ${b} = one batch of ${N * b} (${make.toString().match(/new (\w+)/)![1]}, 3 updates, maxNorm)`, () => {
      tidy(() => {
        const p1 = new Parameter(Tensor.fromArray(seeded(n, 1)));
        const p2 = new Parameter(Tensor.fromArray(seeded(n, 1)));
        const full = make([p1]);
        const micro = make([p2]);
        const acc = new GradAccumulator(micro, { microBatches: N, maxNorm: 0.4 });
        for (let u = 0; u < 3; u++) {
          addInto(p1, meanOf(examples));
          const norm = clipGradients([p1], 0.4);
          full.step();
          full.zeroGrad();
          const stepped: boolean[] = [];
          for (let k = 0; k < N; k++) {
            addInto(p2, meanOf(examples.slice(k * b, (k + 1) * b)));
            stepped.push(acc.step());
          }
          expect(stepped).toEqual([false, false, false, true]);
          expect(acc.lastNorm).toBeCloseTo(norm, 5);
          expect(p2.grad!.toArray().every((x) => x === 0)).toBe(true);
        }
        expectClose(p2.value.toArray(), p1.value.toArray(), { rtol: 1e-5, atol: 1e-6 });
        full.dispose();
        micro.dispose();
      });
    });
  }

  test('flush() averages over the micro-batches pending; bad options throw', () => {
    tidy(() => {
      const p = new Parameter(Tensor.fromArray([0, 0]));
      const opt = new SGD([p], { lr: 1 });
      const sched = new LRScheduler(opt, constantSchedule());
      const acc = new GradAccumulator(opt, { microBatches: 4, scheduler: sched });
      expect(acc.flush()).toBe(false);
      p.ensureGrad().view().set([1, 2]);
      acc.step();
      p.grad!.view().set([3, 6], 0);
      acc.step(); // grads now [3, 6]: the sum of two micro-batches [1, 2] + [2, 4]
      expect(acc.flush()).toBe(true);
      expect(Array.from(p.value.toArray())).toEqual([-1.5, -3]);
      expect([sched.stepCount, acc.pending, opt.stepCount]).toEqual([1, 0, 1]);
      expect(() => new GradAccumulator(opt, { microBatches: 0 })).toThrow(/microBatches must be an integer >= 1/);
      opt.dispose();
    });
  });
});

describe('stateDict / loadStateDict: resuming gives bit-identical parameters', () => {
  const makers: [string, (ps: Parameter[]) => Optimizer][] = [
    ['SGD nesterov', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['Adam', (ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.01 })],
    [
      'AdamW groups',
      (ps) =>
        new AdamW(
          [
            { params: ps.slice(0, 2), names: ['w', 'b'] },
            { params: ps.slice(2), names: ['c', 'd'], weightDecay: 0 },
          ],
          { lr: 0.02 },
        ),
    ],
  ];
  const k = 3;
  const total = 7;
  for (const [label, make] of makers) {
    test(`${label}: ${k} steps, save, fresh optimizer, load, ${total - k} more = ${total} uninterrupted`, () => {
      tidy(() => {
        const runA = makeParams(11);
        const optA = make(runA);
        const schedA = new LRScheduler(optA, inverseTimeDecay({ decay: 0.3 }));
        for (let s = 1; s <= total; s++) {
          setGrads(runA, s);
          if (s === 2) runA[3]!.grad = null; // a parameter without a gradient at one step
          optA.step();
          schedA.step();
        }
        // Interrupted run.
        const runB = makeParams(11);
        let optB = make(runB);
        let schedB = new LRScheduler(optB, inverseTimeDecay({ decay: 0.3 }));
        for (let s = 1; s <= k; s++) {
          setGrads(runB, s);
          if (s === 2) runB[3]!.grad = null;
          optB.step();
          schedB.step();
        }
        const saved: OptimizerStateDict = structuredClone(optB.stateDict());
        const savedSched = schedB.stateDict();
        const values = runB.map((p) => p.value.toArray());
        optB.dispose();
        const runC = SHAPES.map((s, i) => new Parameter(Tensor.fromArray(values[i]!, [...s])));
        optB = make(runC);
        schedB = new LRScheduler(optB, inverseTimeDecay({ decay: 0.3 }));
        optB.loadStateDict(saved);
        schedB.loadStateDict(savedSched);
        for (let s = k + 1; s <= total; s++) {
          setGrads(runC, s);
          optB.step();
          schedB.step();
        }
        runA.forEach((p, i) => expectSameBits(runC[i]!.value.toArray(), p.value.toArray()));
        expect(optB.stepCount).toBe(total);
        expect(optB.stateDict()).toEqual(optA.stateDict());
        optA.dispose();
        optB.dispose();
      });
    });
  }

  test('loadStateDict rejects another type, other groups, wrong sizes and unknown keys', () => {
    tidy(() => {
      const ps = makeParams(12);
      const adam = new Adam(ps);
      setGrads(ps, 1);
      adam.step();
      const sd = adam.stateDict();
      expect(() => new AdamW(ps).loadStateDict(sd)).toThrow(/state.type must be "AdamW", got "Adam"/);
      expect(() => new Adam([{ params: ps.slice(0, 2) }, { params: ps.slice(2) }]).loadStateDict(sd)).toThrow(
        /state.groups must have 2 groups, got 1/,
      );
      expect(() => new Adam(ps.slice(0, 3)).loadStateDict(sd)).toThrow(
        /state.groups\[0\].params must be \["0","1","2"\]/,
      );
      const bad = structuredClone(sd);
      bad.state['1']!.exp_avg = new Float32Array(3);
      expect(() => new Adam(ps).loadStateDict(bad)).toThrow(/exp_avg must be a Float32Array of 7 values, got 3/);
      const unknown = structuredClone(sd);
      unknown.state['9'] = { step: 1 };
      expect(() => new Adam(ps).loadStateDict(unknown)).toThrow(/keys must name this optimizer's parameters, got "9"/);
      const hyper = structuredClone(sd);
      hyper.groups[0]!.lr = 0.5;
      const fresh = new Adam(ps);
      fresh.loadStateDict(hyper);
      expect(fresh.paramGroups[0]!.lr).toBe(0.5);
      adam.dispose();
      fresh.dispose();
    });
  });
});
