// The `signal` option of every trainer (src/core/abort.ts, docs/models.md "Stopping training"):
// an abort from onProgress or from a timer (which proves the loops yield to the event loop) ends
// training early with a usable model and the result says so; a signal that never aborts gives
// bit-identical results; an already-aborted signal trains nothing; a non-signal is an ArgumentError.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError } from '../../src/core/errors.js';
import { HostYield, checkAbortSignal } from '../../src/train/abort.js';
import { Word2Vec } from '../../src/models/vectors/word2vec.js';
import { FastText } from '../../src/models/vectors/fasttext.js';
import { SgnsTrainer } from '../../src/models/vectors/sgns-trainer.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';
import { TextClassifier, type ClassificationExample } from '../../src/models/encoder/classifier.js';
import { SequenceTagger } from '../../src/models/encoder/tagger.js';
import { NeuralLM } from '../../src/models/lm/neural-lm.js';
import { BertForSequenceClassification } from '../../src/models/bert/index.js';
import { topics } from '../helpers/topics.js';

beforeAll(async () => {
  await initForTests();
});

const aborted = () => {
  const c = new AbortController();
  c.abort();
  return c.signal;
};
const BAD = [{}, { aborted: 'no', addEventListener() {} }, 5, null, 'signal'];

/** Lines of two topics for fastText. */
function ftText(lines: number): string {
  const rng = new Philox(5, 0);
  const out: string[] = [];
  for (let s = 0; s < lines; s++) {
    const stem = s % 2 === 0 ? 'apple' : 'zebra';
    out.push(Array.from({ length: 8 }, () => `${stem}${rng.nextInt(10)}`).join(' '));
  }
  return out.join('\n') + '\n';
}

function supText(n: number): string {
  const rng = new Philox(3, 3);
  const topics = [
    ['goal', 'match', 'team'],
    ['pasta', 'sauce', 'oven'],
  ];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = rng.nextInt(2);
    lines.push(`__label__${y} ${Array.from({ length: 6 }, () => topics[y]![rng.nextInt(3)]!).join(' ')} the`);
  }
  return lines.join('\n') + '\n';
}

function orderData(seed: number, n: number): ClassificationExample[] {
  const rng = new Philox(seed, 3);
  return Array.from({ length: n }, () => {
    const len = 3 + rng.nextInt(8);
    const pa = rng.nextInt(len);
    let pb = rng.nextInt(len - 1);
    if (pb >= pa) pb++;
    return {
      ids: Array.from({ length: len }, (_, i) => (i === pa ? 1 : i === pb ? 2 : 3 + rng.nextInt(7))),
      label: pa < pb ? 1 : 0,
    };
  });
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('checkAbortSignal and HostYield', () => {
  test('duck-typed check, named option; yields are macrotasks (setImmediate in Node, MessageChannel in browsers)', async () => {
    const s = new AbortController().signal;
    expect(checkAbortSignal('f', 'signal', s)).toBe(s);
    expect(checkAbortSignal('f', 'signal', undefined)).toBeUndefined();
    // another realm's signal: only the shape matters
    const foreign = { aborted: false, addEventListener() {}, removeEventListener() {} };
    expect(checkAbortSignal('f', 'options.signal', foreign)).toBe(foreign);
    for (const b of BAD)
      expect(() => checkAbortSignal('f', 'options.signal', b)).toThrow(
        /^f: options\.signal must be an AbortSignal, got /,
      );
    const h = new HostYield(0);
    let timer = false;
    setTimeout(() => (timer = true), 0);
    const end = Date.now() + 2000;
    while (!timer && Date.now() < end) await h.now(); // the timer only runs if now() yields a macrotask
    expect(timer).toBe(true);
    h.close();
    h.close();
  });

  test('the MessageChannel path (forced in Node): yields are macrotasks; close() frees the port, so a process can exit; idempotent', async () => {
    // Node only: the MessagePorts keeping the event loop alive (other ports, e.g. the test runner's, are counted before).
    const proc = (globalThis as { process?: { getActiveResourcesInfo?: () => string[] } }).process;
    const ports =
      typeof proc?.getActiveResourcesInfo === 'function'
        ? () => proc.getActiveResourcesInfo!().filter((r) => r === 'MessagePort').length
        : undefined;
    const before = ports?.();
    const h = new HostYield(0, 'channel');
    let timer = false;
    let yields = 0;
    setTimeout(() => (timer = true), 0);
    const end = Date.now() + 2000;
    while (!timer && Date.now() < end) {
      await h.now();
      yields++;
    }
    expect(timer).toBe(true);
    expect(yields).toBeGreaterThan(0);
    if (ports !== undefined) expect(ports()).toBe(before! + 1); // the channel is open (and would keep Node alive)
    h.close();
    if (ports !== undefined) expect(ports()).toBe(before);
    h.close();
    if (ports !== undefined) expect(ports()).toBe(before);
    // maybe() with an interval: no yield before it has passed, then one.
    const slow = new HostYield(1e9, 'channel');
    await slow.maybe();
    slow.close();
    if (ports !== undefined) expect(ports()).toBe(before);
  });
});

describe('Word2Vec signal', () => {
  const { ids, vocab } = topics(3000); // 27,000 ids
  const opts = { dim: 16, window: 3, minCount: 1, epochs: 3, sample: 0, seed: 3 } as const;
  // 6 chunks of 27,000 ids (162,000 an epoch): each chunk is one piece (< 65,536 ids), never cut;
  // the cut of a longer chunk is tested in 'never aborted, one chunk over 131,072 ids' below.
  const many = Array.from({ length: 6 }, () => ids);

  test('never aborted: bit-identical to no signal; result aborted false', async () => {
    const a = new Word2Vec(opts),
      b = new Word2Vec(opts);
    const ra = await a.trainIds(many, vocab);
    const rb = await b.trainIds(many, vocab, { signal: new AbortController().signal });
    expect(ra.aborted).toBe(false);
    expect(rb.aborted).toBe(false);
    expect(rb.words).toBe(ra.words);
    expect(bits(b.vectors)).toEqual(bits(a.vectors));
  });

  // One chunk longer than two pieces: with a signal, sgnsPass cuts it as SgnsTrainer.train does
  // (after the last EOS of each 65,536 ids, or at 65,536 without one). The spy sees those pieces.
  for (const [name, eosEvery] of [
    ['EOS after every 37th sentence', 37],
    ['no EOS at all', 0],
  ] as const) {
    test(`never aborted, one chunk over 131,072 ids (${name}): bit-identical to no signal, in pieces cut like train`, async () => {
      const big = topics(17000, { eosEvery }); // 8 words a sentence: 136,000 ids (+ 459 EOS)
      expect(big.ids.length).toBeGreaterThan(131_072);
      const o = { ...opts, epochs: 1 };
      const pieces: number[][] = [];
      const orig = SgnsTrainer.prototype.train;
      SgnsTrainer.prototype.train = function (this: SgnsTrainer, c: Int32Array, after?: () => void) {
        pieces.at(-1)!.push(c.length);
        return orig.call(this, c, after);
      };
      const a = new Word2Vec(o),
        b = new Word2Vec(o);
      try {
        pieces.push([]);
        const ra = await a.trainIds(big.ids, big.vocab);
        pieces.push([]);
        const rb = await b.trainIds(big.ids, big.vocab, { signal: new AbortController().signal });
        expect(rb).toMatchObject({ words: ra.words, aborted: false });
      } finally {
        SgnsTrainer.prototype.train = orig;
      }
      expect(pieces[0]).toEqual([big.ids.length]);
      const cut = pieces[1]!;
      expect(cut).toHaveLength(3);
      expect(cut.reduce((x, y) => x + y, 0)).toBe(big.ids.length);
      let at = 0;
      for (const n of cut.slice(0, -1)) {
        at += n;
        if (eosEvery === 0) expect(n).toBe(65_536);
        else {
          expect(n).toBeLessThan(65_536);
          expect(n).toBeGreaterThan(65_536 - 9 * eosEvery);
          expect(big.ids[at - 1]).toBe(0); // cut just after an EOS
        }
      }
      expect(bits(b.vectors)).toEqual(bits(a.vectors));
    });
  }

  test('abort from onProgress: fewer words, usable vectors without </s>, last progress < 1, aborted true', async () => {
    const full = 3 * 6 * 3000 * 8;
    const c = new AbortController();
    const reports: number[] = [];
    const m = new Word2Vec(opts);
    const r = await m.trainIds(many, vocab, {
      signal: c.signal,
      onProgress: (p) => {
        reports.push(p.progress);
        if (p.progress > 0) c.abort();
      },
    });
    expect(r.aborted).toBe(true);
    expect(r.words).toBeGreaterThan(0);
    expect(r.words).toBeLessThan(full);
    expect(reports.at(-1)).toBeLessThan(1);
    expect(m.words).toContain('a1');
    const nn = m.mostSimilar('a1', 20);
    expect(nn.map((n) => n.word)).not.toContain('</s>');
    expect(nn).toHaveLength(19);
  });

  test('abort from a timer (only runs if training yields); train(text) too', async () => {
    const c = new AbortController();
    let on = false;
    const m = new Word2Vec({ ...opts, epochs: 50 });
    const r = await m.trainIds(many, vocab, {
      signal: c.signal,
      onProgress: () => {
        if (!on) {
          on = true;
          setTimeout(() => c.abort(), 30);
        }
      },
    });
    expect(r.aborted).toBe(true);
    expect(r.words).toBeGreaterThan(0);
    expect(r.words).toBeLessThan(50 * 6 * 3000 * 8);
    expect(m.mostSimilar('a1', 3).map((n) => n.word)).not.toContain('</s>');

    const text = Array.from({ length: 20000 }, (_, s) =>
      Array.from({ length: 8 }, (_, j) => `${s % 2 ? 'a' : 'b'}${(s * 7 + j * 3) % 10}`).join(' '),
    ).join('\n');
    const t = new AbortController();
    let armed = false;
    const m2 = new Word2Vec({ ...opts, epochs: 100 });
    const r2 = await m2.train(text, {
      signal: t.signal,
      onProgress: () => {
        if (!armed) {
          armed = true;
          setTimeout(() => t.abort(), 20);
        }
      },
    });
    expect(r2.aborted).toBe(true);
    expect(r2.words).toBeGreaterThan(0);
    expect(r2.words).toBeLessThan(100 * 20000 * 8);
    expect(m2.mostSimilar('a1', 3).map((n) => n.word)).not.toContain('</s>');
  });

  test('already aborted: nothing trained (the initial vectors); bad signal: ArgumentError', async () => {
    const m = new Word2Vec(opts);
    const r = await m.trainIds(ids, vocab, { signal: aborted() });
    expect(r).toMatchObject({ words: 0, aborted: true });
    expect(m.words).toHaveLength(21);
    const v = m.vectors;
    expect(v.every((x) => Math.abs(x) <= 0.5 / 16)).toBe(true);
    for (const b of BAD) await expect(m.trainIds(ids, vocab, { signal: b as never })).rejects.toThrow(ArgumentError);
    await expect(m.trainIds(ids, vocab, { signal: {} as never })).rejects.toThrow(
      /Word2Vec\.trainIds: signal must be an AbortSignal/,
    );
  });
});

describe('FastText (unsupervised) signal', () => {
  const TEXT = ftText(2000);
  const opts = { model: 'skipgram', dim: 8, ws: 3, epoch: 2, minCount: 1, bucket: 2000, t: 0, seed: 4 } as const;

  test('never aborted: bit-identical; abort from onProgress: progress < 1, usable vectors', async () => {
    const a = await FastText.train(TEXT, opts);
    const b = await FastText.train(TEXT, { ...opts, signal: new AbortController().signal });
    try {
      expect(bits(b.vector('apple1'))).toEqual(bits(a.vector('apple1')));
      expect(bits(b.vector('zebra77'))).toEqual(bits(a.vector('zebra77')));
    } finally {
      a.dispose();
      b.dispose();
    }
    const big = ftText(30000);
    const c = new AbortController();
    const reports: number[] = [];
    const m = await FastText.train(big, {
      ...opts,
      epoch: 5,
      signal: c.signal,
      onProgress: (p) => {
        reports.push(p.progress);
        if (p.progress > 0) c.abort();
      },
    });
    try {
      expect(reports.at(-1)).toBeGreaterThan(0);
      expect(reports.at(-1)).toBeLessThan(1);
      expect(m.mostSimilar('apple1', 3).map((n) => n.word)).not.toContain('</s>');
      expect(m.vector('apple1').some((x) => x !== 0)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  test('abort from a timer; already aborted: the initial model; bad signal: ArgumentError', async () => {
    const big = ftText(30000);
    const c = new AbortController();
    let armed = false;
    const reports: number[] = [];
    const m = await FastText.train(big, {
      ...opts,
      epoch: 50,
      signal: c.signal,
      onProgress: (p) => {
        reports.push(p.progress);
        if (!armed) {
          armed = true;
          setTimeout(() => c.abort(), 20);
        }
      },
    });
    expect(reports.at(-1)).toBeGreaterThan(0);
    expect(reports.at(-1)).toBeLessThan(1);
    m.dispose();
    const init = await FastText.train(TEXT, {
      ...opts,
      signal: aborted(),
      onProgress: (p) => reports.push(p.progress),
    });
    try {
      expect(reports.at(-1)).toBe(0);
      expect(init.words).toContain('apple1');
    } finally {
      init.dispose();
    }
    await expect(FastText.train(TEXT, { ...opts, signal: 1 as never })).rejects.toThrow(
      /FastText\.train: signal must be an AbortSignal, got number/,
    );
  });
});

describe('FastTextClassifier signal', () => {
  const opts = { dim: 8, epoch: 3, lr: 0.5, seed: 2 } as const;

  test('never aborted: bit-identical; abort from onProgress and from a timer; already aborted; bad signal', async () => {
    const text = supText(2000);
    const a = await FastTextClassifier.train(text, opts);
    const b = await FastTextClassifier.train(text, { ...opts, signal: new AbortController().signal });
    expect(b.predict('goal match team', 2)).toEqual(a.predict('goal match team', 2));
    expect(new Uint8Array(b.toBytes())).toEqual(new Uint8Array(a.toBytes()));
    a.dispose();
    b.dispose();

    const big = supText(60000);
    const c = new AbortController();
    const reports: number[] = [];
    const m = await FastTextClassifier.train(big, {
      ...opts,
      epoch: 20,
      signal: c.signal,
      onProgress: (p) => {
        reports.push(p.progress);
        c.abort();
      },
    });
    expect(reports.at(-1)).toBeLessThan(1);
    expect(m.predict('goal match team', 1)[0]!.label).toBe('__label__0');
    m.dispose();

    const t = new AbortController();
    let armed = false;
    const reports2: number[] = [];
    const m2 = await FastTextClassifier.train(big, {
      ...opts,
      epoch: 50,
      signal: t.signal,
      onProgress: (p) => {
        reports2.push(p.progress);
        if (!armed) {
          armed = true;
          setTimeout(() => t.abort(), 20);
        }
      },
    });
    expect(reports2.at(-1)).toBeGreaterThan(0);
    expect(reports2.at(-1)).toBeLessThan(1);
    m2.dispose();

    const reports3: number[] = [];
    const m3 = await FastTextClassifier.train(text, {
      ...opts,
      signal: aborted(),
      onProgress: (p) => reports3.push(p.progress),
    });
    expect(reports3).toEqual([0]);
    expect(m3.predict('goal match', 1)).toHaveLength(1);
    m3.dispose();
    await expect(FastTextClassifier.train(text, { ...opts, signal: {} as never })).rejects.toThrow(
      /FastTextClassifier\.train: signal must be an AbortSignal/,
    );
  });
});

describe('fit (TextClassifier, SequenceTagger, BERT) signal', () => {
  const cfg = {
    vocabSize: 10,
    numClasses: 2,
    dim: 8,
    heads: 2,
    layers: 1,
    ffn: 16,
    dropout: 0.1,
    attentionDropout: 0,
    seed: 7,
  } as const;
  const data = orderData(5, 64);
  const opts = { epochs: 2, batchSize: 8, lr: 3e-3, sortWindow: 2 };
  const weights = (m: TextClassifier) =>
    m.namedParameters().map(([, p]) => Array.from(bits(p.value.toArray() as Float32Array)));

  test('never aborted: bit-identical, aborted false', async () => {
    const a = new TextClassifier(cfg),
      b = new TextClassifier(cfg);
    const ra = await a.fit(data, opts);
    const rb = await b.fit(data, { ...opts, signal: new AbortController().signal });
    expect(ra.aborted).toBe(false);
    expect(rb).toMatchObject({ steps: ra.steps, aborted: false, trainLoss: ra.trainLoss });
    expect(weights(b)).toEqual(weights(a));
    a.dispose();
    b.dispose();
  });

  test('abort from onProgress / from a timer: fewer steps, usable model, last report, aborted true', async () => {
    const m = new TextClassifier(cfg);
    const c = new AbortController();
    const steps: number[] = [];
    // abort at the end of epoch 1 (8 steps): training stops before the first step of epoch 2
    const r = await m.fit(data, {
      ...opts,
      signal: c.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step >= 8) c.abort();
      },
    });
    expect(r.aborted).toBe(true);
    expect(r.steps).toBe(8);
    expect(r.history).toHaveLength(1);
    expect(steps.at(-1)).toBe(8);
    expect(m.predict([1, 3, 2])).toHaveLength(2);
    m.dispose();

    const big = orderData(6, 4000);
    const m2 = new TextClassifier(cfg);
    const t = new AbortController();
    setTimeout(() => t.abort(), 60);
    const r2 = await m2.fit(big, { epochs: 5, batchSize: 8, signal: t.signal });
    expect(r2.aborted).toBe(true);
    expect(r2.steps).toBeGreaterThan(0);
    expect(r2.steps).toBeLessThan(5 * 500);
    expect(Number.isFinite(r2.trainLoss)).toBe(true);
    m2.dispose();
  });

  test('already aborted: nothing trained; bad signal: ArgumentError; SequenceTagger and BERT pass the option', async () => {
    const a = new TextClassifier(cfg),
      b = new TextClassifier(cfg);
    const r = await b.fit(data, { ...opts, signal: aborted() });
    expect(r).toMatchObject({ steps: 0, aborted: true, history: [] });
    expect(weights(b)).toEqual(weights(a));
    await expect(b.fit(data, { signal: { aborted: false } as never })).rejects.toThrow(
      /TextClassifier\.fit: options\.signal must be an AbortSignal/,
    );
    a.dispose();
    b.dispose();

    const tagger = new SequenceTagger({ vocabSize: 10, numTags: 2, dim: 8, heads: 2, layers: 1, ffn: 16, seed: 1 });
    const rt = await tagger.fit([{ ids: [1, 2, 3], tags: [0, 1, 0] }], { signal: aborted() });
    expect(rt).toMatchObject({ steps: 0, aborted: true });
    await expect(tagger.fit([{ ids: [1, 2, 3], tags: [0, 1, 0] }], { signal: 'stop' as never })).rejects.toThrow(
      /SequenceTagger\.fit: options\.signal must be an AbortSignal, got string/,
    );
    tagger.dispose();

    const bert = new BertForSequenceClassification(
      {
        vocabSize: 12,
        hiddenSize: 8,
        numHiddenLayers: 1,
        numAttentionHeads: 2,
        intermediateSize: 16,
        maxPositionEmbeddings: 16,
        numLabels: 2,
      },
      { seed: 1 },
    );
    const bd = Array.from({ length: 16 }, (_, i) => ({ ids: [2, 5 + (i % 5), 3], label: i % 2 }));
    const rb = await bert.fit(bd, { epochs: 1, batchSize: 4, signal: aborted() });
    expect(rb).toMatchObject({ steps: 0, aborted: true });
    const c = new AbortController();
    const rb2 = await bert.fit(bd, {
      epochs: 3,
      batchSize: 4,
      signal: c.signal,
      onProgress: (p) => {
        if (p.step >= 4) c.abort();
      },
    });
    expect(rb2).toMatchObject({ steps: 4, aborted: true });
    bert.dispose();
  });
});

describe('NeuralLM signal', () => {
  const rng = new Philox(9, 1);
  const train = Int32Array.from({ length: 3000 }, () => 2 + rng.nextInt(10));
  const valid = train.subarray(0, 300);
  const cfg = { vocabSize: 12, context: 2, embeddingDim: 4, hidden: 8, seed: 1 };
  const opts = { epochs: 2, batchSize: 100, valid };
  const weights = (m: NeuralLM) =>
    m.namedParameters().map(([, p]) => Array.from(bits(p.value.toArray() as Float32Array)));

  test('never aborted: bit-identical; abort from onProgress: weights at the stop (no restoreBest), aborted and stopped', async () => {
    const a = new NeuralLM(cfg),
      b = new NeuralLM(cfg);
    const ra = await a.fit(train, opts);
    const rb = await b.fit(train, { ...opts, signal: new AbortController().signal });
    expect(ra).toMatchObject({ aborted: false, stopped: false });
    expect(rb).toMatchObject({ steps: ra.steps, aborted: false, stopped: false });
    expect(weights(b)).toEqual(weights(a));

    // Stop after the first epoch's end report: the weights are those after 30 steps; no restore.
    const c = new AbortController();
    const m = new NeuralLM(cfg);
    const reports: boolean[] = [];
    const r = await m.fit(train, {
      ...opts,
      signal: c.signal,
      onProgress: (p) => {
        reports.push(p.epochEnd);
        if (p.epochEnd) c.abort();
      },
    });
    expect(r).toMatchObject({ steps: 30, epochs: 1, aborted: true, stopped: true, bestEpoch: 1 });
    expect(reports.at(-1)).toBe(false); // the closing report of the stop
    const once = new NeuralLM(cfg);
    await once.fit(train, { ...opts, epochs: 1 });
    expect(weights(m)).toEqual(weights(once));
    expect(m.evaluate(valid).perplexity).toBeLessThan(12);
  });

  test('abort from a timer; already aborted; bad signal', async () => {
    const t = new AbortController();
    setTimeout(() => t.abort(), 40);
    const m = new NeuralLM(cfg);
    const r = await m.fit(train, { epochs: 1000, batchSize: 50, signal: t.signal });
    expect(r.aborted).toBe(true);
    expect(r.steps).toBeGreaterThan(0);
    expect(r.steps).toBeLessThan(1000 * 60);
    const a = new NeuralLM(cfg),
      b = new NeuralLM(cfg);
    expect(await b.fit(train, { ...opts, signal: aborted() })).toMatchObject({
      steps: 0,
      epochs: 0,
      aborted: true,
      stopped: true,
      history: [],
    });
    expect(weights(b)).toEqual(weights(a));
    await expect(b.fit(train, { signal: new EventTarget() as never })).rejects.toThrow(
      /NeuralLM\.fit: options\.signal must be an AbortSignal/,
    );
  });
});
