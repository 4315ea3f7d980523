// Part-of-speech tagging of the Brown corpus with a small Transformer encoder and
// fastText-style sub-word features, on the canonical FILE split and the normalised
// tag set (docs/data.md), beside the most-frequent-tag baseline.
//   npm run pos                                (builds, then the full configuration)
//   node examples/pos-brown.mjs --quick        (a smoke run of a few seconds)
//   node examples/pos-brown.mjs --resume       (continue from the last checkpoint)
// Writes runs/pos/checkpoint.bin every epoch (atomically), runs/pos/model.safetensors
// at the end, and its section of docs/results.md.
import { init, SequenceTagger, brownFileSplit, computeSubwords } from 'wasm-nlp';
import {
  duration,
  fitWithCheckpoints,
  fromRoot,
  int,
  machine,
  parameterCount,
  parseFlags,
  pct,
  writeResultsSection,
} from './lib.mjs';
import { loadBrown, writeBytesAtomic, readBytes } from 'wasm-nlp/node';

const t0 = performance.now();
const DEFAULTS = {
  epochs: 5,
  dim: 128,
  layers: 1,
  heads: 4,
  ffn: 0,
  maxLen: 256,
  batch: 32,
  lr: 2e-3,
  warmup: 0.05,
  dropout: 0.1,
  minCount: 2,
  buckets: 50000,
  minn: 2,
  maxn: 5,
  threads: 1,
  seed: 1,
  limit: 0,
  testLimit: 0,
  dir: 'runs/pos',
  results: 'docs/results.md',
  resume: false,
  quick: false,
  stopAfter: 0,
};
const QUICK = {
  epochs: 1,
  dim: 16,
  layers: 1,
  heads: 2,
  maxLen: 256,
  batch: 16,
  buckets: 1000,
  limit: 300,
  testLimit: 100,
  dir: 'runs/pos-quick',
  results: '',
};
const USAGE = `usage: node examples/pos-brown.mjs [--quick] [--resume] [--epochs N] [--dim N] [--layers N] [--heads N] [--ffn N]
  [--max-len N] [--batch N] [--lr X] [--warmup F] [--dropout X] [--min-count N] [--buckets N] [--minn N] [--maxn N]
  [--threads N] [--seed N] [--limit N] [--test-limit N] [--dir runs/pos] [--results docs/results.md|''] [--stop-after EPOCHS]`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);

await init({ threads: o.threads });

// ---- data: the file split (file i: test if i % 10 == 0, valid if 1, else train), normalised tags
const corpus = loadBrown();
const files = brownFileSplit(corpus);
const sentencesOf = (fs) => fs.flatMap((f) => f.sentences);
let train = sentencesOf(files.train);
let valid = sentencesOf(files.valid);
let test = sentencesOf(files.test);
if (o.limit > 0) {
  train = train.slice(0, o.limit);
  valid = valid.slice(0, Math.ceil(o.limit / 4));
}
if (o.testLimit > 0) test = test.slice(0, o.testLimit);
const count = (ss) => ss.reduce((n, s) => n + s.words.length, 0);

// Tag ids: the normalised tag set of the whole corpus (an inventory of labels, sorted),
// so a test tag never seen in training is a class the model simply never learned.
const tagSet = new Set();
for (const s of corpus.sentences) for (const t of s.tags) tagSet.add(t);
const tagList = [...tagSet].sort();
const tagId = new Map(tagList.map((t, i) => [t, i]));

// Word counts and tag counts in train (case kept: "May" and "may" differ).
const wordCount = new Map();
const wordTags = new Map(); // word -> Map(tag -> count)
const tagCount = new Map();
for (const s of train) {
  for (let i = 0; i < s.words.length; i++) {
    const w = s.words[i],
      t = s.tags[i];
    wordCount.set(w, (wordCount.get(w) ?? 0) + 1);
    tagCount.set(t, (tagCount.get(t) ?? 0) + 1);
    let m = wordTags.get(w);
    if (!m) wordTags.set(w, (m = new Map()));
    m.set(t, (m.get(t) ?? 0) + 1);
  }
}

// ---- the most-frequent-tag baseline: each train word's most frequent tag (ties: the
// tag seen first); an unseen word gets the most frequent tag of all (`nn`).
const argmax = (m) => {
  let best,
    bc = -1;
  for (const [k, c] of m) {
    if (c > bc) {
      best = k;
      bc = c;
    }
  }
  return best;
};
const topTag = argmax(tagCount);
const baselineTag = new Map([...wordTags].map(([w, m]) => [w, argmax(m)]));
const isUnseen = (w) => !wordCount.has(w);

// Vocabulary from train: words seen >= minCount times, most frequent first; id 0 = padding,
// 1 = unknown. Rarer train words map to unknown too, so the model learns to tag unknown
// words from their sub-words alone, as it must for the test's unseen words.
const PAD = 0,
  UNK = 1;
const kept = [...wordCount].filter(([, c]) => c >= o.minCount).sort((a, b) => b[1] - a[1]);
const vocab = new Map(kept.map(([w], i) => [w, i + 2]));
const vocabSize = kept.length + 2;

// Sub-words: the hashed character n-grams (minn..maxn characters of "<word>", fastText's
// hash) of every token, in [0, buckets); computed once per word type.
const subwordCache = new Map();
const subwordsOf = (w) => {
  let s = subwordCache.get(w);
  if (!s) subwordCache.set(w, (s = Int32Array.from(computeSubwords(w, o.minn, o.maxn, o.buckets, 0))));
  return s;
};
const encode = (s) => {
  const n = Math.min(o.maxLen, s.words.length);
  const ids = new Int32Array(n),
    tags = new Int32Array(n),
    subwords = new Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = vocab.get(s.words[i]) ?? UNK;
    tags[i] = tagId.get(s.tags[i]);
    subwords[i] = subwordsOf(s.words[i]);
  }
  return { ids, tags, subwords };
};
const trainEx = train.map(encode);
const validEx = valid.map(encode);
const testEx = test.map(encode);
const testTokens = count(test);
let unseenTokens = 0;
for (const s of test) for (const w of s.words) if (isUnseen(w)) unseenTokens++;
const prepSeconds = (performance.now() - t0) / 1e3;
console.log(
  `Brown file split: train ${int(train.length)} sentences / ${int(count(train))} tokens, valid ${int(valid.length)} / ${int(count(valid))}, ` +
    `test ${int(test.length)} / ${int(testTokens)} (${int(unseenTokens)} tokens = ${pct(unseenTokens / testTokens)} unseen in train); ` +
    `${tagList.length} tags (${tagCount.size} in train); vocab ${int(vocabSize)} ids (min count ${o.minCount}); ` +
    `sub-words ${o.minn}-${o.maxn} chars in ${int(o.buckets)} buckets; data ready in ${prepSeconds.toFixed(1)} s`,
);

// ---- baseline on test
let baseRight = 0,
  baseUnseenRight = 0;
for (const s of test) {
  for (let i = 0; i < s.words.length; i++) {
    const w = s.words[i];
    const ok = (baselineTag.get(w) ?? topTag) === s.tags[i];
    if (ok) baseRight++;
    if (ok && isUnseen(w)) baseUnseenRight++;
  }
}
const baseAcc = baseRight / testTokens;
const baseUnseenAcc = baseUnseenRight / Math.max(1, unseenTokens);
console.log(
  `most-frequent-tag baseline: test ${pct(baseAcc)} (${int(baseRight)}/${int(testTokens)}), unseen words ${pct(baseUnseenAcc)} (all tagged ${topTag})`,
);

// ---- model
const config = {
  vocabSize,
  numTags: tagList.length,
  dim: o.dim,
  layers: o.layers,
  heads: o.heads,
  ffn: o.ffn > 0 ? o.ffn : 4 * o.dim,
  maxLen: o.maxLen,
  norm: 'pre',
  positions: 'learned',
  activation: 'gelu',
  dropout: o.dropout,
  attentionDropout: o.dropout,
  padId: PAD,
  seed: o.seed,
  subwordBuckets: o.buckets,
};
const model = new SequenceTagger(config);
const params = parameterCount(model);
console.log(
  `SequenceTagger: d ${o.dim}, ${o.layers} layers, ${o.heads} heads, FFN ${config.ffn}, sub-word buckets ${int(o.buckets)}, ` +
    `${int(params)} parameters; ${o.epochs} epochs, batch ${o.batch}, AdamW lr ${o.lr}, threads ${o.threads}`,
);

// ---- training, validation accuracy after each epoch, a checkpoint every epoch (and --resume)
const { fit, fitSeconds, resumedAt, checkpointsWritten } = await fitWithCheckpoints(model, trainEx, o, {
  valid: validEx,
  writeBytesAtomic,
  readBytes,
});

// ---- evaluation: token accuracy on test, and on the tokens whose word never occurs in train
const ev = model.evaluate(testEx, { batchSize: 64 });
let right = 0,
  unseenRight = 0;
const preds = model.predictBatch(testEx, { batchSize: 64 });
for (let k = 0; k < test.length; k++) {
  const s = test[k],
    e = testEx[k],
    pred = preds[k];
  for (let i = 0; i < e.ids.length; i++) {
    const ok = pred[i] === e.tags[i];
    if (ok) right++;
    if (ok && isUnseen(s.words[i])) unseenRight++;
  }
}
const acc = right / testTokens;
const unseenAcc = unseenRight / Math.max(1, unseenTokens);
const bytes = model.toSafetensors();
await writeBytesAtomic(`${fromRoot(o.dir)}/model.safetensors`, bytes);
const wall = (performance.now() - t0) / 1e3;

console.log(
  `\ntest token accuracy ${pct(acc)} (${int(right)}/${int(testTokens)}; evaluate(): ${pct(ev.accuracy)}, loss ${ev.loss.toFixed(4)}), ` +
    `unseen words ${pct(unseenAcc)} (${int(unseenRight)}/${int(unseenTokens)})`,
);
console.log(
  `baseline (most frequent tag per word, unseen → ${topTag}): test ${pct(baseAcc)}, unseen words ${pct(baseUnseenAcc)}`,
);
console.log(
  `valid accuracy ${fit.validAccuracy === undefined ? '?' : pct(fit.validAccuracy)}, train loss ${fit.trainLoss.toFixed(4)}, ` +
    `${fit.steps} steps in ${duration(fitSeconds)}; wall time ${duration(wall)} (data ${prepSeconds.toFixed(1)} s)` +
    `${resumedAt ? ' — this process only, resumed' : ''}; ${int(params)} parameters, model.safetensors ${(bytes.length / 2 ** 20).toFixed(1)} MiB; ` +
    `checkpoints written: ${checkpointsWritten}`,
);

if (o.results) {
  const m = machine();
  const hist = fit.history
    .map(
      (h) =>
        `${h.epoch}: loss ${h.loss.toFixed(4)}${h.validAccuracy === undefined ? '' : `, valid ${pct(h.validAccuracy)}`}`,
    )
    .join('; ');
  const md = `## Part-of-speech tagging, Brown (Transformer + sub-words) — \`npm run pos\`

\`examples/pos-brown.mjs\`, ${m.date}, Node ${m.node}, ${m.cpu}, threads ${o.threads}${resumedAt ? ' (resumed from a checkpoint: the wall time is the last process only)' : ''}.

| | |
|---|---|
| data | Brown file split: train ${int(train.length)} sentences / ${int(count(train))} tokens, valid ${int(count(valid))} tokens, test ${int(testTokens)} tokens (${pct(unseenTokens / testTokens)} unseen in train) |
| tags | the ${tagList.length} normalised tags (\`-tl\` \`-hl\` \`-nc\` removed; ${tagCount.size} occur in train) |
| input | words (case kept), vocab ${int(vocabSize)} ids from train (min count ${o.minCount}; rarer words → unknown), pad 0, unknown 1; + hashed character ${o.minn}–${o.maxn}-grams of \`<word>\` in ${int(o.buckets)} buckets |
| model | SequenceTagger: d ${o.dim}, ${o.layers} layer(s) (pre-norm), ${o.heads} heads, FFN ${config.ffn}, GELU, learned positions, dropout ${o.dropout}; ${int(params)} parameters, ${(bytes.length / 2 ** 20).toFixed(1)} MiB safetensors |
| training | ${o.epochs} epochs, batch ${o.batch} sentences, AdamW lr ${o.lr} (warm-up ${o.warmup}, linear decay), seed ${o.seed}; ${fit.steps} steps |
| **test token accuracy** | **${pct(acc)}**; unseen words ${pct(unseenAcc)} |
| baseline: most frequent tag | ${pct(baseAcc)}; unseen words ${pct(baseUnseenAcc)} (per word from train; unseen → \`${topTag}\`) |
| time | wall ${duration(wall)} (data prep ${prepSeconds.toFixed(1)} s, training ${duration(fitSeconds)}) |

Per epoch: ${hist}.`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'pos', md)}`);
}
model.dispose();
