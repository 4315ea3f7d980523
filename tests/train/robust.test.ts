// Robustness of the training shell: resuming from damaged checkpoints (every field
// read from one is checked: typed errors naming options.resumeFrom, never a raw
// SyntaxError/TypeError, a NaN model or a negative step), unknown options with a
// "did you mean" hint, bertConfig's bounds, learning-rate bounds in every trainer and
// optimizer, and Tensor.fromArray's int32 range.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { nearestKey } from '../../src/core/check.js';
import { ArgumentError, FormatError, WasmNlpError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { decodeCheckpoint, encodeCheckpoint, CHECKPOINT_VERSION, type Checkpoint } from '../../src/io/checkpoint.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { TextClassifier, type ClassificationExample } from '../../src/models/encoder/classifier.js';
import { SequenceTagger } from '../../src/models/encoder/tagger.js';
import { NeuralLM } from '../../src/models/lm/neural-lm.js';
import { KneserNey } from '../../src/models/lm/ngram.js';
import { lmVocab } from '../../src/models/lm/data.js';
import { Word2Vec } from '../../src/models/vectors/word2vec.js';
import { SgnsTrainer } from '../../src/models/vectors/sgns-trainer.js';
import { bertConfig } from '../../src/models/bert/config.js';
import { BertForMaskedLM } from '../../src/models/bert/modeling.js';
import { Adam, AdamW, SGD, type OptimizerStateDict } from '../../src/optim/optimizer.js';
import { LRScheduler, linearWarmupDecay } from '../../src/optim/schedule.js';
import { earlyStopping, reduceLrOnPlateau } from '../../src/train/hooks.js';
import { checkOptionKeys } from '../../src/train/options.js';

beforeAll(async () => {
  await initForTests();
});

const VOCAB = 10;
const CFG = { vocabSize: VOCAB, numClasses: 2, dim: 8, heads: 2, layers: 1, ffn: 16, dropout: 0.1, seed: 3 };
const OPTS = { epochs: 2, batchSize: 4, lr: 3e-3, warmup: 0.2, sortWindow: 1 };

function data(seed: number, n: number): ClassificationExample[] {
  const rng = new Philox(seed, 5);
  return Array.from({ length: n }, () => {
    const len = 2 + rng.nextInt(5);
    const ids = Array.from({ length: len }, () => 1 + rng.nextInt(VOCAB - 1));
    return { ids, label: ids[0]! < ids[len - 1]! ? 1 : 0 };
  });
}

function bitsOf(m: TextClassifier): number[][] {
  return m.namedParameters().map(([, p]) => [...new Uint32Array((p.value.toArray() as Float32Array).buffer)]);
}

/** The message of what `p` rejects with; fails the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** A checkpoint with `edit` applied to its decoded form, re-encoded. */
function damaged(bytes: Uint8Array, edit: (ck: Checkpoint & { optimizer: OptimizerStateDict }) => void): Uint8Array {
  const ck = decodeCheckpoint(bytes) as Checkpoint & { optimizer: OptimizerStateDict };
  edit(ck);
  return encodeCheckpoint({ weights: ck.weights, optimizer: ck.optimizer, meta: ck.meta });
}

type Meta = Record<string, unknown> & { state: Record<string, unknown> };
const meta = (ck: Checkpoint) => ck.meta as Meta;

describe('resume from a damaged checkpoint: typed errors naming resumeFrom, field by field', () => {
  const train = data(1, 22); // 6 steps per epoch
  let mid: Uint8Array; // after step 3 of epoch 1
  let full: number[][];

  beforeAll(async () => {
    const a = new TextClassifier(CFG);
    await a.fit(train, { ...OPTS, checkpointEvery: 3, onCheckpoint: (b, info) => void (info.step === 9 && (mid = b)) });
    full = bitsOf(a);
    a.dispose();
  });

  test('the checkpoint re-encoded unchanged resumes bit-identically (the checks refuse nothing valid)', async () => {
    expect(meta(decodeCheckpoint(mid)).state).toMatchObject({ step: 9, epoch: 1, batch: 3 });
    const b = new TextClassifier(CFG);
    const r = await b.fit(train, { ...OPTS, resumeFrom: damaged(mid, () => {}) });
    expect(r.steps).toBe(12);
    expect(bitsOf(b)).toEqual(full);
    b.dispose();
  });

  const cases: [string, (ck: Checkpoint & { optimizer: OptimizerStateDict }) => void, RegExp][] = [
    ['state.step negative', (ck) => void (meta(ck).state.step = -1), /state\.step must be an integer in \[0, /],
    ['state.step fractional', (ck) => void (meta(ck).state.step = 8.5), /state\.step/],
    ['state.step a string', (ck) => void (meta(ck).state.step = '9'), /state\.step/],
    ['state.step huge', (ck) => void (meta(ck).state.step = 1e20), /state\.step/],
    [
      'state.step off by one',
      (ck) => void (meta(ck).state.step = 10),
      /state\.step must be epoch × 6 \+ batch = 9, got 10/,
    ],
    [
      'state.epoch past the run',
      (ck) => void (meta(ck).state.epoch = 7),
      /state\.epoch must be an integer in \[0, 2\], got 7/,
    ],
    ['state.epoch negative', (ck) => void (meta(ck).state.epoch = -1), /state\.epoch/],
    [
      'state.batch past the epoch',
      (ck) => void (meta(ck).state.batch = 6),
      /state\.batch must be an integer in \[0, 5\]/,
    ],
    [
      'state.lossSum NaN (null)',
      (ck) => void (meta(ck).state.lossSum = null),
      /state\.lossSum must be a finite number/,
    ],
    ['state.lossSum a string', (ck) => void (meta(ck).state.lossSum = 'x'), /state\.lossSum/],
    ['state.lossCount not the batch', (ck) => void (meta(ck).state.lossCount = -1), /state\.lossCount/],
    ['state.shuffleCounter negative', (ck) => void (meta(ck).state.shuffleCounter = -5), /state\.shuffleCounter/],
    [
      'state.shuffleCounter another',
      (ck) => void (meta(ck).state.shuffleCounter = 12345),
      /state\.shuffleCounter must be \d+ \(after 1 epochs\), got 12345/,
    ],
    ['state.epochSeconds negative', (ck) => void (meta(ck).state.epochSeconds = -1), /state\.epochSeconds/],
    ['state.done not a boolean', (ck) => void (meta(ck).state.done = 'no'), /state\.done must be a boolean/],
    ['state.best without a monitor', (ck) => void (meta(ck).state.best = 0.5), /state\.best/],
    [
      'state.history not an array',
      (ck) => void (meta(ck).state.history = null),
      /state\.history must be an array of 1/,
    ],
    [
      'state.history loss NaN',
      (ck) => void ((meta(ck).state.history as { loss: unknown }[])[0]!.loss = null),
      /state\.history\[0\]\.loss must be a finite number/,
    ],
    [
      'state.history accuracy 2',
      (ck) => void ((meta(ck).state.history as { validAccuracy?: unknown }[])[0]!.validAccuracy = 2),
      /validAccuracy/,
    ],
    ['state missing', (ck) => void delete (ck.meta as Partial<Meta>).state, /resumeFrom state must be an object/],
    ['state a number', (ck) => void (meta(ck).state = 5 as never), /resumeFrom state must be an object/],
    ['scheduler missing', (ck) => void delete meta(ck).scheduler, /scheduler\.stepCount/],
    [
      'scheduler.stepCount negative',
      (ck) => void ((meta(ck).scheduler as { stepCount: number }).stepCount = -1),
      /scheduler\.stepCount must be state\.step \(9\), got -1/,
    ],
    [
      'scheduler.baseLrs infinite',
      (ck) => void ((meta(ck).scheduler as { baseLrs: unknown[] }).baseLrs[0] = Infinity),
      /scheduler\.baseLrs/,
    ],
    [
      'scheduler.baseLrs a string',
      (ck) => void ((meta(ck).scheduler as { baseLrs: unknown[] }).baseLrs[0] = 'a'),
      /scheduler\.baseLrs/,
    ],
    ['rng missing', (ck) => void delete meta(ck).rng, /resumeFrom \(rng\) state must be/],
    [
      'rng counter negative',
      (ck) => {
        const rng = meta(ck).rng as Record<string, { counter: number }>;
        rng[Object.keys(rng)[0]!]!.counter = -1;
      },
      /resumeFrom \(rng\)/,
    ],
    ['hooks a number', (ck) => void (meta(ck).hooks = 5), /resumeFrom hooks must be an object/],
    ['fit missing', (ck) => void delete meta(ck).fit, /must equal the checkpoint's undefined/],
    ['optimizer stepCount past the step', (ck) => void (ck.optimizer.stepCount = 50), /stepCount/],
    ['optimizer stepCount negative', (ck) => void (ck.optimizer.stepCount = -1), /FormatError|stepCount/],
    [
      'optimizer lr NaN',
      (ck) => void (ck.optimizer.groups[0]!.lr = NaN),
      /resumeFrom \(optimizer\) state\.groups\[0\]\.lr must be a finite number >= 0/,
    ],
    ['optimizer lr negative', (ck) => void (ck.optimizer.groups[0]!.lr = -1), /state\.groups\[0\]\.lr/],
    ['optimizer betas out of range', (ck) => void (ck.optimizer.groups[0]!.betas = [2, 0.999]), /betas\[0\]/],
    ['optimizer eps negative', (ck) => void (ck.optimizer.groups[0]!.eps = -1), /eps/],
    ['optimizer weightDecay NaN', (ck) => void (ck.optimizer.groups[0]!.weightDecay = NaN), /weightDecay/],
    [
      'optimizer exp_avg_sq NaN',
      (ck) => void (Object.values(ck.optimizer.state)[0]!.exp_avg_sq![0] = NaN),
      /exp_avg_sq must hold finite values >= 0, got NaN at index 0/,
    ],
    [
      'optimizer exp_avg_sq negative',
      (ck) => void (Object.values(ck.optimizer.state)[0]!.exp_avg_sq![1] = -1),
      /exp_avg_sq/,
    ],
    [
      'optimizer exp_avg Infinity',
      (ck) => void (Object.values(ck.optimizer.state)[0]!.exp_avg![0] = Infinity),
      /exp_avg must hold finite values/,
    ],
    [
      'optimizer per-parameter step 0',
      (ck) => void (Object.values(ck.optimizer.state)[0]!.step = 0),
      /step must be an integer in \[1, 9\]/,
    ],
    [
      'a weight NaN',
      (ck) => void ((Object.values(ck.weights).find((w) => w.data.length > 2)!.data as Float32Array)[2] = NaN),
      /resumeFrom weights "[^"]+"\[2\] must be a finite number, got NaN/,
    ],
    [
      'a weight missing',
      (ck) => void delete ck.weights[Object.keys(ck.weights)[0]!],
      /resumeFrom weights must be the model's parameters, got none named "/,
    ],
    [
      'an unexpected weight',
      (ck) => void (ck.weights.extra = { dtype: 'F32', stored: 'F32', shape: [1], data: new Float32Array(1) }),
      /unexpected "extra"/,
    ],
    [
      'a weight of another shape',
      (ck) => {
        const [k, t] = Object.entries(ck.weights).find(([, w]) => w.shape.length === 2)!;
        ck.weights[k] = { ...t, shape: [t.data.length] };
      },
      /must be F32 of shape/,
    ],
  ];
  for (const [name, edit, re] of cases) {
    test(name, async () => {
      const m = new TextClassifier(CFG);
      const e = await rejection(m.fit(train, { ...OPTS, resumeFrom: damaged(mid, edit) }));
      expect(e).toBeInstanceOf(WasmNlpError);
      expect(e.message).toMatch(/^TextClassifier\.fit: |^decodeCheckpoint: /);
      expect(e.message).toMatch(re);
      m.dispose();
    });
  }

  test('metadata that is not JSON, or an optimizer entry of the wrong shape: FormatError', async () => {
    const ck = decodeCheckpoint(mid);
    const tensors = Object.fromEntries(
      Object.entries(ck.weights).map(([k, t]) => [k, { shape: t.shape, data: t.data }]),
    );
    const bad = (metadata: Record<string, string>) =>
      encodeSafetensors(tensors, { checkpoint: CHECKPOINT_VERSION, ...metadata });
    for (const md of <Record<string, string>[]>[
      { state: '{"step": 9,' },
      { optimizer: '{' },
      { optimizer: '[]' },
      { optimizer: JSON.stringify({ type: 'Adagrad', stepCount: 1, groups: [], steps: {} }) },
      { optimizer: JSON.stringify({ type: 'AdamW', stepCount: -1, groups: [], steps: {} }) },
      { optimizer: JSON.stringify({ type: 'AdamW', stepCount: 1.5, groups: [], steps: {} }) },
      { optimizer: JSON.stringify({ type: 'AdamW', stepCount: 2, groups: [null], steps: {} }) },
      { optimizer: JSON.stringify({ type: 'AdamW', stepCount: 2, groups: [], steps: { a: 3 } }) },
      { optimizer: JSON.stringify({ type: 'AdamW', stepCount: 2, groups: [], steps: { a: -1 } }) },
    ]) {
      const m = new TextClassifier(CFG);
      const e = await rejection(m.fit(train, { ...OPTS, resumeFrom: bad(md) }));
      expect(e, JSON.stringify(md)).toBeInstanceOf(FormatError);
      m.dispose();
    }
  });

  test('a "__proto__" metadata key is data, not a prototype', () => {
    const ck = decodeCheckpoint(
      encodeSafetensors(
        { w: { shape: [1], data: new Float32Array(1) } },
        {
          checkpoint: CHECKPOINT_VERSION,
          ['__proto__']: '{"polluted": 1}',
        },
      ),
    );
    expect(Object.getPrototypeOf(ck.meta)).toBe(Object.prototype);
    expect((ck.meta as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(ck.meta, '__proto__')).toBe(true);
  });

  test('random byte flips: a typed error or a finite model, never a TypeError / SyntaxError / RangeError', async () => {
    const rng = new Philox(11, 1);
    const headerLen = Number(new DataView(mid.buffer, mid.byteOffset).getBigUint64(0, true));
    for (let k = 0; k < 24; k++) {
      const b = mid.slice();
      // mostly in the JSON header (the metadata), some in the data
      const at = k % 4 === 3 ? 8 + headerLen + rng.nextInt(b.length - 8 - headerLen) : 8 + rng.nextInt(headerLen);
      b[at] = b[at]! ^ (1 << rng.nextInt(8));
      const m = new TextClassifier(CFG);
      try {
        const r = await m.fit(train, { ...OPTS, resumeFrom: b });
        expect(r.steps).toBeGreaterThanOrEqual(0);
        // a flip in the header that still parses changed no number: the model stays finite
        if (at < 8 + headerLen)
          for (const [, p] of m.namedParameters())
            expect((p.value.toArray() as Float32Array).every(Number.isFinite)).toBe(true);
      } catch (e) {
        expect(e, `flip at ${at}: ${String(e)}`).toBeInstanceOf(WasmNlpError);
      } finally {
        m.dispose();
      }
    }
  });

  test('SequenceTagger: a damaged step is refused too', async () => {
    const tcfg = { vocabSize: VOCAB, numTags: 3, dim: 8, heads: 2, layers: 1, ffn: 16, seed: 2 };
    const tdata = data(2, 10).map((e) => ({ ids: e.ids, tags: Array.from(e.ids, (t) => t % 3) }));
    let ck: Uint8Array | undefined;
    const a = new SequenceTagger(tcfg);
    await a.fit(tdata, { epochs: 1, batchSize: 4, onCheckpoint: (b) => void (ck = b) });
    a.dispose();
    const m = new SequenceTagger(tcfg);
    const e = await rejection(
      m.fit(tdata, { epochs: 1, batchSize: 4, resumeFrom: damaged(ck!, (c) => void (meta(c).state.step = -3)) }),
    );
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/SequenceTagger\.fit: options\.resumeFrom state\.step/);
    m.dispose();
  });

  test('NeuralLM (plateau hooks): damaged hook states are refused', async () => {
    const stream = Int32Array.from({ length: 60 }, (_, i) => [2, 3, 4, 5, 2, 6, 7][i % 7]!);
    const valid = stream.subarray(0, 20);
    const lcfg = { vocabSize: 8, context: 2, embeddingDim: 3, hidden: 4 };
    const opts = { epochs: 2, batchSize: 16, valid };
    let ck: Uint8Array | undefined;
    const a = new NeuralLM(lcfg);
    await a.fit(stream, { ...opts, onCheckpoint: (b, info) => void (info.epoch === 1 && (ck = b)) });
    a.dispose();
    const hooks = (v: unknown) => damaged(ck!, (c) => void (meta(c).hooks = v));
    const saved = meta(decodeCheckpoint(ck!)).hooks as Record<string, unknown>;
    for (const [bytes, re] of [
      [hooks({ ...saved, reduceLrOnPlateau: { lr: -1, bad: 0 } }), /hook reduceLrOnPlateau\) state\.lr/],
      [hooks({ ...saved, reduceLrOnPlateau: { lr: 1e-3, bad: -1 } }), /hook reduceLrOnPlateau\) state\.bad/],
      [
        hooks({ ...saved, earlyStopping: { bad: 99 } }),
        /hook earlyStopping\) state\.bad must be an integer in \[0, 2\]/,
      ],
      [hooks({ ...saved, earlyStopping: null }), /hook earlyStopping\) state must be/],
      [damaged(ck!, (c) => void (meta(c).state.best = 'x')), /state\.best must be a finite number/],
      [damaged(ck!, (c) => void (meta(c).state.bestEpoch = 5)), /state\.bestEpoch must be an integer in \[1, 1\]/],
      [
        damaged(ck!, (c) => void ((meta(c).state.history as { validPerplexity?: unknown }[])[0]!.validPerplexity = -2)),
        /validPerplexity/,
      ],
    ] as const) {
      const m = new NeuralLM(lcfg);
      const e = await rejection(m.fit(stream, { ...opts, resumeFrom: bytes }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(/^NeuralLM\.fit: options\.resumeFrom /);
      expect(e.message).toMatch(re);
      m.dispose();
    }
    // the valid checkpoint still resumes
    const m = new NeuralLM(lcfg);
    const r = await m.fit(stream, { ...opts, resumeFrom: ck });
    expect(r.epochs).toBe(2);
    m.dispose();
  });
});

describe('unknown options: ArgumentError naming the key and the nearest known one', () => {
  test('nearestKey: case, separators and small edit distances; nothing for far keys', () => {
    const keys = ['wordNgrams', 'dim', 'minCount', 'weightDecay', 'epochs', 'lr'];
    expect(nearestKey('wordNgram', keys)).toBe('wordNgrams');
    expect(nearestKey('weight_decay', keys)).toBe('weightDecay');
    expect(nearestKey('MINCOUNT', keys)).toBe('minCount');
    expect(nearestKey('epoch', keys)).toBe('epochs');
    expect(nearestKey('dimm', keys)).toBe('dim');
    expect(nearestKey('lf', keys)).toBeUndefined(); // 2 characters: only a case / separator match
    expect(nearestKey('banana', keys)).toBeUndefined();
  });

  test('checkOptionKeys: the message keeps the allowed keys and adds the hint', () => {
    expect(() => checkOptionKeys('f', { wordNgram: 2 }, ['wordNgrams', 'dim'])).toThrow(
      "f: options.wordNgram is not an option: options must have only the keys wordNgrams, dim, got 'wordNgram'; did you mean 'wordNgrams'?",
    );
    expect(() => checkOptionKeys('f', { zzz: 2 }, ['wordNgrams', 'dim'])).toThrow(/got 'zzz'$/);
    expect(() => checkOptionKeys('f', [], ['a'])).toThrow(/f: options must be an object, got an array of 0/);
  });

  test('Word2Vec: the constructor, train and trainIds reject unknown options', async () => {
    expect(() => new Word2Vec({ dimm: 10 } as never)).toThrow(
      /Word2Vec: options\.dimm is not an option.*did you mean 'dim'\?/,
    );
    expect(() => new Word2Vec({ min_count: 1 } as never)).toThrow(/did you mean 'minCount'\?/);
    expect(() => new Word2Vec({ wordNgrams: 2 } as never)).toThrow(ArgumentError);
    const w = new Word2Vec({ dim: 4, minCount: 1, epochs: 1 });
    await expect(w.train('a b c\n', { thread: 2 } as never)).rejects.toThrow(
      /Word2Vec\.train: .*did you mean 'threads'\?/,
    );
    await expect(
      w.trainIds(Int32Array.of(0, 1), { words: ['a', 'b'], counts: [1, 1], eosId: -1 }, {
        onprogress: () => {},
      } as never),
    ).rejects.toThrow(/Word2Vec\.trainIds: .*did you mean 'onProgress'\?/);
  });

  test('SgnsTrainer rejects an unknown option', () => {
    const win = Tensor.zeros([2, 4]),
      wout = Tensor.zeros([2, 4]);
    try {
      const base = {
        window: 2,
        negative: 1,
        model: 'skipgram',
        loss: 'ns',
        sample: 0,
        lr: 0.025,
        totalWords: 10,
        seed: 1,
        eosId: -1,
        counts: [1, 1],
      } as const;
      expect(() => new SgnsTrainer(win, wout, { ...base, negatives: 3 } as never)).toThrow(/did you mean 'negative'\?/);
    } finally {
      win.dispose();
      wout.dispose();
    }
  });

  test('TextClassifier, SequenceTagger and BERT fit reject typos with the hint', async () => {
    const m = new TextClassifier(CFG);
    await expect(m.fit(data(1, 4), { batchsize: 2 } as never)).rejects.toThrow(
      /TextClassifier\.fit: .*did you mean 'batchSize'\?/,
    );
    m.dispose();
    const t = new SequenceTagger({ vocabSize: VOCAB, numTags: 2, dim: 8, heads: 2, layers: 1 });
    await expect(t.fit([{ ids: [1], tags: [0] }], { epoch: 1 } as never)).rejects.toThrow(/did you mean 'epochs'\?/);
    t.dispose();
    const b = new BertForMaskedLM({
      vocabSize: 12,
      hiddenSize: 8,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 16,
      maxPositionEmbeddings: 16,
    });
    const ex = [{ ids: [5, 6, 7, 8] }];
    await expect(b.fit(ex, { maskin: { maskId: 3 } } as never)).rejects.toThrow(/did you mean 'masking'\?/);
    await expect(b.fit(ex, { masking: { maskId: 3, probabilty: 0.2 } } as never)).rejects.toThrow(
      /options\.masking must have only .* got 'probabilty'; did you mean 'probability'\?/,
    );
    expect(() => b.evaluate(ex, { masking: { maskId: 3 }, sed: 1 } as never)).toThrow(/did you mean 'seed'\?/);
    b.dispose();
  });

  test('optimizers: a misspelt option names the right one', () => {
    const p = new Parameter(Tensor.zeros([2]));
    expect(() => new AdamW([p], { weight_decay: 0.1 } as never)).toThrow(
      /got "weight_decay"; did you mean 'weightDecay'\?/,
    );
    expect(() => new SGD([p], { momentun: 0.9 } as never)).toThrow(/did you mean 'momentum'\?/);
    p.value.dispose();
  });
});

describe('bertConfig: every numeric field bounded', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ initializer_range: 1e308 }, /config\.initializer_range must be a finite number > 0 and <= 1, got 1e\+308/],
    [{ initializer_range: 0 }, /initializer_range/],
    [{ initializer_range: 1.5 }, /initializer_range/],
    [{ layer_norm_eps: 1 }, /config\.layer_norm_eps must be a finite number > 0 and < 1, got 1/],
    [{ layer_norm_eps: 0 }, /layer_norm_eps/],
    [{ hidden_dropout_prob: 1 }, /hidden_dropout_prob must be a number in \[0, 1\)/],
    [{ attention_probs_dropout_prob: -0.1 }, /attention_probs_dropout_prob/],
    [{ classifier_dropout: 1 }, /classifier_dropout/],
    [{ hidden_size: 10, num_attention_heads: 4 }, /hidden_size must be a multiple of num_attention_heads/],
    [{ hidden_size: 0 }, /hidden_size/],
    [{ vocab_size: 1e9 }, /config must describe at most 1073741824 float32 parameters .*vocab_size 1000000000/],
    [{ max_position_embeddings: 4e8 }, /at most 1073741824 float32 parameters/],
    [{ intermediate_size: 1e7, num_hidden_layers: 24 }, /at most 1073741824 float32 parameters/],
    [{ num_hidden_layers: 1e6 }, /at most 1073741824 float32 parameters/],
    [{ vocab_size: 2.5 }, /vocab_size must be an integer/],
    [{ num_labels: 2, id2label: { 0: 'a', 5: 'b' } }, /id2label keys must be label indices in \[0, 2\)/],
    [{ id2label: { x: 'a' } }, /id2label keys/],
    [{ hidden_act: 'relu' }, /hidden_act/],
  ];
  for (const [cfg, re] of bad) {
    test(JSON.stringify(cfg), () => {
      expect(() => bertConfig(cfg)).toThrow(ArgumentError);
      expect(() => bertConfig(cfg)).toThrow(re);
    });
  }
  test('camelCase names in the messages of a camelCase config', () => {
    expect(() => bertConfig({ initializerRange: Infinity })).toThrow(/config\.initializerRange must be/);
  });
  test('bert-base and bert-large sizes, and the bounds themselves, are accepted', () => {
    expect(bertConfig({}).vocabSize).toBe(30522);
    const large = bertConfig({
      hidden_size: 1024,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      intermediate_size: 4096,
      initializer_range: 1,
      layer_norm_eps: 0.5,
      id2label: { 0: 'NEG', 1: 'POS' },
    });
    expect([large.hiddenSize, large.initializerRange, large.numLabels]).toEqual([1024, 1, 2]);
  });
});

describe('learning rates: not finite, <= 0 or above 1e4 are ArgumentErrors', () => {
  const BAD = [NaN, 0, -1, Infinity, -Infinity, 1e5];
  test('Word2Vec', () => {
    for (const lr of BAD)
      expect(() => new Word2Vec({ lr }), String(lr)).toThrow(/Word2Vec: lr must be a finite number > 0/);
    expect(new Word2Vec({ lr: 1e4 }).options.lr).toBe(1e4);
  });
  test('TextClassifier.fit and NeuralLM.fit', async () => {
    const m = new TextClassifier(CFG);
    for (const lr of BAD)
      await expect(m.fit(data(1, 4), { lr }), String(lr)).rejects.toThrow(
        /TextClassifier\.fit: options\.lr must be a finite number > 0/,
      );
    m.dispose();
    const lm = new NeuralLM({ vocabSize: 8, context: 2, embeddingDim: 3, hidden: 4 });
    const stream = Int32Array.from({ length: 60 }, (_, i) => [2, 3, 4, 5, 2, 6, 7][i % 7]!);
    await expect(lm.fit(stream, { lr: 1e5 })).rejects.toThrow(
      /NeuralLM\.fit: options\.lr must be a finite number > 0 and at most 10000, got 100000/,
    );
    lm.dispose();
  });
  test('SGD, Adam, AdamW: the constructor, parameter groups, and betas / eps / weightDecay', () => {
    const p = new Parameter(Tensor.zeros([3]));
    for (const lr of BAD) {
      for (const make of [
        () => new SGD([p], { lr }),
        () => new Adam([p], { lr }),
        () => new AdamW([{ params: [p], lr }]),
      ])
        expect(make, String(lr)).toThrow(ArgumentError);
    }
    expect(() => new Adam([p], { betas: [1, 0.9] })).toThrow(/betas\[0\] must be a finite number in \[0, 1\)/);
    expect(() => new Adam([p], { betas: [0.9, -0.1] })).toThrow(/betas\[1\]/);
    expect(() => new Adam([p], { eps: -1 })).toThrow(/eps/);
    expect(() => new AdamW([p], { weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => new SGD([p], { momentum: NaN })).toThrow(/momentum/);
    // a schedule may still set lr to 0 between steps (warm-up from 0)
    const opt = new AdamW([p], { lr: 0.1 });
    const sched = new LRScheduler(opt, linearWarmupDecay({ warmupSteps: 2, totalSteps: 4 }));
    expect(opt.paramGroups[0]!.lr).toBe(0);
    p.grad = Tensor.zeros([3]) as Tensor<'float32'>;
    expect(() => opt.step()).not.toThrow();
    opt.paramGroups[0]!.lr = 1e5;
    expect(() => opt.step()).toThrow(
      /AdamW\.step: paramGroups\[0\]\.lr must be a finite number >= 0 and at most 10000/,
    );
    sched.optimizer.dispose();
    p.grad?.dispose();
    p.value.dispose();
  });
  test('loadStateDict: NaN moments, a step past stepCount, infinite scheduler base rates', () => {
    const p = new Parameter(Tensor.zeros([3]));
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = Tensor.fromArray([1, 2, 3]) as Tensor<'float32'>;
    opt.step();
    const sd = opt.stateDict();
    const withState = (edit: (s: OptimizerStateDict) => void) => {
      const c = structuredClone(sd);
      edit(c);
      return c;
    };
    expect(() => opt.loadStateDict(withState((s) => void (s.state['0']!.exp_avg_sq![0] = NaN)))).toThrow(
      /exp_avg_sq must hold finite values >= 0, got NaN at index 0/,
    );
    expect(() => opt.loadStateDict(withState((s) => void (s.state['0']!.step = 2)))).toThrow(
      /step must be an integer in \[1, 1\]/,
    );
    expect(() => opt.loadStateDict(withState((s) => void (s.groups[0]!.lr = Infinity)))).toThrow(/lr/);
    const sched = new LRScheduler(opt, () => 1);
    expect(() => sched.loadStateDict({ stepCount: 1, baseLrs: [Infinity] })).toThrow(
      /baseLrs must be 1 finite numbers in \[0, 10000\]/,
    );
    opt.loadStateDict(sd); // the valid one still loads
    opt.dispose();
    p.grad?.dispose();
    p.value.dispose();
  });
  test('hooks: bad options and bad saved states', () => {
    expect(() => reduceLrOnPlateau({ factor: 2 })).toThrow(
      /reduceLrOnPlateau: options\.factor must be a number in \(0, 1\]/,
    );
    expect(() => reduceLrOnPlateau({ factor: 0.5, patient: 1 } as never)).toThrow(/did you mean 'patience'\?/);
    expect(() => earlyStopping({ patience: 0 })).toThrow(/earlyStopping: options\.patience/);
  });
});

describe('Tensor.fromArray int32: only integers in the int32 range', () => {
  test('1e10, NaN, 2.5, 2^31, -2^31 - 1, Infinity, a string: ArgumentError naming the index and value', () => {
    for (const [v, shown] of [
      [1e10, '10000000000'],
      [NaN, 'NaN'],
      [2.5, '2.5'],
      [2 ** 31, '2147483648'],
      [-(2 ** 31) - 1, '-2147483649'],
      [Infinity, 'Infinity'],
      ['3', '"3"'],
    ] as const) {
      expect(() => Tensor.fromArray([0, 1, v as number], [3], 'int32')).toThrow(ArgumentError);
      expect(() => Tensor.fromArray([0, 1, v as number], [3], 'int32')).toThrow(
        `Tensor.fromArray: data[2] must be an integer in [-2^31, 2^31) for dtype int32, got ${shown}`,
      );
    }
    expect(() => Tensor.fromArray(Float32Array.of(1, 2.5), [2], 'int32')).toThrow(/data\[1\]/);
    expect(() => Tensor.fromArray(null as never)).toThrow(/data must be an array or a typed array/);
  });
  test('the int32 range, -0 and typed integer arrays are accepted; float32 keeps NaN', () => {
    const t = Tensor.fromArray([-(2 ** 31), 2 ** 31 - 1, -0, 7], [4], 'int32');
    expect([...t.toArray()]).toEqual([-(2 ** 31), 2 ** 31 - 1, 0, 7]);
    t.dispose();
    const u = Tensor.fromArray(Uint8Array.of(255, 0), [2], 'int32');
    expect([...u.toArray()]).toEqual([255, 0]);
    u.dispose();
    const f = Tensor.fromArray([NaN, 1e10]);
    expect(Number.isNaN(f.toArray()[0])).toBe(true);
    f.dispose();
  });
});

describe('language-model helpers reject unknown options', () => {
  test('KneserNey.fit and lmVocab', () => {
    expect(() => KneserNey.fit([0, 1, 2], { order: 2, vocabSize: 3, boss: 0 } as never)).toThrow(
      /KneserNey\.fit: options must have only the keys order, vocabSize, bos, got 'boss'; did you mean 'bos'\?/,
    );
    expect(() => lmVocab([['a']], { mincount: 1 } as never)).toThrow(/did you mean 'minCount'\?/);
  });
});
