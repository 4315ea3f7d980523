import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { AdamW, SGD } from '../../src/optim/optimizer.js';
import { defaultParamGroups } from '../../src/optim/groups.js';
import { LRScheduler, linearWarmupDecay } from '../../src/optim/schedule.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';

beforeAll(async () => {
  await initForTests();
});

const NAMES: [string, number[]][] = [
  ['embeddings.word_embeddings.weight', [11, 4]],
  ['encoder.layer.0.attention.self.query.weight', [4, 4]],
  ['encoder.layer.0.attention.self.query.bias', [4]],
  ['encoder.layer.0.attention.output.LayerNorm.weight', [4]],
  ['classifier.weight', [3, 4]],
];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function model(seed: number, values?: Float32Array[]): [string, Parameter][] {
  return NAMES.map(([n, s], i) => [n, new Parameter(Tensor.fromArray(values?.[i] ?? seeded(size(s), seed + i), s))]);
}

function train(named: [string, Parameter][], opt: AdamW, sched: LRScheduler, from: number, to: number): void {
  for (let s = from; s <= to; s++) {
    named.forEach(([, p], i) =>
      p
        .ensureGrad()
        .view()
        .set(seeded(p.size, 1000 + 13 * s + i)),
    );
    opt.step();
    sched.step();
    opt.zeroGrad();
  }
}

describe('checkpoints', () => {
  test('save after k steps, restore from the bytes into fresh objects, continue: bit-identical to an uninterrupted run', () => {
    tidy(() => {
      const schedule = linearWarmupDecay({ warmupSteps: 2, totalSteps: 10 });
      const a = model(1);
      const optA = new AdamW(defaultParamGroups(a, { weightDecay: 0.05 }), { lr: 0.01 });
      const schedA = new LRScheduler(optA, schedule);
      train(a, optA, schedA, 1, 8);

      const b = model(1);
      const optB = new AdamW(defaultParamGroups(b, { weightDecay: 0.05 }), { lr: 0.01 });
      const schedB = new LRScheduler(optB, schedule);
      train(b, optB, schedB, 1, 3);
      const bytes = encodeCheckpoint({
        weights: b,
        optimizer: optB.stateDict(),
        meta: {
          config: { dim: 4, layers: 1 },
          step: 3,
          epoch: 0,
          rng: { seed: 7, counter: 123456 },
          scheduler: schedB.stateDict(),
        },
      });
      optB.dispose();

      const ck = decodeCheckpoint(bytes);
      expect(ck.meta).toEqual({
        config: { dim: 4, layers: 1 },
        step: 3,
        epoch: 0,
        rng: { seed: 7, counter: 123456 },
        scheduler: { stepCount: 3, baseLrs: [0.01, 0.01] },
      });
      const c = model(
        0,
        NAMES.map(([n]) => ck.weights[n]!.data as Float32Array),
      );
      const optC = new AdamW(defaultParamGroups(c, { weightDecay: 0.05 }), { lr: 0.01 });
      const schedC = new LRScheduler(optC, schedule);
      optC.loadStateDict(ck.optimizer!);
      schedC.loadStateDict(ck.meta.scheduler as never);
      train(c, optC, schedC, 4, 8);
      a.forEach(([n, p], i) => {
        expect(c[i]![0]).toBe(n);
        expectSameBits(c[i]![1].value.toArray(), p.value.toArray());
      });
      expect(optC.stateDict()).toEqual(optA.stateDict());
      optA.dispose();
      optC.dispose();
    });
  });

  test('the file is plain safetensors: weights by name, optimizer.<name>.exp_avg / exp_avg_sq, JSON metadata', () => {
    tidy(() => {
      const named = model(2);
      const opt = new AdamW(defaultParamGroups(named), { lr: 0.01 });
      named[0]![1].ensureGrad().view().fill(1);
      opt.step();
      const st = decodeSafetensors(
        encodeCheckpoint({ weights: new Map(named), optimizer: opt.stateDict(), meta: { epoch: 2 } }),
      );
      expect(Object.keys(st.tensors).sort()).toEqual(
        [
          ...NAMES.map(([n]) => n),
          'optimizer.embeddings.word_embeddings.weight.exp_avg',
          'optimizer.embeddings.word_embeddings.weight.exp_avg_sq',
        ].sort(),
      );
      expect(st.tensors['optimizer.embeddings.word_embeddings.weight.exp_avg']!.shape).toEqual([44]);
      expect(st.tensors['encoder.layer.0.attention.self.query.weight']!.shape).toEqual([4, 4]);
      expect(st.metadata.checkpoint).toBe(CHECKPOINT_VERSION);
      expect(st.metadata.epoch).toBe('2');
      const scalars = JSON.parse(st.metadata.optimizer!);
      expect(scalars.type).toBe('AdamW');
      expect(scalars.stepCount).toBe(1);
      expect(scalars.steps).toEqual({ 'embeddings.word_embeddings.weight': 1 });
      expect(scalars.groups[1].weightDecay).toBe(0);
      opt.dispose();
    });
  });

  test('weights only (no optimizer) and SGD momentum buffers', () => {
    tidy(() => {
      const p = new Parameter(Tensor.fromArray([1, 2, 3]));
      const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
      p.ensureGrad().view().fill(1);
      opt.step();
      const ck = decodeCheckpoint(encodeCheckpoint({ weights: { w: p }, optimizer: opt.stateDict() }));
      expect(Object.keys(ck.weights)).toEqual(['w']);
      expect(Array.from(ck.optimizer!.state['0']!.momentum_buffer!)).toEqual([1, 1, 1]);
      const plain = decodeCheckpoint(encodeCheckpoint({ weights: { w: p } }));
      expect(plain.optimizer).toBeNull();
      expect(plain.meta).toEqual({});
      opt.dispose();
    });
  });

  test('errors: reserved names, non-JSON meta, files that are not checkpoints or disagree', () => {
    tidy(() => {
      const w = { shape: [1], data: Float32Array.of(1) };
      expect(() => encodeCheckpoint({ weights: { 'optimizer.x': w } })).toThrow(/must not start with "optimizer\."/);
      expect(() => encodeCheckpoint({ weights: {}, meta: { optimizer: 1 } })).toThrow(ArgumentError);
      expect(() => encodeCheckpoint({ weights: {}, meta: { f: () => 1 } })).toThrow(/must be JSON-serialisable/);
      expect(() => decodeCheckpoint(encodeSafetensors({ w }))).toThrow(FormatError);
      expect(() => decodeCheckpoint(encodeSafetensors({ w }))).toThrow(
        /offset 8 \(the header\) must be "__metadata__" holding "checkpoint": "wasm-nlp\/1"/,
      );
      expect(() => decodeCheckpoint(encodeSafetensors({ w }, { checkpoint: CHECKPOINT_VERSION, epoch: '{' }))).toThrow(
        /JSON in metadata "epoch"/,
      );
      expect(() =>
        decodeCheckpoint(encodeSafetensors({ 'optimizer.0.exp_avg': w }, { checkpoint: CHECKPOINT_VERSION })),
      ).toThrow(/metadata "optimizer" for the optimizer tensors/);
      const scalars = JSON.stringify({ type: 'Adam', stepCount: 1, groups: [], steps: { 0: 1 } });
      expect(() =>
        decodeCheckpoint(
          encodeSafetensors({ 'optimizer.1.exp_avg': w }, { checkpoint: CHECKPOINT_VERSION, optimizer: scalars }),
        ),
      ).toThrow(/"optimizer.1.exp_avg"/);
      expect(() =>
        decodeCheckpoint(
          encodeSafetensors({ 'optimizer.0.velocity': w }, { checkpoint: CHECKPOINT_VERSION, optimizer: scalars }),
        ),
      ).toThrow(FormatError);
    });
  });
});
