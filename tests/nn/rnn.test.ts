// The recurrent modules LSTM, GRU and RNN (src/nn/rnn.ts): PyTorch's parameter
// names, order and shapes, the U(-1/√H, 1/√H) initialisation, state-dict round
// trips, bidirectional = [forward ‖ time-reversed], stacked layers with dropout
// in train and eval mode, padding masks, initial states, finite differences
// through the modules, typed errors and flat memory. The comparison with
// PyTorch itself is tests/nn/torch-fixtures.test.ts.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { moduleGradCheck } from '../helpers/nn-gradcheck.js';
import { valueRange } from '../helpers/value-range.js';
import { expectFlatHeap } from '../helpers/heap.js';
import { Tensor } from '../../src/core/tensor.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';
import * as F from '../../src/autograd/functional.js';
import { noGrad, step, tape, variable } from '../../src/autograd/tape.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { GRU, LSTM, RNN, type RNNBase, type RnnForwardOptions } from '../../src/nn/rnn.js';

beforeAll(async () => {
  await initForTests();
});

const bits = (t: Tensor) => Array.from(new Uint32Array((t.toArray() as Float32Array).buffer));
/** The state_dict keys of a bidirectional layer 0, as torch.nn.LSTM / RNN(..., bidirectional=True) lists them. */
const BIDIRECTIONAL_L0 = [
  'weight_ih_l0',
  'weight_hh_l0',
  'bias_ih_l0',
  'bias_hh_l0',
  'weight_ih_l0_reverse',
  'weight_hh_l0_reverse',
  'bias_ih_l0_reverse',
  'bias_hh_l0_reverse',
];
const shapes = (m: RNNBase) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));

/** Forward without recording: output values and the final states as plain arrays. */
function run(m: RNNBase, x: Tensor, options: RnnForwardOptions = {}) {
  return noGrad(() => {
    const r = m.forward(x, options);
    const o = { output: r.output.value.toArray() as Float32Array, h: r.h.toArray() as Float32Array, c: r.c?.toArray() };
    r.h.dispose();
    r.c?.dispose();
    return o;
  });
}

/** x[b, t] for t in [t0, t1) of a [B, T, C] array, as a [t1 − t0, C] flat array. */
function rows(a: Float32Array, T: number, C: number, b: number, t0: number, t1: number): number[] {
  return Array.from(a.subarray((b * T + t0) * C, (b * T + t1) * C));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6, label = '') {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  expect(worst, `${label} max |diff| ${worst} at ${at}`).toBeLessThanOrEqual(tol);
}

describe('names, shapes and initialisation', () => {
  test("LSTM(5, 7, 2 layers, bidirectional): PyTorch's state_dict keys, order and shapes", () => {
    const m = new LSTM(5, 7, { numLayers: 2, bidirectional: true });
    // torch.nn.LSTM(5, 7, num_layers=2, bidirectional=True).state_dict(): per layer, forward then reverse
    expect(Object.keys(m.stateDict())).toEqual([
      ...BIDIRECTIONAL_L0,
      'weight_ih_l1',
      'weight_hh_l1',
      'bias_ih_l1',
      'bias_hh_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
      'bias_ih_l1_reverse',
      'bias_hh_l1_reverse',
    ]);
    const s = shapes(m);
    expect(s['weight_ih_l0']).toEqual([28, 5]);
    expect(s['weight_hh_l0']).toEqual([28, 7]);
    expect(s['bias_ih_l0_reverse']).toEqual([28]);
    expect(s['weight_ih_l1']).toEqual([28, 14]);
    expect(s['weight_ih_l1_reverse']).toEqual([28, 14]);
    expect(s['weight_hh_l1_reverse']).toEqual([28, 7]);
    expect(m.parameterCount()).toBe(2 * (28 * 5 + 28 * 7 + 56) + 2 * (28 * 14 + 28 * 7 + 56));
    // the dropout between layers is a named module without parameters
    expect(m.namedModules().map(([n]) => n)).toEqual(['', 'dropout']);
    m.dispose();
  });

  test('GRU (3 gates, 3 layers, no bias) and RNN (1 gate) follow the same scheme', () => {
    const g = new GRU(3, 4, { numLayers: 3, bias: false });
    expect(shapes(g)).toEqual({
      weight_ih_l0: [12, 3],
      weight_hh_l0: [12, 4],
      weight_ih_l1: [12, 4],
      weight_hh_l1: [12, 4],
      weight_ih_l2: [12, 4],
      weight_hh_l2: [12, 4],
    });
    const r = new RNN(3, 5, { bidirectional: true, nonlinearity: 'relu' });
    expect(r.mode).toBe('rnn_relu');
    expect(Object.keys(r.stateDict())).toEqual(BIDIRECTIONAL_L0);
    expect(shapes(r)['weight_ih_l0_reverse']).toEqual([5, 3]);
    expect(new RNN(2, 2).mode).toBe('rnn_tanh');
    g.dispose();
    r.dispose();
  });

  test('every parameter U(-1/√H, 1/√H), from its own stream; seeded and deterministic', () => {
    const H = 9;
    const m = new GRU(4, H, { numLayers: 2, bidirectional: true, seed: 3 });
    const bound = Math.fround(1 / Math.sqrt(H));
    const seen = new Set<string>();
    for (const [name, t] of Object.entries(m.stateDict())) {
      const { lo, hi, mean } = valueRange(t.toArray() as Float32Array);
      expect(lo, name).toBeGreaterThanOrEqual(-bound);
      expect(hi, name).toBeLessThanOrEqual(bound);
      // a uniform spread over the whole interval, not a constant or a narrow band
      expect(hi - lo, name).toBeGreaterThan(1.2 * bound);
      expect(Math.abs(mean), name).toBeLessThan(bound / 2);
      seen.add(bits(t).join(','));
    }
    expect(seen.size).toBe(Object.keys(m.stateDict()).length);
    const same = new GRU(4, H, { numLayers: 2, bidirectional: true, seed: 3 });
    const other = new GRU(4, H, { numLayers: 2, bidirectional: true, seed: 4 });
    for (const [k, t] of Object.entries(m.stateDict())) {
      expect(bits(same.stateDict()[k]!)).toEqual(bits(t));
      expect(bits(other.stateDict()[k]!)).not.toEqual(bits(t));
    }
    for (const x of [m, same, other]) x.dispose();
  });

  test('loadStateDict round trip (directly and through safetensors bytes) gives the same outputs bit for bit', () => {
    const a = new LSTM(3, 4, { numLayers: 2, bidirectional: true, seed: 1 });
    const b = new LSTM(3, 4, { numLayers: 2, bidirectional: true, seed: 2 });
    const c = new LSTM(3, 4, { numLayers: 2, bidirectional: true, seed: 5 });
    const x = Tensor.randn([2, 5, 3], { seed: 7 });
    const ra = run(a, x);
    expect(bits(Tensor.fromArray(run(b, x).output))).not.toEqual(bits(Tensor.fromArray(ra.output)));
    expect(b.loadStateDict(a.stateDict())).toEqual({ missing: [], unexpected: [] });
    c.loadStateDict(decodeSafetensors(encodeSafetensors(a.stateDict())).tensors);
    for (const m of [b, c]) {
      const r = run(m, x);
      expect(Array.from(r.output)).toEqual(Array.from(ra.output));
      expect(Array.from(r.h)).toEqual(Array.from(ra.h));
      expect(Array.from(r.c!)).toEqual(Array.from(ra.c!));
    }
    x.dispose();
    for (const m of [a, b, c]) m.dispose();
  });
});

describe('forward semantics', () => {
  test.each([
    ['LSTM', (o: object) => new LSTM(3, 4, o)],
    ['GRU', (o: object) => new GRU(3, 4, o)],
    ['RNN', (o: object) => new RNN(3, 4, o)],
  ] as const)(
    '%s bidirectional: output = [forward ‖ the reverse direction run over the reversed sequence]',
    (_, make) => {
      const B = 2;
      const T = 5;
      const H = 4;
      const bi = make({ bidirectional: true, seed: 11 });
      const fwd = make({});
      const rev = make({});
      const sd = bi.stateDict();
      const pick = (suffix: string) =>
        Object.fromEntries(
          Object.entries(sd)
            .filter(([k]) => k.endsWith(suffix === '' ? '_l0' : '_l0_reverse'))
            .map(([k, t]) => [k.replace('_reverse', ''), t]),
        );
      fwd.loadStateDict(pick(''));
      rev.loadStateDict(pick('reverse'));
      const x = Tensor.randn([B, T, 3], { seed: 12 });
      const xr = Tensor.empty([B, T, 3]);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          xr.view().set(x.view().subarray((b * T + t) * 3, (b * T + t + 1) * 3), (b * T + T - 1 - t) * 3);
      const o = run(bi, x);
      const f = run(fwd, x);
      const r = run(rev, xr);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const at = (b * T + t) * 2 * H;
          expectClose(o.output.subarray(at, at + H), rows(f.output, T, H, b, t, t + 1), 1e-6, `forward b ${b} t ${t}`);
          expectClose(
            o.output.subarray(at + H, at + 2 * H),
            rows(r.output, T, H, b, T - 1 - t, T - t),
            1e-6,
            `reverse b ${b} t ${t}`,
          );
        }
      }
      // h: [forward final; reverse final (its state after step 0)]
      expectClose(o.h.subarray(0, B * H), f.h);
      expectClose(o.h.subarray(B * H), r.h);
      if (o.c !== undefined) {
        expectClose(o.c.subarray(0, B * H), f.c!);
        expectClose(o.c.subarray(B * H), r.c!);
      }
      for (const t of [x, xr]) t.dispose();
      for (const m of [bi, fwd, rev]) m.dispose();
    },
  );

  test('2 layers with dropout: train mode differs from eval, eval is deterministic, the counter advances only in training', () => {
    const m = new LSTM(3, 6, { numLayers: 2, dropout: 0.5, seed: 2 });
    const x = Tensor.randn([3, 4, 3], { seed: 1 });
    m.eval();
    const e1 = run(m, x);
    const e2 = run(m, x);
    expect(Array.from(e2.output)).toEqual(Array.from(e1.output));
    expect(m.rngState()['dropout']!.counter).toBe(0);
    m.train();
    const t1 = run(m, x);
    expect(m.rngState()['dropout']!.counter).toBeGreaterThan(0);
    const t2 = run(m, x);
    let d = 0;
    for (let i = 0; i < e1.output.length; i++) d = Math.max(d, Math.abs(t1.output[i]! - e1.output[i]!));
    expect(d).toBeGreaterThan(1e-3);
    expect(Array.from(t2.output)).not.toEqual(Array.from(t1.output)); // a fresh mask per call
    // one layer: dropout is never applied (PyTorch applies it between layers only)
    const one = new LSTM(3, 6, { dropout: 0.5, seed: 2 });
    const a = run(one, x);
    one.eval();
    expect(Array.from(run(one, x).output)).toEqual(Array.from(a.output));
    x.dispose();
    m.dispose();
    one.dispose();
  });

  test.each([
    ['LSTM', () => new LSTM(3, 5, { numLayers: 2, bidirectional: true, seed: 4 })],
    ['GRU', () => new GRU(3, 5, { numLayers: 2, bidirectional: true, seed: 4 })],
    ['RNN relu', () => new RNN(3, 5, { bidirectional: true, nonlinearity: 'relu', seed: 4 })],
  ] as const)('%s: a padded row gives the outputs and final states of the same sequence alone', (_, make) => {
    const m = make();
    const T = 6;
    const lengths = [6, 3, 1];
    const B = lengths.length;
    const D = 2 * 5;
    const x = Tensor.randn([B, T, 3], { seed: 9 });
    const mask = Tensor.fromArray(
      Int32Array.from({ length: B * T }, (_, i) => (i % T < lengths[(i / T) | 0]! ? 1 : 0)),
      [B, T],
      'int32',
    );
    const all = run(m, x, { mask });
    const states = all.h.length / (B * 5);
    expect(states).toBe(m.numLayers * 2);
    for (let b = 0; b < B; b++) {
      const n = lengths[b]!;
      const xb = Tensor.fromArray(x.view().slice(b * T * 3, (b * T + n) * 3), [1, n, 3]);
      const alone = run(m, xb);
      expectClose(rows(all.output, T, D, b, 0, n), alone.output, 1e-6, `row ${b} outputs`);
      for (let s = 0; s < states; s++) {
        expectClose(
          all.h.subarray((s * B + b) * 5, (s * B + b + 1) * 5),
          alone.h.subarray(s * 5, (s + 1) * 5),
          1e-6,
          `row ${b} h[${s}]`,
        );
        if (all.c !== undefined)
          expectClose(
            all.c.subarray((s * B + b) * 5, (s * B + b + 1) * 5),
            alone.c!.subarray(s * 5, (s + 1) * 5),
            1e-6,
            `row ${b} c[${s}]`,
          );
      }
      xb.dispose();
    }
    x.dispose();
    mask.dispose();
    m.dispose();
  });

  test('h0/c0 carry state: two halves with the state handed over = the whole sequence; a float mask works as an int one', () => {
    const m = new LSTM(2, 3, { numLayers: 2, seed: 6 });
    const x = Tensor.randn([2, 6, 2], { seed: 3 });
    const whole = run(m, x);
    const first = Tensor.fromArray(
      Float32Array.from({ length: 2 * 4 * 2 }, (_, i) => x.view()[Math.floor(i / 8) * 12 + (i % 8)]!),
      [2, 4, 2],
    );
    const second = Tensor.fromArray(
      Float32Array.from({ length: 2 * 2 * 2 }, (_, i) => x.view()[Math.floor(i / 4) * 12 + 8 + (i % 4)]!),
      [2, 2, 2],
    );
    const a = noGrad(() => m.forward(first));
    const b = run(m, second, { h0: a.h, c0: a.c! });
    expectClose(b.output, [...rows(whole.output, 6, 3, 0, 4, 6), ...rows(whole.output, 6, 3, 1, 4, 6)], 1e-6);
    expectClose(b.h, whole.h, 1e-6);
    expectClose(b.c!, whole.c!, 1e-6);
    const mi = Tensor.fromArray(Int32Array.of(1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0), [2, 6], 'int32');
    const mf = Tensor.fromArray(Float32Array.of(1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0), [2, 6]);
    expect(Array.from(run(m, x, { mask: mf }).output)).toEqual(Array.from(run(m, x, { mask: mi }).output));
    for (const t of [x, first, second, a.h, a.c!, mi, mf]) t.dispose();
    tape.release();
    m.dispose();
  });
});

describe('gradients (finite differences through the modules)', () => {
  const mask = () => Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 1, 0), [2, 3], 'int32');

  test('LSTM, 2 layers, bidirectional, dropout on, padding mask: every parameter and the input', () => {
    const m = new LSTM(3, 4, { numLayers: 2, bidirectional: true, dropout: 0.3, seed: 1 });
    const x = Tensor.randn([2, 3, 3], { seed: 2 });
    const mk = mask();
    const n = moduleGradCheck(m, (xv) => m.forward(xv!, { mask: mk }).output, [x], {
      // the input at a padded step has no effect on anything
      skip: (name, j) => name === 'input 0' && j >= 15,
    });
    expect(n).toBe(m.parameterCount() + 15);
    for (const t of [x, mk]) t.dispose();
    m.dispose();
  });

  test('GRU, 2 layers, bidirectional, from a given h0: every parameter and the input', () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true, seed: 3 });
    const x = Tensor.randn([2, 3, 3], { seed: 4 });
    const h0 = Tensor.randn([4, 2, 4], { seed: 5, std: 0.5 });
    const n = moduleGradCheck(m, (xv) => m.forward(xv!, { h0 }).output, [x]);
    expect(n).toBe(m.parameterCount() + 18);
    for (const t of [x, h0]) t.dispose();
    m.dispose();
  });

  test('RNN tanh bidirectional with a mask, and RNN relu with 2 layers: every parameter and the input', () => {
    const a = new RNN(3, 4, { bidirectional: true, seed: 5 });
    const x = Tensor.randn([2, 3, 3], { seed: 6 });
    const mk = mask();
    expect(
      moduleGradCheck(a, (xv) => a.forward(xv!, { mask: mk }).output, [x], {
        skip: (name, j) => name === 'input 0' && j >= 15,
      }),
    ).toBe(a.parameterCount() + 15);
    const r = new RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', seed: 8 });
    // a small step: the finite differences must not straddle a ReLU kink
    expect(moduleGradCheck(r, (xv) => r.forward(xv!).output, [x], { eps: 1e-3 })).toBe(r.parameterCount() + 18);
    for (const t of [x, mk]) t.dispose();
    a.dispose();
    r.dispose();
  });
});

describe('errors', () => {
  const catchErr = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  test('constructor options: typed errors naming the option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new LSTM(0, 4), /^LSTM: inputSize must be a positive integer, got 0/],
      [() => new GRU(3, 2.5), /^GRU: hiddenSize must be a positive integer, got 2.5/],
      [() => new LSTM(3, 4, { numLayers: 0 }), /^LSTM: numLayers must be a positive integer, got 0/],
      [() => new LSTM(3, 4, { dropout: 1 }), /^LSTM: dropout must be a finite number in \[0, 1\), got 1/],
      [() => new GRU(3, 4, { dropout: -0.1 }), /^GRU: dropout must be a finite number in \[0, 1\)/],
      [() => new LSTM(3, 4, { bidirectional: 1 as never }), /^LSTM: bidirectional must be a boolean, got number 1/],
      [
        () => new RNN(3, 4, { nonlinearity: 'sigmoid' as never }),
        /^RNN: nonlinearity must be 'tanh' or 'relu', got sigmoid/,
      ],
      [
        () => new LSTM(3, 4, { batchFirst: true } as never),
        /^LSTM: options must have only the keys .*, got 'batchFirst'/,
      ],
      [
        () => new GRU(3, 4, { nonlinearity: 'tanh' } as never),
        /^GRU: options must have only the keys .*'nonlinearity'/,
      ],
    ];
    for (const [f, re] of cases) {
      const e = catchErr(f);
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as Error).message).toMatch(re);
    }
  });

  test('forward arguments: shape, dtype and option errors before any kernel runs', () => {
    const before = memoryStats().bytesInUse;
    const lstm = new LSTM(3, 4, { numLayers: 2 });
    const gru = new GRU(3, 4, { bidirectional: true });
    const x = Tensor.randn([2, 5, 3], { seed: 1 });
    const x2 = Tensor.randn([2, 3], { seed: 1 });
    const x4 = Tensor.randn([2, 5, 4], { seed: 1 });
    const xi = Tensor.zeros([2, 5, 3], 'int32');
    const good = Tensor.zeros([2, 2, 4]);
    const bad = Tensor.zeros([1, 2, 4]);
    const m5 = Tensor.zeros([2, 4], 'int32');
    const hi = Tensor.zeros([2, 2, 4], 'int32');
    const cases: [() => unknown, new (...a: never[]) => Error, RegExp][] = [
      [() => lstm.forward(x2), ShapeError, /^LSTM.forward: x must have shape \[batch, seq, 3\], got \[2, 3\]/],
      [() => lstm.forward(x4), ShapeError, /^LSTM.forward: x must have shape \[batch, seq, 3\], got \[2, 5, 4\]/],
      [() => lstm.forward(xi), DTypeError, /^LSTM.forward: x must have dtype float32, got int32/],
      [() => lstm.forward([1, 2] as never), ArgumentError, /^LSTM.forward: x must be a Variable, Parameter or Tensor/],
      [
        () => lstm.forward(x, { h0: bad }),
        ShapeError,
        /^LSTM.forward: h0 must have shape \[2, 2, 4\], got \[1, 2, 4\]/,
      ],
      [
        () => lstm.forward(x, { c0: bad }),
        ShapeError,
        /^LSTM.forward: c0 must have shape \[2, 2, 4\], got \[1, 2, 4\]/,
      ],
      [() => lstm.forward(x, { h0: [0] as never }), ArgumentError, /^LSTM.forward: h0 must be a Tensor/],
      [
        () => gru.forward(x, { c0: good }),
        ArgumentError,
        /^GRU.forward: c0 must be omitted \(only the LSTM has a cell state\)/,
      ],
      [() => gru.forward(x, { h0: hi }), DTypeError, /^GRU.forward: h0 must have dtype float32/],
      [() => gru.forward(x, { mask: m5 }), ShapeError, /^GRU.forward: mask must have shape \[2, 5\], got \[2, 4\]/],
      [
        () => gru.forward(x, { lengths: [5, 5] } as never),
        ArgumentError,
        /^GRU.forward: options must have only the keys mask, h0, c0, got 'lengths'/,
      ],
    ];
    for (const [f, cls, re] of cases) {
      const e = catchErr(f);
      expect(e, String(re)).toBeInstanceOf(cls);
      expect((e as Error).message).toMatch(re);
    }
    expect(tape.length).toBe(0);
    for (const t of [x, x2, x4, xi, good, bad, m5, hi]) t.dispose();
    tape.release();
    lstm.dispose();
    gru.dispose();
    expect(memoryStats().bytesInUse).toBe(before);
  });
});

describe('memory', () => {
  test('training steps and inference calls with masks and initial states leave the heap as it was', () => {
    const m = new LSTM(4, 6, { numLayers: 2, bidirectional: true, dropout: 0.2, seed: 1 });
    const x = Tensor.randn([3, 5, 4], { seed: 2 });
    const mask = Tensor.fromArray(
      Int32Array.from({ length: 15 }, (_, i) => (i % 5 < [5, 2, 4][(i / 5) | 0]! ? 1 : 0)),
      [3, 5],
      'int32',
    );
    const h0 = Tensor.randn([4, 3, 6], { seed: 3 });
    const c0 = Tensor.randn([4, 3, 6], { seed: 4 });
    const once = () => {
      step(() => {
        const r = m.forward(variable(x, { requiresGrad: true }), { mask, h0, c0 });
        r.h.dispose();
        r.c!.dispose();
        F.sum(r.output).backward();
      });
      const r = run(m, x, { mask, h0 });
      expect(r.output.length).toBe(3 * 5 * 12);
      tape.release();
    };
    expectFlatHeap(once, 10); // parameter gradients are allocated on the first backward
    expect(tape.tensorCount).toBe(0);
    for (const t of [x, mask, h0, c0]) t.dispose();
    m.dispose();
  });
});
