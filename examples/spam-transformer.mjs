// Spam or ham: a small Transformer encoder classifier on the canonical
// SpamAssassin split (docs/data.md), trained from scratch.
//   npm run spam                                   (builds, then the full configuration)
//   node examples/spam-transformer.mjs --quick     (a smoke run of a few seconds)
//   node examples/spam-transformer.mjs --resume    (continue from the last checkpoint)
// Writes runs/spam/checkpoint.bin every epoch (atomically), runs/spam/model.safetensors
// at the end, and its section of docs/results.md.
import { init, TextClassifier, spamSplit } from 'wasm-nlp';
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
import { loadSpam, writeBytesAtomic, readBytes } from 'wasm-nlp/node';
// The vocabulary and ids, shared with the classifier demo (which loads this script's model.safetensors).
import { PAD, buildVocab, encodeTokens, parseLine, vocabIds, wordCounts } from './web/common/classifier-text.js';

const t0 = performance.now();
const DEFAULTS = {
  epochs: 4,
  dim: 64,
  layers: 2,
  heads: 4,
  ffn: 0,
  maxLen: 512,
  tail: 128,
  batch: 32,
  lr: 2e-3,
  warmup: 0.1,
  dropout: 0.2,
  minCount: 5,
  maxVocab: 30000,
  pooling: 'mean',
  threads: 1,
  seed: 1,
  limit: 0,
  testLimit: 0,
  dir: 'runs/spam',
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
  maxLen: 32,
  tail: 8,
  batch: 16,
  limit: 300,
  testLimit: 100,
  dir: 'runs/spam-quick',
  results: '',
};
const USAGE = `usage: node examples/spam-transformer.mjs [--quick] [--resume] [--epochs N] [--dim N] [--layers N] [--heads N] [--ffn N]
  [--max-len N] [--tail N] [--batch N] [--lr X] [--warmup F] [--dropout X] [--pooling mean|max|first] [--min-count N] [--max-vocab N] [--threads N] [--seed N]
  [--limit N] [--test-limit N] [--dir runs/spam] [--results docs/results.md|''] [--stop-after EPOCHS]`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);

await init({ threads: o.threads });

// ---- data: the canonical split, lines "__label__spam tok tok ..." ordered by md5(key)
const split = spamSplit(loadSpam());
let train = split.train.map(parseLine);
let test = split.test.map(parseLine);
if (o.limit > 0) train = train.slice(0, o.limit);
if (o.testLimit > 0) test = test.slice(0, o.testLimit);

// Vocabulary from the training e-mails only: words seen >= minCount times, most frequent
// first (ties: first occurrence), at most maxVocab; id 0 = padding, 1 = unknown.
const counts = wordCounts(train);
const kept = buildVocab(counts, o);
const vocab = vocabIds(kept);
const vocabSize = kept.length + 2;

// Ids: an e-mail longer than maxLen keeps its first maxLen - tail tokens (subject first, then
// the body) and its last `tail` (sign-offs, unsubscribe footers); an e-mail without tokens is [UNK].
if (!(o.tail >= 0 && o.tail < o.maxLen)) {
  console.error(`--tail must be in [0, --max-len), got ${o.tail}`);
  process.exit(2);
}
const encode = (e) => ({ ids: encodeTokens(e.tokens, vocab, o.maxLen, o.tail), label: e.label });
const trainEx = train.map(encode);
const trainTruncated = train.filter((e) => e.tokens.length > o.maxLen).length;
const testEx = test.map(encode);
const trainTokens = trainEx.reduce((s, e) => s + e.ids.length, 0);
const prepSeconds = (performance.now() - t0) / 1e3;
console.log(
  `SpamAssassin: train ${int(train.length)} e-mails (${int(train.filter((e) => e.label).length)} spam), ` +
    `test ${int(test.length)} (${int(test.filter((e) => e.label).length)} spam); vocab ${int(vocabSize)} ids (min count ${o.minCount}, ` +
    `of ${int(counts.size)} train words); longer e-mails: first ${o.maxLen - o.tail} + last ${o.tail} tokens kept (${pct(trainTruncated / train.length, 1)} of train e-mails cut), ` +
    `${int(trainTokens)} train tokens per epoch; data ready in ${prepSeconds.toFixed(1)} s`,
);

// ---- model
const config = {
  vocabSize,
  numClasses: 2,
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
  pooling: o.pooling,
};
const model = new TextClassifier(config);
const params = parameterCount(model);
console.log(
  `TextClassifier: d ${o.dim}, ${o.layers} layers, ${o.heads} heads, FFN ${config.ffn}, ${o.pooling} pooling, ${int(params)} parameters; ` +
    `${o.epochs} epochs, batch ${o.batch}, AdamW lr ${o.lr}, threads ${o.threads}`,
);

// ---- training, with a checkpoint every epoch (and --resume)
const { fit, fitSeconds, resumedAt, checkpointsWritten } = await fitWithCheckpoints(model, trainEx, o, {
  writeBytesAtomic,
  readBytes,
});

// ---- evaluation
const ev = model.evaluate(testEx, { batchSize: 64 });
let tp = 0,
  fp = 0,
  fn = 0;
const probs = model.predictBatch(testEx, { batchSize: 64 });
for (let k = 0; k < testEx.length; k++) {
  const e = testEx[k],
    p = probs[k];
  const spam = p[1] > p[0] ? 1 : 0;
  if (spam && e.label) tp++;
  else if (spam) fp++;
  else if (e.label) fn++;
}
const majority = Math.max(test.filter((e) => e.label).length, test.filter((e) => !e.label).length) / test.length;
const bytes = model.toSafetensors();
await writeBytesAtomic(`${fromRoot(o.dir)}/model.safetensors`, bytes);
const wall = (performance.now() - t0) / 1e3;

console.log(
  `\ntest accuracy ${pct(ev.accuracy)} (${int(ev.accuracy * ev.n)}/${int(ev.n)}), loss ${ev.loss.toFixed(4)}; ` +
    `spam precision ${pct(tp / Math.max(1, tp + fp))}, recall ${pct(tp / Math.max(1, tp + fn))} (${fp} ham flagged, ${fn} spam missed)`,
);
console.log(
  `baseline (majority class, ham): ${pct(majority)}; native fastText -wordNgrams 2 on this split: 98.2% (docs/data.md)`,
);
console.log(
  `train loss ${fit.trainLoss.toFixed(4)}, ${fit.steps} steps in ${duration(fitSeconds)}; wall time ${duration(wall)} ` +
    `(data ${prepSeconds.toFixed(1)} s)${resumedAt ? ' — this process only, resumed' : ''}; ${int(params)} parameters, ` +
    `model.safetensors ${(bytes.length / 2 ** 20).toFixed(1)} MiB; checkpoints written: ${checkpointsWritten}`,
);

if (o.results) {
  const m = machine();
  const hist = fit.history.map((h) => `${h.epoch}: loss ${h.loss.toFixed(4)}`).join(', ');
  const md = `## Spam classification (Transformer) — \`npm run spam\`

\`examples/spam-transformer.mjs\`, ${m.date}, Node ${m.node}, ${m.cpu}, threads ${o.threads}${resumedAt ? ' (resumed from a checkpoint: the wall time is the last process only)' : ''}.

| | |
|---|---|
| data | canonical SpamAssassin split: train ${int(train.length)} e-mails, test ${int(test.length)} |
| input | subject + body tokens; longer than ${o.maxLen}: the first ${o.maxLen - o.tail} and the last ${o.tail} kept (${pct(trainTruncated / train.length, 1)} of train e-mails cut); vocab ${int(vocabSize)} ids from train (min count ${o.minCount}), pad 0, unknown 1 |
| model | TextClassifier: d ${o.dim}, ${o.layers} layers (pre-norm), ${o.heads} heads, FFN ${config.ffn}, GELU, learned positions, ${o.pooling} pooling, dropout ${o.dropout}; ${int(params)} parameters, ${(bytes.length / 2 ** 20).toFixed(1)} MiB safetensors |
| training | ${o.epochs} epochs, batch ${o.batch}, AdamW lr ${o.lr} (warm-up ${o.warmup}, linear decay), seed ${o.seed}; ${fit.steps} steps, ${int(trainTokens)} tokens per epoch |
| **test accuracy** | **${pct(ev.accuracy)}** (${int(Math.round(ev.accuracy * ev.n))}/${int(ev.n)}); spam precision ${pct(tp / Math.max(1, tp + fp))}, recall ${pct(tp / Math.max(1, tp + fn))} |
| baseline | majority class (ham) ${pct(majority)}; native fastText (\`-wordNgrams 2 -epoch 25\`) 98.2% |
| time | wall ${duration(wall)} (data prep ${prepSeconds.toFixed(1)} s, training ${duration(fitSeconds)}) |

Per epoch: ${hist}.`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'spam', md)}`);
}
model.dispose();
