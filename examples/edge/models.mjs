// The two models of the edge example, sized for Cloudflare Workers, trained in
// Node from the canonical data (docs/data.md, src/data):
//   spam.bin     a fastText-style spam classifier (FastTextClassifier, native fastText .bin)
//   vectors.bin  skip-gram word vectors of Brown (Word2Vec), the most frequent words, word2vec C binary
//   meta.json    the settings and measured figures (the worker reports them in /health)
// Used by train.mjs (npm run edge:train) and by tests/node/edge.test.ts. Needs `npm run build`
// (dist/: wasm-nlp and wasm-nlp/node). Node only.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where train.mjs writes the models and rollup the worker (config.capnp embeds from here). */
export const BUILD_DIR = fileURLToPath(new URL('./build/', import.meta.url));
/** The model files, by the names the worker imports them under. */
export const MODEL_FILES = ['spam.bin', 'vectors.bin', 'meta.json'];

/**
 * The classifier's settings, chosen on a validation cut of the training split
 * (its last 20%; the test split untouched; table in docs/edge.md): on these
 * 4,833 e-mails word bigrams (and so hash buckets) did not help, and dropping
 * rare words did: minCount 100 scored best, in a 0.15 MB model.
 */
export const CLASSIFIER = { dim: 16, wordNgrams: 1, bucket: 0, minCount: 100, epoch: 25, lr: 0.1, seed: 1 };
/** The word vectors' settings; `keep` = rows written (most frequent first, `</s>` dropped). */
export const VECTORS = {
  dim: 50,
  window: 5,
  negative: 5,
  sample: 1e-4,
  minCount: 5,
  epochs: 10,
  seed: 1,
  keep: 10_000,
};

const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

/** The library's Node build and its Node-only data loaders (exit hint when not built). */
async function library() {
  const lib = join(ROOT, 'dist', 'wasm-nlp.node.js');
  if (!existsSync(lib)) throw new Error(`examples/edge: ${lib} is missing; run \`npm run build\` first`);
  return { ...(await import('wasm-nlp')), ...(await import('wasm-nlp/node')) };
}

/**
 * Train both models and write them into `outDir` (created). Deterministic: the
 * same code and data give the same bytes. `log` gets one line per step.
 * Returns the figures also written to meta.json.
 */
export async function trainEdgeModels({ outDir = BUILD_DIR, log = console.log } = {}) {
  const t0 = performance.now();
  const L = await library();
  await L.init();
  mkdirSync(outDir, { recursive: true });

  // ---- classifier: the canonical SpamAssassin split (lines `__label__spam tok tok ...`)
  const split = L.spamSplit(L.loadSpam());
  const t1 = performance.now();
  const clf = await L.FastTextClassifier.train(L.toLines(split.train), CLASSIFIER);
  let classifier;
  try {
    const res = clf.test(L.toLines(split.test));
    const bytes = clf.toBytes();
    writeFileSync(join(outDir, 'spam.bin'), bytes);
    const nwords = clf.words.filter((e) => e.type === 'word').length;
    classifier = {
      file: 'spam.bin',
      settings: CLASSIFIER,
      words: nwords,
      labels: clf.labels.map((l) => l.replace(/^__label__/, '')),
      rows: nwords + CLASSIFIER.bucket,
      testAccuracy: res.precision,
      testN: res.n,
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes).length,
      trainSeconds: (performance.now() - t1) / 1e3,
    };
  } finally {
    clf.dispose();
  }
  log(
    `classifier: dim ${CLASSIFIER.dim}, wordNgrams ${CLASSIFIER.wordNgrams}, ${CLASSIFIER.bucket.toLocaleString('en')} hash buckets, ` +
      `${classifier.words.toLocaleString('en')} words (minCount ${CLASSIFIER.minCount}), epoch ${CLASSIFIER.epoch}: ` +
      `test accuracy ${(100 * classifier.testAccuracy).toFixed(2)}% (N = ${classifier.testN}), ` +
      `spam.bin ${mb(classifier.bytes)} (gzip ${mb(classifier.gzipBytes)}), ${classifier.trainSeconds.toFixed(1)} s`,
  );

  // ---- word vectors: skip-gram on Brown (one lower-cased sentence per line), the `keep` most frequent words
  const t2 = performance.now();
  const text = L.brownText(L.loadBrown());
  const { keep, ...w2vOptions } = VECTORS;
  const w2v = new L.Word2Vec(w2vOptions);
  const trained = await w2v.train(text, { threads: 1 });
  const all = w2v.words;
  const W = w2v.vectors;
  const rows = [];
  for (let i = 0; i < all.length && rows.length < keep; i++) if (all[i] !== L.EOS) rows.push(i);
  const data = new Float32Array(rows.length * VECTORS.dim);
  rows.forEach((r, j) => data.set(W.subarray(r * VECTORS.dim, (r + 1) * VECTORS.dim), j * VECTORS.dim));
  const vbytes = L.writeWord2VecBin({ words: rows.map((r) => all[r]), dim: VECTORS.dim, data });
  w2v.dispose();
  writeFileSync(join(outDir, 'vectors.bin'), vbytes);
  const vectors = {
    file: 'vectors.bin',
    settings: VECTORS,
    words: rows.length,
    vocabulary: all.length,
    tokens: trained.words,
    bytes: vbytes.length,
    gzipBytes: gzipSync(vbytes).length,
    trainSeconds: (performance.now() - t2) / 1e3,
  };
  log(
    `vectors: skip-gram dim ${VECTORS.dim}, ${VECTORS.epochs} epochs on Brown (${vectors.vocabulary.toLocaleString('en')} words with minCount ${VECTORS.minCount}), ` +
      `top ${vectors.words.toLocaleString('en')} kept: vectors.bin ${mb(vectors.bytes)} (gzip ${mb(vectors.gzipBytes)}), ${vectors.trainSeconds.toFixed(1)} s`,
  );

  const meta = {
    classifier,
    vectors,
    trainedAt: new Date().toISOString().slice(0, 10),
    seconds: (performance.now() - t0) / 1e3,
  };
  writeFileSync(join(outDir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  log(`models written to ${outDir} in ${meta.seconds.toFixed(1)} s`);
  return meta;
}

/** True when `dir` holds every model file. */
export function modelsExist(dir = BUILD_DIR) {
  return MODEL_FILES.every((f) => existsSync(join(dir, f)));
}
