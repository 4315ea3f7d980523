import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError, FormatError, VocabError } from '../../src/core/errors.js';
import { FastText } from '../../src/models/vectors/fasttext.js';
import type { Progress } from '../../src/train/progress.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';
import { readFastTextBin } from '../../src/io/fasttext-bin.js';
import { readVec } from '../../src/io/vec.js';
import { computeSubwords } from '../../src/text/subwords.js';
import { SgnsTrainer } from '../../src/models/vectors/sgns-trainer.js';
import { Tensor } from '../../src/core/tensor.js';

beforeAll(async () => {
  await initForTests();
});

/** Two disjoint topics (words apple0..9, zebra0..9), 8 words a line, one topic a line; "rare" once. */
function topics(lines: number): string {
  const rng = new Philox(5, 0);
  const out: string[] = [];
  for (let s = 0; s < lines; s++) {
    const stem = s % 2 === 0 ? 'apple' : 'zebra';
    const ws = Array.from({ length: 8 }, () => `${stem}${rng.nextInt(10)}`);
    if (s === 3) ws.push('rare');
    out.push(ws.join(' '));
  }
  return out.join('\n') + '\n';
}

const TEXT = topics(1200);
const SMALL = { dim: 16, ws: 3, epoch: 3, minCount: 3, bucket: 5000, t: 0, seed: 4 } as const;

describe('FastText (unsupervised)', () => {
  for (const [model, loss] of [
    ['skipgram', 'ns'],
    ['cbow', 'ns'],
    ['skipgram', 'hs'],
  ] as const) {
    test(`${model} ${loss}: nearest neighbours share the topic`, async () => {
      const reports: Progress[] = [];
      const m = await FastText.train(TEXT, { ...SMALL, model, loss, onProgress: (p) => reports.push(p) });
      try {
        expect(m.words).toHaveLength(21); // 20 words + </s>; "rare" dropped
        expect(reports.at(-1)!.progress).toBe(1);
        for (const w of ['apple0', 'apple7', 'zebra3', 'zebra9']) {
          const nn = m.mostSimilar(w, 5);
          expect(nn).toHaveLength(5);
          expect(nn.map((n) => n.word)).not.toContain(w);
          expect(nn.map((n) => n.word)).not.toContain('</s>');
          for (const n of nn) expect(n.word.slice(0, 5)).toBe(w.slice(0, 5));
          for (let i = 1; i < nn.length; i++) expect(nn[i]!.score).toBeLessThanOrEqual(nn[i - 1]!.score);
        }
        // An unseen word with a topic's n-grams lands in that topic.
        expect(m.mostSimilar('apple12', 3).every((n) => n.word.startsWith('apple'))).toBe(true);
        const an = m.analogy('apple1', 'zebra1', 'apple2', 3);
        expect(an.map((n) => n.word)).not.toContain('apple1');
        expect(an).toHaveLength(3);
      } finally {
        m.dispose();
      }
    });
  }

  test('vector: in-vocabulary = mean of word row and n-gram rows; OOV = mean of its n-gram rows (float32, exact)', async () => {
    const m = await FastText.train(TEXT, { ...SMALL, model: 'skipgram', epoch: 1 });
    try {
      const md = m.toModelData();
      expect(md.input.rows).toBe(21 + 5000);
      const V = 21;
      const mean = (rows: number[]) => {
        const acc = new Float32Array(16);
        for (const r of rows) for (let j = 0; j < 16; j++) acc[j]! += md.input.data[r * 16 + j]!;
        const s = Math.fround(1 / rows.length);
        for (let j = 0; j < 16; j++) acc[j]! *= s;
        return acc;
      };
      const id = m.words.indexOf('apple3');
      expect(m.vector('apple3')).toEqual(mean([id, ...computeSubwords('apple3', 3, 6, 5000, V)]));
      const oov = computeSubwords('applesauce', 3, 6, 5000, V);
      expect(oov.length).toBeGreaterThan(10);
      expect(m.vector('applesauce')).toEqual(mean(oov));
      expect(m.vector('</s>')).toEqual(
        md.input.data.slice(m.words.indexOf('</s>') * 16, m.words.indexOf('</s>') * 16 + 16),
      );
    } finally {
      m.dispose();
    }
  });

  test('maxn 0: word rows only, bucket 0', async () => {
    const m = await FastText.train(TEXT, { ...SMALL, model: 'cbow', maxn: 0, epoch: 1 });
    try {
      expect(m.args.bucket).toBe(0);
      expect(m.toModelData().input.rows).toBe(21);
      expect(m.vector('unseen').every((x) => x === 0)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  test('toBytes/fromBytes round trip (a native-layout .bin: args, dictionary, matrices); toVec; same seed → same bytes', async () => {
    const a = await FastText.train(TEXT, { ...SMALL, model: 'cbow', loss: 'hs', epoch: 1 });
    const b = await FastText.train(TEXT, { ...SMALL, model: 'cbow', loss: 'hs', epoch: 1 });
    const c = await FastText.train(TEXT, { ...SMALL, model: 'cbow', loss: 'hs', epoch: 1, seed: 5 });
    try {
      const bytes = a.toBytes();
      expect(b.toBytes()).toEqual(bytes);
      expect(c.toBytes()).not.toEqual(bytes);
      const md = readFastTextBin(bytes);
      expect(md.args).toMatchObject({
        model: 'cbow',
        loss: 'hs',
        dim: 16,
        ws: 3,
        epoch: 1,
        minCount: 3,
        bucket: 5000,
        minn: 3,
        maxn: 6,
        wordNgrams: 1,
      });
      expect(md.output.rows).toBe(20); // HS: V - 1 inner nodes
      const r = FastText.fromBytes(bytes);
      try {
        expect(r.toBytes()).toEqual(bytes);
        expect(r.vector('zebra5')).toEqual(a.vector('zebra5'));
        expect(r.vector('zebrafish')).toEqual(a.vector('zebrafish'));
        expect(r.mostSimilar('apple1', 4)).toEqual(a.mostSimilar('apple1', 4));
      } finally {
        r.dispose();
      }
      const vec = readVec(a.toVec());
      expect(vec.words).toEqual(a.words);
      expect(vec.data.subarray(16 * 2, 16 * 3)).toEqual(a.vector(a.words[2]!));
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  test('typed errors', async () => {
    const bad: [object, RegExp][] = [
      [{ model: 'sup' }, /model must be 'skipgram' or 'cbow'/],
      [{ model: 'skipgram', loss: 'softmax' }, /loss must be 'ns' or 'hs'/],
      [{ model: 'skipgram', dim: 0 }, /dim must be an integer/],
      [{ model: 'skipgram', minn: 5, maxn: 4 }, /minn must be <= maxn/],
      [{ model: 'skipgram', lr: -1 }, /lr must be a finite number > 0/],
      [{ model: 'skipgram', t: Number.NaN }, /t must be a finite number >= 0/],
      [{ model: 'skipgram', threads: 0 }, /threads must be an integer/],
    ];
    for (const [o, re] of bad) await expect(FastText.train(TEXT, o as never)).rejects.toThrow(re);
    await expect(FastText.train(TEXT, { model: 'cbow', dim: 1.5 })).rejects.toThrow(ArgumentError);
    await expect(FastText.train('a b c\n', { model: 'skipgram', minCount: 5 })).rejects.toThrow(VocabError);
    await expect(FastText.train('__label__x a b\n', { model: 'skipgram', minCount: 1 })).rejects.toThrow(
      /must not contain labels/,
    );
    expect(() => FastText.fromBytes(new Uint8Array(8))).toThrow(FormatError);
    const sup = await FastTextClassifier.train('__label__a x y\n__label__b z w\n', { dim: 4, epoch: 1 });
    try {
      expect(() => FastText.fromBytes(sup.toBytes())).toThrow(/got 'sup'/);
    } finally {
      sup.dispose();
    }
    const m = await FastText.train(TEXT, { ...SMALL, model: 'skipgram', epoch: 1, bucket: 100 });
    expect(() => m.mostSimilar('apple1', 0)).toThrow(/k must be an integer >= 1/);
    m.dispose();
    m.dispose();
    expect(() => m.vector('apple1')).toThrow(/must not be disposed/);
  });

  test('SgnsOptions.noisePower 0.5 (fastText): negatives ∝ count^0.5; the default stays 0.75; out of range throws', () => {
    const win = Tensor.zeros([2, 4]);
    const wout = Tensor.zeros([2, 4]);
    const base = {
      window: 2,
      negative: 5,
      model: 'skipgram',
      loss: 'ns',
      sample: 0,
      lr: 0.05,
      totalWords: 10,
      seed: 1,
      eosId: -1,
      counts: [1, 10_000],
    } as const;
    const ratio = (noisePower?: number) => {
      const tr = new SgnsTrainer(win, wout, { ...base, noisePower });
      try {
        const d = tr.drawNegatives(200_000);
        let ones = 0;
        for (const x of d) ones += x;
        return ones / (d.length - ones);
      } finally {
        tr.dispose();
      }
    };
    try {
      expect(ratio(0.5)).toBeGreaterThan(90); // 10000^0.5 = 100
      expect(ratio(0.5)).toBeLessThan(110);
      expect(ratio()).toBeGreaterThan(800); // 10000^0.75 = 1000
      expect(() => new SgnsTrainer(win, wout, { ...base, noisePower: 2 })).toThrow(
        /noisePower must be a number in \[0, 1\]/,
      );
    } finally {
      win.dispose();
      wout.dispose();
    }
  });
});
