// The encoders of TextClassifier and SequenceTagger besides the Transformer: BiLSTM,
// BiGRU and CNN learn tasks that need order and context, the recurrent "last state"
// pooling is the forward direction's state at the last real token and the reverse
// direction's after reading back to the first, padding never changes a result, the
// parameter bound of the config counts exactly what is built, names are PyTorch's
// under `encoder.`, saved models load back, resume is bit-identical, errors are typed.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError } from '../../src/core/errors.js';
import { noGrad } from '../../src/autograd/tape.js';
import { TextClassifier } from '../../src/models/encoder/classifier.js';
import { SequenceTagger, type TaggingExample } from '../../src/models/encoder/tagger.js';
import { RecurrentEncoder } from '../../src/models/encoder/encoders.js';
import { resolveEncoderConfig } from '../../src/models/encoder/model.js';
import { A, B, VOCAB, orderData } from '../helpers/order-task.js';

beforeAll(async () => {
  await initForTests();
});

/** Tag = 1 when the previous token is A (needs left context), 2 when the next is B (right context), else 0. */
function contextTags(seed: number, n: number): TaggingExample[] {
  const rng = new Philox(seed, 5);
  const out: TaggingExample[] = [];
  for (let k = 0; k < n; k++) {
    const len = 2 + rng.nextInt(12);
    const ids = Array.from({ length: len }, () => 1 + rng.nextInt(VOCAB - 1));
    const tags = ids.map((_, i) => (i > 0 && ids[i - 1] === A ? 1 : i + 1 < len && ids[i + 1] === B ? 2 : 0));
    out.push({ ids, tags });
  }
  return out;
}

const bits = (m: TextClassifier | SequenceTagger) =>
  m.namedParameters().map(([n, p]) => [n, Array.from(new Uint32Array((p.value.toArray() as Float32Array).buffer))]);

const small = { vocabSize: VOCAB, dim: 24, layers: 1, maxLen: 16, dropout: 0, seed: 1 } as const;

describe('TextClassifier with recurrent and convolutional encoders', () => {
  for (const encoder of ['lstm', 'gru', 'cnn'] as const) {
    test(`${encoder}: learns "is A before B" to >= 95% held-out`, async () => {
      const m = new TextClassifier({
        ...small,
        encoder,
        numClasses: 2,
        layers: encoder === 'cnn' ? 3 : 1,
        kernelSize: 5,
      });
      expect(m.config.pooling).toBe(encoder === 'cnn' ? 'max' : 'last');
      await m.fit(orderData(1, 3000), { epochs: 4, batchSize: 32, lr: 5e-3, warmup: 0.05 });
      expect(m.evaluate(orderData(2, 500)).accuracy).toBeGreaterThanOrEqual(0.95);
      m.dispose();
    }, 120_000);
  }

  test('bidirectional last-state pooling = [forward state at the last real token ‖ reverse state at position 0]', () => {
    const m = new TextClassifier({ ...small, encoder: 'lstm', numClasses: 3, hidden: 5 });
    const enc = m.encoder as RecurrentEncoder;
    expect(enc).toBeInstanceOf(RecurrentEncoder);
    m.eval();
    const data = [{ ids: [3, 4, 5, 6, 7] }, { ids: [3, 4] }];
    const units = data.map((d, ex) => ({ ex, start: 0, len: d.ids.length }));
    const batch = m.makeBatch(data, units, false);
    try {
      noGrad(() => {
        const h = m.encode(batch).toArray() as Float32Array; // [2, 5, 10]
        const pooled = m.pool(m.encode(batch), batch, 'last').toArray() as Float32Array; // [2, 10]
        const S = 5,
          D = 10;
        for (const [b, last] of [
          [0, 4],
          [1, 1],
        ] as const) {
          const fwd = h.subarray((b * S + last) * D, (b * S + last) * D + 5);
          const rev = h.subarray(b * S * D + 5, b * S * D + 10);
          expect(Array.from(pooled.subarray(b * D, b * D + 5))).toEqual(Array.from(fwd));
          expect(Array.from(pooled.subarray(b * D + 5, b * D + 10))).toEqual(Array.from(rev));
        }
      });
    } finally {
      for (const t of [batch.ids, batch.mask]) t.dispose();
      m.dispose();
    }
  });

  for (const encoder of ['lstm', 'gru', 'cnn'] as const) {
    test(`${encoder}: a padded batch gives each input the same probabilities as alone`, () => {
      const m = new TextClassifier({ ...small, encoder, numClasses: 3, layers: 2 });
      const inputs = [{ ids: [3, 4, 5, 6, 7, 8, 9] }, { ids: [3, 4] }, { ids: [9] }];
      const together = m.predictBatch(inputs, { batchSize: 3 });
      inputs.forEach((x, i) => {
        const alone = m.predict(x.ids);
        for (let c = 0; c < 3; c++) expect(together[i]![c]).toBeCloseTo(alone[c]!, 6);
      });
      m.dispose();
    });
  }

  test('parameter names are PyTorch’s under encoder. and the config bound counts exactly what is built', () => {
    const configs = [
      { encoder: 'lstm', layers: 2, hidden: 7, bidirectional: true },
      { encoder: 'lstm', layers: 1, hidden: 3, bidirectional: false },
      { encoder: 'gru', layers: 3, hidden: 5, bidirectional: true },
      { encoder: 'cnn', layers: 3, hidden: 6, kernelSize: 4 },
      { encoder: 'cnn', layers: 1, hidden: 24, kernelSize: 2 },
      { encoder: 'transformer', layers: 1, heads: 2 },
    ] as const;
    for (const c of configs) {
      const m = new TextClassifier({ ...small, ...c, numClasses: 4, subwordBuckets: 11 });
      const names = m.namedParameters().map(([n]) => n);
      if (c.encoder === 'lstm' || c.encoder === 'gru') {
        expect(names).toContain('encoder.rnn.weight_ih_l0');
        expect(names).toContain(`encoder.rnn.bias_hh_l${c.layers - 1}`);
        expect(names.includes('encoder.rnn.weight_hh_l0_reverse')).toBe(c.bidirectional);
        const G = c.encoder === 'lstm' ? 4 : 3;
        const w = m.namedParameters().find(([n]) => n === 'encoder.rnn.weight_ih_l0')![1];
        expect(w.shape).toEqual([G * c.hidden, 24]);
      }
      if (c.encoder === 'cnn') {
        const w = m.namedParameters().find(([n]) => n === 'encoder.layer.0.weight')![1];
        expect(w.shape).toEqual([c.hidden, 24, c.kernelSize]);
      }
      if (c.encoder !== 'transformer') {
        // the bound counts the embeddings (+ sub-words) and the encoder, not the head: exactly what is built
        const built = m.namedParameters().reduce((n, [, p]) => n + p.size, 0);
        const rest = built - (m.outputDim * 4 + 4) - VOCAB * 24;
        const vMax = Math.floor((2 ** 30 - rest) / 24);
        const cfg = (vocabSize: number) => ({ ...small, ...c, numClasses: 4, subwordBuckets: 11, vocabSize });
        expect(resolveEncoderConfig('T', cfg(vMax), ['numClasses']).vocabSize).toBe(vMax);
        expect(() => resolveEncoderConfig('T', cfg(vMax + 1), ['numClasses'])).toThrow(
          /at most 1073741824 float32 parameters/,
        );
      }
      m.dispose();
    }
  });

  test('save and load: the same probabilities; resume is bit-identical', async () => {
    for (const encoder of ['gru', 'cnn'] as const) {
      const cfg = { ...small, encoder, numClasses: 2, dropout: 0.1, layers: 2 };
      const data = orderData(3, 200);
      const whole = new TextClassifier(cfg);
      await whole.fit(data, { epochs: 2, batchSize: 16, lr: 3e-3 });
      const ckpts: Uint8Array[] = [];
      const part = new TextClassifier(cfg);
      await part.fit(data, {
        epochs: 2,
        batchSize: 16,
        lr: 3e-3,
        onCheckpoint: (b, info) => {
          if (info.epochEnd) ckpts.push(b);
        },
      });
      const resumed = new TextClassifier(cfg);
      await resumed.fit(data, { epochs: 2, batchSize: 16, lr: 3e-3, resumeFrom: ckpts[0] });
      expect(bits(resumed)).toEqual(bits(whole));
      const back = TextClassifier.fromSafetensors(whole.toSafetensors());
      expect(back.config).toEqual(whole.config);
      expect(back.predict([3, A, 4, B])).toEqual(whole.predict([3, A, 4, B]));
      for (const m of [whole, part, resumed, back]) m.dispose();
    }
  });

  test('typed errors for configs that do not fit the encoder', () => {
    const base = { vocabSize: VOCAB, numClasses: 2 };
    expect(() => new TextClassifier({ ...base, encoder: 'rnn' as never })).toThrow(
      /config\.encoder must be one of 'transformer', 'lstm', 'gru', 'cnn', got "rnn"/,
    );
    expect(() => new TextClassifier({ ...base, encoder: 'lstm', positions: 'rotary' })).toThrow(ArgumentError);
    expect(() => new TextClassifier({ ...base, encoder: 'gru', layers: 0 })).toThrow(/config\.layers must be/);
    expect(() => new TextClassifier({ ...base, encoder: 'cnn', kernelSize: 0 })).toThrow(/config\.kernelSize/);
    expect(() => new TextClassifier({ ...base, encoder: 'lstm', bidirectional: 'yes' as never })).toThrow(
      /config\.bidirectional must be a boolean/,
    );
    expect(() => new TextClassifier({ ...base, encoder: 'lstm', hidden: 2.5 })).toThrow(/config\.hidden/);
    // dim need not be a multiple of heads outside the Transformer
    const m = new TextClassifier({ ...base, encoder: 'cnn', dim: 7 });
    expect(m.outputDim).toBe(7);
    m.dispose();
  });
});

describe('SequenceTagger with recurrent and convolutional encoders', () => {
  for (const encoder of ['lstm', 'gru', 'cnn'] as const) {
    test(`${encoder}: tags from left and right context to >= 97% held-out`, async () => {
      const m = new SequenceTagger({ ...small, encoder, numTags: 3, layers: encoder === 'cnn' ? 2 : 1 });
      await m.fit(contextTags(1, 2000), { epochs: 3, batchSize: 32, lr: 5e-3, warmup: 0.05 });
      expect(m.evaluate(contextTags(2, 300)).accuracy).toBeGreaterThanOrEqual(0.97);
      m.dispose();
    }, 120_000);
  }

  test('a unidirectional LSTM cannot see the right context (accuracy stays below the bidirectional one)', async () => {
    const acc: number[] = [];
    for (const bidirectional of [false, true]) {
      const m = new SequenceTagger({ ...small, encoder: 'lstm', numTags: 3, bidirectional });
      await m.fit(contextTags(1, 2000), { epochs: 3, batchSize: 32, lr: 5e-3, warmup: 0.05 });
      acc.push(m.evaluate(contextTags(2, 300)).accuracy);
      m.dispose();
    }
    expect(acc[1]! - acc[0]!).toBeGreaterThan(0.03);
  }, 120_000);

  test('memory in use is flat over fit and returns to its level after dispose', async () => {
    const before = memoryStats().bytesInUse;
    const m = new SequenceTagger({ ...small, encoder: 'lstm', numTags: 3, layers: 2, dropout: 0.1 });
    await m.fit(contextTags(1, 200), { epochs: 1, batchSize: 16 });
    m.predictBatch(contextTags(2, 20));
    m.dispose();
    expect(memoryStats().bytesInUse).toBe(before);
  });
});
