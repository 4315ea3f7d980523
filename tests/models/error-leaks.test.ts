// A load or a constructor that throws frees what it allocated: for every
// from*/constructor path of the models and nn modules, valid weights are made,
// one tensor late in the order is corrupted (wrong shape, missing key, wrong
// dtype, a vocabulary that does not match), or the memory limit is hit half-way
// through a constructor or its initialisation; the typed error is checked and
// the heap's bytes in use and live blocks are the same before and after, also
// after the failing call is repeated 50 times. No fs: runs in Node and Chromium.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { memoryStats } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';
import { ArgumentError, DTypeError, FormatError, OutOfMemoryError, ShapeError } from '../../src/core/errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from '../../src/io/safetensors.js';
import { StateDictError } from '../../src/nn/module.js';
import { Embedding, FeedForward, LayerNorm, Linear } from '../../src/nn/layers.js';
import { MultiHeadAttention } from '../../src/nn/attention.js';
import { TransformerEmbeddings, TransformerEncoder, TransformerEncoderLayer } from '../../src/nn/transformer.js';
import {
  BertForMaskedLM,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
} from '../../src/models/bert/index.js';
import { NeuralLM } from '../../src/models/lm/neural-lm.js';
import { TextClassifier } from '../../src/models/encoder/classifier.js';
import { SequenceTagger } from '../../src/models/encoder/tagger.js';
import { WordPiece } from '../../src/text/wordpiece.js';
import { pipeline } from '../../src/pipelines.js';

const MiB = 2 ** 20;
/** A small memory limit, so a constructor of a moderately large model runs out of memory half-way. */
const LIMIT = 24 * MiB;

beforeAll(async () => {
  await initForTests({ maxMemory: LIMIT });
  // the first GEMM allocates the runtime's workspace, kept for the process: allocate it before any measurement
  const a = Tensor.zeros([2, 2]);
  matmul(a, a).dispose();
  a.dispose();
});

type ErrorClass = new (...args: never[]) => Error;

function heap(): { bytesInUse: number; blocks: number } {
  const s = memoryStats();
  return { bytesInUse: s.bytesInUse, blocks: s.blocks };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, got none');
}

/** `fn` throws `type` (with `message`), and the heap is as before, also after 50 more failing calls. */
function expectNoLeak(fn: () => unknown, type: ErrorClass, message?: RegExp): void {
  const before = heap();
  const e = thrown(fn);
  expect(e).toBeInstanceOf(type);
  if (message !== undefined) expect((e as Error).message).toMatch(message);
  expect(heap()).toEqual(before);
  for (let i = 0; i < 50; i++) expect(thrown(fn)).toBeInstanceOf(type);
  expect(heap()).toEqual(before);
}

async function expectNoLeakAsync(fn: () => Promise<unknown>, type: ErrorClass, message?: RegExp): Promise<void> {
  const before = heap();
  const e = await fn().then(
    () => new Error('expected a rejection, got none'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(type);
  if (message !== undefined) expect((e as Error).message).toMatch(message);
  expect(heap()).toEqual(before);
  for (let i = 0; i < 50; i++) await expect(fn()).rejects.toBeInstanceOf(type);
  expect(heap()).toEqual(before);
}

type Dict = Record<string, SafetensorsInput>;

/** The safetensors bytes with `edit` applied to the decoded tensors (metadata kept, or `meta`). */
function edited(bytes: Uint8Array, edit: (t: Dict) => void, meta?: (m: Record<string, string>) => void): Uint8Array {
  const st = decodeSafetensors(bytes);
  const t: Dict = { ...st.tensors };
  edit(t);
  const m = { ...st.metadata };
  meta?.(m);
  return encodeSafetensors(t, m);
}

/** The last key of the file in the module's parameter order that passes `pick`. */
function lastKey(names: string[], pick: (k: string) => boolean = () => true): string {
  const k = names.filter(pick).at(-1);
  if (k === undefined) throw new Error('no such key');
  return k;
}

const wrongShape = (t: Dict, k: string) => {
  const shape = [...(t[k] as { shape: readonly number[] }).shape];
  shape[0] = shape[0]! + 1;
  t[k] = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
};
const wrongDType = (t: Dict, k: string) => {
  const { shape } = t[k] as { shape: readonly number[] };
  t[k] = { shape, data: new Int32Array(shape.reduce((a, b) => a * b, 1)) };
};

const BERT = {
  vocabSize: 40,
  hiddenSize: 8,
  numHiddenLayers: 3,
  numAttentionHeads: 2,
  intermediateSize: 12,
  maxPositionEmbeddings: 16,
  numLabels: 3,
};
/** Large enough that the constructor runs out of memory under LIMIT after some layers. */
const BERT_BIG = { ...BERT, hiddenSize: 256, intermediateSize: 1024, numHiddenLayers: 40 };

const HEADS = [
  ['BertModel', (c: object) => new BertModel(c), BertModel.fromPretrained],
  ['BertForMaskedLM', (c: object) => new BertForMaskedLM(c), BertForMaskedLM.fromPretrained],
  [
    'BertForSequenceClassification',
    (c: object) => new BertForSequenceClassification(c),
    BertForSequenceClassification.fromPretrained,
  ],
  [
    'BertForTokenClassification',
    (c: object) => new BertForTokenClassification(c),
    BertForTokenClassification.fromPretrained,
  ],
] as const;

describe('BERT: a failing fromPretrained or constructor frees its parameters', () => {
  for (const [name, make, load] of HEADS) {
    describe(name, () => {
      let files: { config: string; weights: Uint8Array; names: string[] };
      beforeAll(() => {
        const m = make(BERT);
        const out = m.toPretrained();
        files = { config: out['config.json'], weights: out['model.safetensors'], names: Object.keys(m.stateDict()) };
        m.dispose();
      });
      const lastLayer = (k: string) => k.includes(`layer.${BERT.numHiddenLayers - 1}.`);

      test('valid weights load, and disposing the model frees everything', () => {
        const before = heap();
        load({ config: files.config, weights: files.weights }).dispose();
        expect(heap()).toEqual(before);
      });

      test('a wrong shape in the last tensor: ShapeError', () => {
        const k = lastKey(files.names);
        const weights = edited(files.weights, (t) => wrongShape(t, k));
        expectNoLeak(() => load({ config: files.config, weights }), ShapeError, new RegExp(k.replace(/\./g, '\\.')));
      });

      test('a wrong shape in the last layer: ShapeError', () => {
        const k = lastKey(files.names, lastLayer);
        const weights = edited(files.weights, (t) => wrongShape(t, k));
        expectNoLeak(() => load({ config: files.config, weights }), ShapeError);
      });

      test('a missing key of the last layer, strict: StateDictError', () => {
        const k = lastKey(files.names, lastLayer);
        const weights = edited(files.weights, (t) => delete t[k]);
        expectNoLeak(() => load({ config: files.config, weights, strict: true }), StateDictError, /missing keys/);
      });

      test('int32 data for a late tensor: DTypeError', () => {
        const k = lastKey(files.names, lastLayer);
        const weights = edited(files.weights, (t) => wrongDType(t, k));
        expectNoLeak(() => load({ config: files.config, weights }), DTypeError);
      });

      test('a vocabulary larger than vocab_size: ArgumentError', () => {
        const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
        const vocab = [...special, ...Array.from({ length: BERT.vocabSize + 1 - 5 }, (_, i) => `w${i}`)].join('\n');
        expectNoLeak(() => load({ config: files.config, weights: files.weights, vocab }), ArgumentError, /vocab_size/);
      });

      test('out of memory half-way through the constructor: OutOfMemoryError', () => {
        expectNoLeak(() => make(BERT_BIG), OutOfMemoryError);
      });
    });
  }

  test('out of memory while initialising (the parameters fit, a temporary does not), over a sweep of sizes', () => {
    const before = heap();
    let ok = 0,
      inInit = 0,
      oom = 0;
    // word_embeddings [V, 64] is the largest parameter: its N(0, σ²) temporary needs as much again
    for (let mib = 4; mib <= 26; mib += 0.5) {
      const V = Math.floor((mib * MiB) / (64 * 4));
      try {
        new BertForMaskedLM({
          ...BERT,
          vocabSize: V,
          hiddenSize: 64,
          intermediateSize: 64,
          numHiddenLayers: 1,
        }).dispose();
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(OutOfMemoryError);
        oom++;
        if (String((e as Error).stack).includes('resetParameters')) inInit++;
      }
      expect(heap()).toEqual(before);
    }
    expect(ok).toBeGreaterThan(0);
    expect(oom).toBeGreaterThan(0);
    expect(inInit).toBeGreaterThan(0);
  });

  test('fromPretrained whose config runs out of memory: OutOfMemoryError, nothing kept', () => {
    const m = new BertModel(BERT);
    const weights = m.toPretrained()['model.safetensors'];
    m.dispose();
    expectNoLeak(() => BertModel.fromPretrained({ config: BERT_BIG, weights }), OutOfMemoryError);
  });
});

describe('nn modules: a constructor failing half-way frees what it built', () => {
  test('TransformerEncoder with a bad layerNormEps (the attention of layer 0 is built first)', () => {
    expectNoLeak(
      () => new TransformerEncoder({ layers: 2, dim: 8, heads: 2, layerNormEps: -1 }),
      ArgumentError,
      /eps must be/,
    );
  });
  test('TransformerEncoderLayer with a bad layerNormEps', () => {
    expectNoLeak(() => new TransformerEncoderLayer({ dim: 8, heads: 2, layerNormEps: NaN }), ArgumentError);
  });
  test('TransformerEmbeddings with a bad layerNormEps (three tables built first)', () => {
    expectNoLeak(
      () => new TransformerEmbeddings(30, 8, { typeVocabSize: 2, layerNorm: true, layerNormEps: -1 }),
      ArgumentError,
    );
  });
  test('a bad seed, checked by the initialisation after the parameters exist', () => {
    const cases: [string, () => unknown][] = [
      ['Linear', () => new Linear(4, 3, { seed: -1 })],
      ['Embedding', () => new Embedding(5, 3, { seed: 1.5 })],
      ['LayerNorm', () => new LayerNorm(4, { seed: -2 })],
      ['FeedForward', () => new FeedForward(4, 8, { seed: -1 })],
      ['MultiHeadAttention', () => new MultiHeadAttention(8, 2, { seed: -1 })],
      ['TransformerEncoderLayer', () => new TransformerEncoderLayer({ dim: 8, heads: 2, seed: -1 })],
      ['TransformerEncoder', () => new TransformerEncoder({ layers: 2, dim: 8, heads: 2, seed: -1 })],
      ['TransformerEmbeddings', () => new TransformerEmbeddings(30, 8, { seed: -1 })],
      ['BertModel', () => new BertModel(BERT, { seed: -1 })],
      ['BertForMaskedLM', () => new BertForMaskedLM(BERT, { seed: -1 })],
      ['BertForSequenceClassification', () => new BertForSequenceClassification(BERT, { seed: -1 })],
      ['BertForTokenClassification', () => new BertForTokenClassification(BERT, { seed: -1 })],
    ];
    for (const [name, fn] of cases) {
      try {
        expectNoLeak(fn, ArgumentError, /seed/);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
      }
    }
  });
  test('out of memory half-way: Linear, Embedding, TransformerEncoder', () => {
    expectNoLeak(() => new Linear(2048, 2048), OutOfMemoryError); // weight 16 MiB, then its U(±b) temporary
    expectNoLeak(() => new Embedding(4096, 1024), OutOfMemoryError);
    expectNoLeak(() => new TransformerEncoder({ layers: 30, dim: 256, heads: 4 }), OutOfMemoryError);
  });
});

describe('NeuralLM: a failing fromSafetensors or constructor frees its weights', () => {
  const WORDS = ['<unk>', '<s>', 'the', 'cat', 'sat', 'on', 'mat', '.'];
  const CFG = { vocabSize: WORDS.length, context: 2, embeddingDim: 3, hidden: 4, direct: true };
  let bytes: Uint8Array;
  let names: string[];
  beforeAll(() => {
    const m = new NeuralLM(CFG, WORDS);
    bytes = m.toSafetensors();
    names = Object.keys(m.stateDict());
    m.dispose();
  });

  test('valid bytes load, and disposing frees everything', () => {
    const before = heap();
    const m = NeuralLM.fromSafetensors(bytes);
    expect(m.vocab).toEqual(WORDS);
    m.dispose();
    expect(heap()).toEqual(before);
  });
  test('a vocabulary of the wrong length: FormatError naming the metadata', () => {
    const b = edited(
      bytes,
      () => {},
      (m) => (m['wasm-nlp.vocab'] = JSON.stringify(WORDS.slice(1))),
    );
    expectNoLeak(() => NeuralLM.fromSafetensors(b), FormatError, /"wasm-nlp\.vocab".*got 7 words/);
  });
  test('a vocabulary that repeats a word or is not strings: FormatError', () => {
    const dup = edited(
      bytes,
      () => {},
      (m) => (m['wasm-nlp.vocab'] = JSON.stringify([...WORDS.slice(0, -1), 'the'])),
    );
    expectNoLeak(() => NeuralLM.fromSafetensors(dup), FormatError, /repeat a word/);
    const num = edited(
      bytes,
      () => {},
      (m) => (m['wasm-nlp.vocab'] = JSON.stringify([...WORDS.slice(0, -1), 7])),
    );
    expectNoLeak(() => NeuralLM.fromSafetensors(num), FormatError, /vocab\[7\] must be a string/);
    const obj = edited(
      bytes,
      () => {},
      (m) => (m['wasm-nlp.vocab'] = '{"a": 1}'),
    );
    expectNoLeak(() => NeuralLM.fromSafetensors(obj), FormatError);
  });
  test('a wrong shape, a missing key, int32 data in the last tensor', () => {
    const k = lastKey(names);
    expectNoLeak(() => NeuralLM.fromSafetensors(edited(bytes, (t) => wrongShape(t, k))), ShapeError);
    expectNoLeak(() => NeuralLM.fromSafetensors(edited(bytes, (t) => delete t[k])), StateDictError);
    expectNoLeak(() => NeuralLM.fromSafetensors(edited(bytes, (t) => wrongDType(t, k))), DTypeError);
  });
  test('the constructor with a bad vocabulary: ArgumentError', () => {
    expectNoLeak(() => new NeuralLM(CFG, WORDS.slice(2)), ArgumentError, /NeuralLM: vocab must be an array of 8/);
    expectNoLeak(() => new NeuralLM(CFG, [...WORDS.slice(0, -1), 'cat']), ArgumentError, /repeat/);
  });
  test('out of memory half-way through the constructor or its initialisation', () => {
    const before = heap();
    let oom = 0;
    for (let mib = 2; mib <= 14; mib += 1) {
      const V = Math.floor((mib * MiB) / (64 * 4));
      try {
        new NeuralLM({ vocabSize: V, context: 2, embeddingDim: 64, hidden: 64, direct: true }).dispose();
      } catch (e) {
        expect(e).toBeInstanceOf(OutOfMemoryError);
        oom++;
      }
      expect(heap()).toEqual(before);
    }
    expect(oom).toBeGreaterThan(0);
    expectNoLeak(() => new NeuralLM({ vocabSize: 40000, embeddingDim: 64, hidden: 64 }), OutOfMemoryError);
  });
});

describe('NeuralLM.fit: options and resumption checks', () => {
  const stream = Int32Array.from({ length: 60 }, (_, i) => [2, 3, 4, 5, 2, 6, 7][i % 7]!);
  const CFG = { vocabSize: 8, context: 2, embeddingDim: 3, hidden: 4 };

  test('unknown options and a learning rate not finite or <= 0 are ArgumentErrors; nothing is kept', async () => {
    const m = new NeuralLM(CFG);
    try {
      await expectNoLeakAsync(() => m.fit(stream, { lrr: 0.1 } as never), ArgumentError, /options.*'lrr'/);
      for (const lr of [0, -1e-3, NaN, Infinity, -Infinity])
        await expectNoLeakAsync(() => m.fit(stream, { lr }), ArgumentError, /options\.lr must be a finite number > 0/);
    } finally {
      m.dispose();
    }
  });

  test('a checkpoint of another run is refused and the run holds nothing after', async () => {
    const a = new NeuralLM(CFG);
    let ck: Uint8Array | undefined;
    await a.fit(stream, { epochs: 1, batchSize: 16, onCheckpoint: (b) => void (ck = b) });
    a.dispose();
    expect(ck).toBeDefined();
    const m = new NeuralLM(CFG);
    try {
      // other learning rate, other batch size, another config's checkpoint, bytes that are no checkpoint
      await expectNoLeakAsync(
        () => m.fit(stream, { epochs: 1, batchSize: 16, lr: 0.5, resumeFrom: ck }),
        ArgumentError,
        /lr/,
      );
      await expectNoLeakAsync(() => m.fit(stream, { epochs: 1, batchSize: 8, resumeFrom: ck }), ArgumentError);
      const other = new NeuralLM({ ...CFG, hidden: 5 });
      try {
        await expectNoLeakAsync(() => other.fit(stream, { epochs: 1, batchSize: 16, resumeFrom: ck }), ArgumentError);
      } finally {
        other.dispose();
      }
      await expectNoLeakAsync(
        () => m.fit(stream, { epochs: 1, batchSize: 16, resumeFrom: new Uint8Array(16) }),
        FormatError,
      );
    } finally {
      m.dispose();
    }
  });
});

describe('TextClassifier and SequenceTagger: a failing fromSafetensors or constructor frees its weights', () => {
  const ENC = { vocabSize: 12, dim: 8, heads: 2, layers: 2, ffn: 16, maxLen: 16 };
  const MODELS = [
    [
      'TextClassifier',
      (c: object) => new TextClassifier({ ...ENC, numClasses: 3, ...c }),
      (b: Uint8Array) => TextClassifier.fromSafetensors(b),
    ],
    [
      'SequenceTagger',
      (c: object) => new SequenceTagger({ ...ENC, numTags: 4, ...c }),
      (b: Uint8Array) => SequenceTagger.fromSafetensors(b),
    ],
  ] as const;
  for (const [name, make, load] of MODELS) {
    test(`${name}: wrong shape, missing key, int32 data late in the order; out of memory in the constructor`, () => {
      const m = make({});
      const bytes = m.toSafetensors();
      const names = Object.keys(m.stateDict());
      m.dispose();
      const before = heap();
      load(bytes).dispose();
      expect(heap()).toEqual(before);
      const k = lastKey(names, (x) => x.startsWith('encoder.layer.1.'));
      expectNoLeak(() => load(edited(bytes, (t) => wrongShape(t, k))), ShapeError);
      expectNoLeak(() => load(edited(bytes, (t) => delete t[k])), StateDictError);
      expectNoLeak(() => load(edited(bytes, (t) => wrongDType(t, k))), DTypeError);
      expectNoLeak(() => load(edited(bytes, (t) => wrongShape(t, lastKey(names)))), ShapeError);
      expectNoLeak(() => make({ dim: 256, ffn: 1024, layers: 40 }), OutOfMemoryError);
    });
  }
});

describe('pipelines: a forward that runs out of memory holds nothing after', () => {
  test("pipeline('feature-extraction') over inputs too large for the memory limit", async () => {
    const words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat'];
    const m = new BertModel({
      ...BERT,
      vocabSize: words.length,
      hiddenSize: 64,
      intermediateSize: 64,
      maxPositionEmbeddings: 512,
    });
    m.tokenizer = new WordPiece(words);
    const extract = pipeline('feature-extraction', m);
    const text = Array.from({ length: 500 }, (_, i) => words[5 + (i % 3)]).join(' ');
    try {
      const before = heap();
      await extract(text); // one fits
      expect(heap()).toEqual(before);
      const many = Array.from({ length: 64 }, () => text);
      await expectNoLeakAsync(() => extract(many, { batch_size: 64 }), OutOfMemoryError);
    } finally {
      extract.dispose();
    }
  });
});

describe('encoder configs too large for Wasm32 are refused before anything is built', () => {
  // The fuzzer's hang: a saved TextClassifier whose config said layers: 2^31 - 1 built layer after layer.
  const ENC = { vocabSize: 12, dim: 8, heads: 2, layers: 2, ffn: 16, maxLen: 16 };
  test.each([
    ['layers', { layers: 2 ** 31 - 1 }],
    ['vocabSize', { vocabSize: 2 ** 30 }],
    ['subwordBuckets', { subwordBuckets: 2 ** 40 }],
    ['ffn', { ffn: 2 ** 31 }],
  ])('%s', (name, c) => {
    if (name === 'layers') {
      expect(() => new TextClassifier({ ...ENC, numClasses: 3, ...c })).toThrow(/the 4 GiB Wasm32 memory/);
    }
    const before = heap();
    const t0 = Date.now();
    expect(() => new TextClassifier({ ...ENC, numClasses: 3, ...c })).toThrow(
      /config(\.\w+ must be| must describe at most 1073741824 float32 parameters \(the 4 GiB Wasm32 memory\))/,
    );
    expect(() => new SequenceTagger({ ...ENC, numTags: 3, ...c })).toThrow(ArgumentError);
    expect(Date.now() - t0).toBeLessThan(1000); // refused up front, not after building
    expect(heap()).toEqual(before);
  });
});
