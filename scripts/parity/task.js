// The parity task: the same computation in every runtime (Node, Chromium,
// workerd), digested so that the runtimes can be compared bit for bit.
// Plain ESM with no imports: the caller passes the wasm-nlp module namespace
// (already init()ed, one thread), so the same file runs from
// dist/wasm-nlp.node.js, dist/wasm-nlp.browser.js, dist/wasm-nlp.workerd.js or
// an installed 'wasm-nlp' package (tests/node/pack.test.ts).
//
//   1. fastText: a FastTextClassifier trained on a fixed synthetic corpus (seeded,
//      fixed epochs, one thread); digest of its .bin bytes (all weights) and of
//      the label probabilities of a few test lines.
//   2. Transformer: a seeded TextClassifier (2 pre-norm layers, learned positions,
//      GELU); digest of a forward pass (class probabilities of a padded batch),
//      then of its weights after a few AdamW steps of fit() and of the forward
//      pass again.
//   A never-aborted AbortSignal is passed to both trainings: it must not change a bit.
//   3. matmul: a 3x4 by 4x2 product, printed (a sanity value, not digested).

/** A small deterministic integer generator (xorshift32): no Math.random, same sequence everywhere. */
function xorshift(seed) {
  let s = (seed * 2654435761 + 1) >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

const TOPICS = {
  sport: ['match', 'goal', 'team', 'coach', 'league', 'score', 'player', 'season', 'win', 'cup'],
  food: ['bread', 'soup', 'cheese', 'recipe', 'oven', 'salt', 'sugar', 'dinner', 'bake', 'taste'],
  tech: ['code', 'chip', 'wasm', 'kernel', 'compile', 'memory', 'thread', 'vector', 'byte', 'cache'],
};
const COMMON = [
  'the',
  'a',
  'of',
  'and',
  'to',
  'in',
  'is',
  'it',
  'was',
  'for',
  'on',
  'with',
  'at',
  'by',
  'this',
  'that',
];

/** `n` fastText-format lines "__label__<topic> w1 w2 ..." from `seed`. */
export function syntheticCorpus(n, seed) {
  const next = xorshift(seed);
  const labels = Object.keys(TOPICS);
  const lines = [];
  for (let i = 0; i < n; i++) {
    const label = labels[next(labels.length)];
    const words = [];
    const len = 5 + next(8);
    for (let j = 0; j < len; j++) {
      // 60% topic words, 30% common words, 10% words of another topic (noise)
      const r = next(10);
      const pool = r < 6 ? TOPICS[label] : r < 9 ? COMMON : TOPICS[labels[next(labels.length)]];
      words.push(pool[next(pool.length)]);
    }
    lines.push(`__label__${label} ${words.join(' ')}`);
  }
  return lines;
}

function concatFloat32(arrays) {
  const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** SHA-256 of bytes (a typed array), as hex: crypto.subtle exists in Node >= 20, Chromium (secure contexts) and workerd. */
export async function sha256(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Run the task with module namespace `w` (initialised, one thread). `seed`
 * changes every seeded piece (the perturbation check uses it). Returns the
 * digests, a few readable values, and one combined digest.
 */
export async function parityTask(w, { seed = 1 } = {}) {
  const t0 = performance.now();
  const out = {};

  // matmul: a readable sanity value
  const a = w.Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4]);
  const b = w.Tensor.fromArray([0.5, -1, 0.25, 2, -0.75, 1.5, 1, 0], [4, 2]);
  const c = w.ops.matmul(a, b);
  out.matmul = Array.from(c.toArray());
  a.dispose();
  b.dispose();
  c.dispose();

  // 1. fastText classifier
  const train = syntheticCorpus(500, 7);
  const test = syntheticCorpus(20, 8).map((l) => l.slice(l.indexOf(' ') + 1));
  const ft = await w.FastTextClassifier.train(train.join('\n') + '\n', {
    dim: 16,
    epoch: 5,
    lr: 0.5,
    wordNgrams: 2,
    bucket: 4096,
    minCount: 1,
    seed,
    loss: 'softmax',
    signal: new AbortController().signal, // never aborted: the same bits, but the loop yields to the host (HostYield) in each runtime
  });
  out.fasttextModel = await sha256(ft.toBytes());
  out.fasttextProbs = await sha256(concatFloat32(ft.probabilities(test)));
  out.fasttextPredict = ft.predict(test[0], 1).map((p) => `${p.label} ${p.prob.toFixed(6)}`)[0];
  ft.dispose();

  // 2. Transformer encoder classifier
  const vocab = 40;
  const next = xorshift(seed + 100);
  const seqs = Array.from({ length: 24 }, () => Array.from({ length: 3 + next(10) }, () => 1 + next(vocab - 1)));
  const clf = new w.TextClassifier({
    vocabSize: vocab,
    numClasses: 3,
    dim: 32,
    heads: 4,
    layers: 2,
    ffn: 64,
    maxLen: 16,
    seed,
    dropout: 0.1,
    attentionDropout: 0.1,
  });
  const inputs = seqs.map((ids) => ({ ids }));
  out.transformerForward = await sha256(concatFloat32(clf.predictBatch(inputs, { batchSize: 8 })));
  // label: does token 1..13 appear more than 14..39 (a learnable rule); a few AdamW steps with dropout
  const examples = seqs.map((ids) => ({
    ids,
    label: ids.filter((t) => t < 14).length * 2 > ids.length ? 1 : ids[0] % 2 === 0 ? 0 : 2,
  }));
  const fit = await clf.fit(examples, {
    epochs: 2,
    batchSize: 8,
    lr: 3e-3,
    warmup: 0.2,
    signal: new AbortController().signal,
  });
  out.transformerSteps = fit.steps;
  out.transformerTrainLoss = fit.trainLoss;
  out.transformerWeights = await sha256(clf.toSafetensors());
  out.transformerForwardAfter = await sha256(concatFloat32(clf.predictBatch(inputs, { batchSize: 8 })));
  clf.dispose();

  const parts = [
    'fasttextModel',
    'fasttextProbs',
    'transformerForward',
    'transformerWeights',
    'transformerForwardAfter',
  ];
  out.digest = await sha256(
    new TextEncoder().encode(
      parts.map((k) => out[k]).join('\n') + `\n${out.matmul.join(',')}\n${out.transformerTrainLoss}`,
    ),
  );
  out.ms = Math.round(performance.now() - t0);
  return out;
}
