// Training for the word-vectors demo, run inside its Web Worker: Word2Vec.train and
// FastText.train with an AbortSignal, so Stop ends training after the current kernel
// call (the library yields to the worker's event loop about every 50 ms, so the
// 'stop' message gets through) and the partially trained model is kept.
import { EOS, FastText, Word2Vec } from 'wasm-nlp';

const now = () => performance.now();

/**
 * Train word2vec on `text`. `report(p)` gets { progress, wordsPerSec, loss, lr, epoch, elapsed }
 * (the library reports about every 100 ms). Resolves to { model: Word2Vec, stopped, words, seconds, wordsPerSec, vocab }.
 */
export async function trainWord2Vec(text, o, { threads, signal, report }) {
  const t0 = now();
  const model = new Word2Vec({
    dim: o.dim,
    window: o.window,
    negative: o.negative,
    sample: o.sample,
    minCount: o.minCount,
    epochs: o.epochs,
    model: o.model,
    seed: o.seed,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
  });
  let r;
  try {
    r = await model.train(text, {
      threads,
      signal,
      onProgress: (p) =>
        report({
          progress: p.progress,
          wordsPerSec: p.itemsPerSec,
          loss: p.loss,
          lr: p.lr,
          epoch: p.epoch,
          elapsed: (now() - t0) / 1000,
        }),
    });
  } catch (e) {
    // The library's message names the option; say it in the page's words.
    if (e?.name === 'VocabError')
      throw new Error(`no word occurs at least ${o.minCount} times (min count); lower it or use more text`, {
        cause: e,
      });
    throw e;
  }
  const vocab = model.words.filter((w) => w !== EOS).length;
  return { model, stopped: r.aborted, words: r.words, seconds: r.seconds, wordsPerSec: r.wordsPerSec, vocab };
}

/** Train fastText (subword vectors) with FastText.train; resolves like trainWord2Vec. */
export async function trainFastText(text, o, { threads, signal, report, everyMs = 80 }) {
  // FastText.train already reports about every 100 ms: keep nearly all of them.
  const t0 = now();
  let last = -Infinity;
  let lastP;
  const model = await FastText.train(text, {
    model: o.model,
    dim: o.dim,
    ws: o.window,
    epoch: o.epochs,
    minCount: o.minCount,
    neg: o.negative,
    t: o.sample,
    bucket: o.bucket,
    minn: o.minn,
    maxn: o.maxn,
    seed: o.seed,
    threads,
    signal,
    onProgress: (p) => {
      lastP = p;
      const t = now();
      if (t - last < everyMs && p.progress < 1) return;
      last = t;
      report({
        progress: p.progress,
        wordsPerSec: p.itemsPerSec,
        loss: p.loss,
        lr: p.lr,
        epoch: p.epoch,
        elapsed: (t - t0) / 1000,
      });
    },
  });
  const seconds = (now() - t0) / 1000;
  const words = model.words.filter((w) => w !== EOS);
  return {
    model,
    stopped: signal.aborted && (lastP?.progress ?? 0) < 1,
    words: lastP ? lastP.itemsPerSec * seconds : 0,
    seconds,
    wordsPerSec: lastP?.itemsPerSec ?? 0,
    vocab: words.length,
  };
}
