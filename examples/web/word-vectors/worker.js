// The word-vectors demo's worker: all model work happens here (the page only draws).
import { serve } from '../common/rpc.js';
import { fetchData, initCore } from '../common/core.js';
import { pca2 } from './pca.js';
import { trainFastText, trainWord2Vec } from './train.js';

let brown; // Promise<string[]>: the lines of data/brown.txt
let model; // { kind: 'word2vec' | 'fasttext', m: Word2Vec | FastText, known: Set<string> }
let controller; // AbortController of the training run under way (Stop aborts it)

/** The first `limit` tokens of Brown, in whole sentences (Infinity: all of it). */
async function brownText(limit) {
  brown ??= fetchData('brown.txt').then((t) => t.split('\n').filter((l) => l.trim() !== ''));
  const lines = await brown;
  if (!Number.isFinite(limit)) return { text: lines.join('\n'), tokens: lines.reduce((n, l) => n + count(l), 0) };
  let tokens = 0;
  const out = [];
  for (const l of lines) {
    if (tokens >= limit) break;
    out.push(l);
    tokens += count(l);
  }
  return { text: out.join('\n'), tokens };
}
const count = (line) => line.split(/\s+/).filter(Boolean).length;

/** Pasted text → the reading of the native tools: tokens separated by spaces, one sentence per line. */
function userText(raw, lower) {
  let t = lower ? raw.toLowerCase() : raw;
  t = t.replace(/([.,;:!?()"“”])/g, ' $1 ').replace(/[ \t]+/g, ' ');
  // One sentence per line: break after . ! ? as well as at newlines.
  t = t.replace(/ ([.!?]) /g, ' $1\n');
  const lines = t
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { text: lines.join('\n'), tokens: lines.reduce((n, l) => n + count(l), 0) };
}

function need(fn) {
  if (model === undefined) throw new Error(`${fn}: train a model first`);
  return model;
}

function word(w, what = 'word') {
  const s = String(w ?? '')
    .trim()
    .toLowerCase();
  if (s === '' || /\s/.test(s)) throw new Error(`${what} must be one word, got ${JSON.stringify(String(w ?? ''))}`);
  return s;
}

/** Vector of a word, or a message why there is none (word2vec: not in the vocabulary). */
function lookup(m, w) {
  if (m.known.has(w)) return { vector: m.m.vector(w), oov: false };
  if (m.kind === 'fasttext') return { vector: m.m.vector(w), oov: true };
  return { vector: undefined, oov: true };
}

serve({
  async init() {
    return initCore();
  },

  async train(p, emit) {
    // The run's controller before any await: a Stop while the core loads must reach this run.
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const info = await initCore();
    const corpus =
      p.corpus === 'text' ? userText(p.text ?? '', p.lower !== false) : await brownText(p.size ?? Infinity);
    if (corpus.tokens === 0) throw new Error('the text is empty: paste some sentences or pick Brown');
    emit({ type: 'corpus', tokens: corpus.tokens });
    model?.m.dispose?.();
    model = undefined;
    const threads = info.threads;
    const report = (r) => emit({ type: 'progress', threads, ...r });
    const r =
      p.algo === 'fasttext'
        ? await trainFastText(corpus.text, p, { threads, signal, report })
        : await trainWord2Vec(corpus.text, p, { threads, signal, report });
    const words = r.model.words.filter((w) => w !== '</s>');
    model = { kind: p.algo === 'fasttext' ? 'fasttext' : 'word2vec', m: r.model, known: new Set(words) };
    return {
      algo: model.kind,
      stopped: r.stopped,
      seconds: r.seconds,
      wordsPerSec: r.wordsPerSec,
      vocab: words.length,
      tokens: corpus.tokens,
      threads,
      top: words.slice(0, 30),
    };
  },

  stop() {
    // The library checks the signal between kernel calls and yields to this worker's event loop
    // about every 50 ms, so this message arrives during training; the model trained so far is kept.
    controller?.abort();
    return true;
  },

  neighbours({ word: w, k = 10 }) {
    const m = need('neighbours');
    const q = word(w);
    const { vector, oov } = lookup(m, q);
    if (vector === undefined) return { word: q, oov: true, missing: true, rows: [] };
    return { word: q, oov, missing: false, rows: m.m.mostSimilar(q, k) };
  },

  analogy({ a, b, c, k = 8 }) {
    // The page writes a − b + c (king − man + woman); the library's analogy(x, y, z) is y − x + z.
    const m = need('analogy');
    const ws = [word(a, 'the first word'), word(b, 'the second word'), word(c, 'the third word')];
    const missing = ws.filter((w) => !m.known.has(w));
    if (m.kind === 'word2vec' && missing.length > 0) return { missing, oov: missing, rows: [] };
    return { missing: [], oov: missing, rows: m.m.analogy(ws[1], ws[0], ws[2], k) };
  },

  pca({ groups }) {
    const m = need('pca');
    const items = [];
    const missing = [];
    groups.forEach((g, gi) => {
      for (const raw of g) {
        const w = word(raw);
        if (items.some((it) => it.word === w)) continue;
        const { vector, oov } = lookup(m, w);
        if (vector === undefined) missing.push(w);
        else items.push({ word: w, group: gi, oov, vector });
      }
    });
    if (items.length < 3)
      throw new Error(
        `the map needs at least 3 known words, got ${items.length}${missing.length ? ` (not in vocabulary: ${missing.join(', ')})` : ''}`,
      );
    const { points, explained } = pca2(items.map((it) => it.vector));
    return {
      points: items.map((it, i) => ({ word: it.word, group: it.group, oov: it.oov, x: points[i][0], y: points[i][1] })),
      missing,
      explained,
    };
  },
});
