// Training for the word-vectors demo, run inside its Web Worker.
//
// word2vec: the loop of Word2Vec.trainIds written out over the public
// SgnsTrainer (same initialisation, options and schedule), so the worker can
// yield to its event loop between kernel calls, hear a Stop request, and keep
// the partially trained vectors (Word2Vec.fromTrained). Word2Vec.train itself
// has no way to stop early and keep the model.
// fastText: FastText.train as is (no stop: see stopFastText in main.js).
import { EOS, FastText, SgnsTrainer, Tensor, Vocab, Word2Vec, encode } from 'wasm-nlp';

const now = () => performance.now();

// A macrotask yield that is not clamped like nested setTimeout(0).
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToEvents = () => new Promise((resolve) => {
  waiting.push(resolve);
  channel.port2.postMessage(0);
});

/**
 * Train word2vec on `text`. `shouldStop()` is polled between kernel calls;
 * `report(p)` gets { progress, wordsPerSec, loss, lr, epoch, elapsed } at most every `everyMs`.
 * Resolves to { model: Word2Vec, stopped, words, seconds, wordsPerSec, vocab }.
 */
export async function trainWord2Vec(text, o, { threads, shouldStop, report, everyMs = 100 }) {
  const vocab = await Vocab.build(text, { minCount: o.minCount });
  const V = vocab.nwords;
  const eos = vocab.id(EOS);
  if (V - (eos >= 0 ? 1 : 0) < 1) throw new Error(`no word occurs at least ${o.minCount} times (min count); lower it or use more text`);
  const chunks = [];
  for await (const c of encode(text, vocab)) chunks.push(c);
  const words = Array.from({ length: V }, (_, i) => vocab.word(i));
  const counts = vocab.counts('word');
  let tokens = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++) if (c[i] !== eos) tokens++;
  if (tokens === 0) throw new Error('the text has no words to train on');

  const { dim } = o;
  const total = tokens * o.epochs;
  const win = Tensor.rand([V, dim], { seed: o.seed, stream: 1 });
  let wout, tr;
  try {
    // word2vec's start (as Word2Vec.trainIds): inputs uniform in [-0.5/dim, 0.5/dim), outputs zero.
    const v = win.view();
    for (let i = 0; i < v.length; i++) v[i] = (v[i] - 0.5) / dim;
    wout = Tensor.zeros([V, dim]);
    tr = new SgnsTrainer(win, wout, {
      window: o.window, negative: o.negative, model: o.model, loss: 'ns', sample: o.sample, lr: o.lr ?? (o.model === 'cbow' ? 0.05 : 0.025),
      totalWords: total, seed: o.seed, eosId: eos, counts,
    });
    const trainer = tr;
    const t0 = now();
    let last = t0, lastYield = t0, lastLoss = 0, lastPairs = 0, lastValue = 0, epoch = 0, stopped = false;
    const progress = (force) => {
      const t = now();
      if (!force && t - last < everyMs) return;
      const s = trainer.stats;
      const secs = Math.max(1e-9, (t - t0) / 1000);
      const pairs = s.lossCount - lastPairs;
      if (pairs > 0) lastValue = (s.lossSum - lastLoss) / pairs;
      report({ progress: Math.min(1, s.processed / total), wordsPerSec: s.processed / secs, loss: lastValue, lr: s.lr, epoch, elapsed: secs });
      last = t;
      lastLoss = s.lossSum;
      lastPairs = s.lossCount;
    };
    const after = () => progress(false);
    // Several threads: hand trainParallel about a quarter million ids at a time (pieces of ~8k ids per worker).
    const groups = [];
    for (let i = 0; i < chunks.length; i += 4) groups.push(chunks.slice(i, i + 4));
    outer: for (epoch = 0; epoch < o.epochs; epoch++) {
      if (threads > 1) {
        for (const g of groups) {
          await trainer.trainParallel(g, threads, after);
          if (shouldStop()) { stopped = true; break outer; }
        }
      } else {
        for (const c of chunks) {
          trainer.train(c, after);
          if (now() - lastYield > 50) {
            await yieldToEvents();
            lastYield = now();
          }
          if (shouldStop()) { stopped = true; break outer; }
        }
      }
    }
    epoch = Math.min(epoch, o.epochs - 1);
    progress(true);
    const s = trainer.stats;
    const seconds = (now() - t0) / 1000;
    // The model without </s> (Word2Vec.fromTrained has no end-of-sentence word to skip in queries).
    const all = win.toArray();
    const keep = words.map((w, i) => i).filter((i) => i !== eos);
    const vectors = new Float32Array(keep.length * dim);
    keep.forEach((i, r) => vectors.set(all.subarray(i * dim, (i + 1) * dim), r * dim));
    const model = Word2Vec.fromTrained(keep.map((i) => words[i]), vectors, { dim });
    return { model, stopped, words: s.processed, seconds, wordsPerSec: s.processed / Math.max(seconds, 1e-9), vocab: keep.length, tokens };
  } finally {
    tr?.dispose();
    wout?.dispose();
    win.dispose();
  }
}

/** Train fastText (subword vectors) with FastText.train; resolves like trainWord2Vec (never stopped). */
export async function trainFastText(text, o, { threads, report, everyMs = 80 }) {
  // FastText.train already reports about every 100 ms: keep nearly all of them.
  const t0 = now();
  let last = -Infinity;
  let lastP;
  const model = await FastText.train(text, {
    model: o.model, dim: o.dim, ws: o.window, epoch: o.epochs, minCount: o.minCount, neg: o.negative, t: o.sample,
    bucket: o.bucket, minn: o.minn, maxn: o.maxn, seed: o.seed, threads,
    onProgress: (p) => {
      lastP = p;
      const t = now();
      if (t - last < everyMs && p.progress < 1) return;
      last = t;
      report({ progress: p.progress, wordsPerSec: p.wordsPerSec, loss: p.loss, lr: p.lr, epoch: p.epoch, elapsed: (t - t0) / 1000 });
    },
  });
  const seconds = (now() - t0) / 1000;
  const words = model.words.filter((w) => w !== EOS);
  return { model, stopped: false, words: lastP ? lastP.wordsPerSec * seconds : 0, seconds, wordsPerSec: lastP?.wordsPerSec ?? 0, vocab: words.length };
}
