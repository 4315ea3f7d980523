// Bengio et al. (2003), "A Neural Probabilistic Language Model", on the Brown corpus:
// the MLP language model against interpolated modified Kneser-Ney 3- and 5-gram
// models on the same vocabulary and split, and the two mixed (weight chosen on
// validation), as in the paper's Table 1.
//   npm run bengio                              (builds, then the full configuration)
//   node examples/bengio-brown.mjs --quick      (a smoke run of a few seconds)
//   node examples/bengio-brown.mjs --resume     (continue from the last checkpoint)
//   node examples/bengio-brown.mjs --stop-after 4   (stop after epoch 4; --resume later)
// Data: the LM split of docs/data.md (first 800,000 tokens train, next 200,000
// validation, the rest test), case and punctuation kept, each part one stream of
// words; words seen fewer than 4 times in train → <unk>. Writes
// runs/bengio/checkpoint.bin (atomically) every epoch and every --checkpoint-every
// steps, runs/bengio/model.safetensors at the end, and its section of docs/results.md.
import {
  init,
  NeuralLM,
  KneserNey,
  brownLmSplit,
  lmVocab,
  encodeStream,
  fitMixtureWeight,
  mixtureProbs,
  perplexityOf,
} from 'wasm-nlp';
import {
  brownLmStreams,
  duration,
  fitLanguageModel,
  fromRoot,
  int,
  kneserNeyBaseline,
  lmSamples,
  machine,
  parseFlags,
  pct,
  writeResultsSection,
} from './lib.mjs';
import { loadBrown, writeBytesAtomic, readBytes } from 'wasm-nlp/node';

const t0 = performance.now();
const DEFAULTS = {
  epochs: 15,
  context: 4,
  dim: 100,
  hidden: 200,
  direct: false,
  tied: false,
  dropout: 0.3,
  batch: 512,
  lr: 1e-3,
  weightDecay: 0,
  patience: 2,
  lrDecay: 0.5,
  minCount: 4,
  threads: 2,
  seed: 1,
  limit: 0,
  checkpointEvery: 500,
  dir: 'runs/bengio',
  results: 'docs/results.md',
  resume: false,
  quick: false,
  stopAfter: 0,
};
const QUICK = {
  epochs: 2,
  dim: 16,
  hidden: 32,
  batch: 64,
  limit: 20000,
  dir: 'runs/bengio-quick',
  results: '',
  threads: 1,
  checkpointEvery: 0,
};
const USAGE = `usage: node examples/bengio-brown.mjs [--quick] [--resume] [--epochs N] [--context N] [--dim M] [--hidden H] [--direct] [--tied]
  [--dropout X] [--batch N] [--lr X] [--weight-decay X] [--patience N] [--lr-decay X] [--min-count N] [--threads N] [--seed N]
  [--limit TOKENS] [--checkpoint-every STEPS] [--dir runs/bengio] [--results docs/results.md|''] [--stop-after EPOCHS]`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);

await init({ threads: o.threads });

// ---- data: the LM split; vocabulary from train (count >= minCount), 0 = <unk>, 1 = <s> (padding before a stream's start)
const data = brownLmStreams(o, { loadBrown, brownLmSplit, lmVocab, encodeStream });
const { parts, vocab, V, UNK, BOS, train, valid, test, unkRate } = data;
const types = new Set(parts.train.flat()).size;
const prepSeconds = (performance.now() - t0) / 1e3;
console.log(
  `Brown LM split: train ${int(train.length)} tokens (${int(types)} types), valid ${int(valid.length)}, test ${int(test.length)}; ` +
    `vocabulary ${int(V)} (train count >= ${o.minCount}, + <unk> + <s>; case and punctuation kept); <unk> rate train ${pct(unkRate(train))}, ` +
    `valid ${pct(unkRate(valid))}, test ${pct(unkRate(test))}; data ready in ${prepSeconds.toFixed(1)} s`,
);

// ---- baselines: interpolated modified Kneser-Ney, n = 3 and 5
const kn = {};
for (const order of [3, 5]) {
  kn[order] = kneserNeyBaseline(KneserNey, perplexityOf, data, order, { withTrain: true });
  console.log(
    `Kneser-Ney ${order}-gram (interpolated, modified): train ppl ${kn[order].train.toFixed(1)}, valid ${kn[order].valid.toFixed(1)}, ` +
      `test ${kn[order].test.toFixed(1)} (${kn[order].seconds.toFixed(1)} s)`,
  );
}

// ---- the neural model
const config = {
  vocabSize: V,
  context: o.context,
  embeddingDim: o.dim,
  hidden: o.hidden,
  direct: o.direct,
  tied: o.tied,
  dropout: o.dropout,
  unk: UNK,
  bos: BOS,
  seed: o.seed,
};
const model = new NeuralLM(config, vocab.words);
const params = model.parameterCount();
console.log(
  `NeuralLM: n ${o.context + 1} (context ${o.context}), m ${o.dim}, h ${o.hidden}, direct ${o.direct ? 'yes' : 'no'}, ` +
    `tied ${o.tied ? 'yes' : 'no'}, dropout ${o.dropout}; ${int(params)} parameters; up to ${o.epochs} epochs, batch ${o.batch}, ` +
    `Adam${o.weightDecay > 0 ? 'W' : ''} lr ${o.lr} (× ${o.lrDecay} after an epoch without a better validation perplexity, ` +
    `stop after ${o.patience} in a row), threads ${o.threads}`,
);

const { fit, fitSeconds, elapsed, before, finish } = await fitLanguageModel(
  model,
  train,
  o,
  {
    epochs: o.epochs,
    batchSize: o.batch,
    lr: o.lr,
    weightDecay: o.weightDecay,
    threads: o.threads,
    valid,
    patience: o.patience,
    lrDecay: o.lrDecay,
  },
  { t0, writeBytesAtomic, readBytes },
);

// ---- evaluation: perplexities, and the mixtures with the n-gram models (weight chosen on validation)
const e0 = performance.now();
const nnValid = model.tokenProbs(valid),
  nnTest = model.tokenProbs(test);
const nn = { train: model.evaluate(train).perplexity, valid: perplexityOf(nnValid), test: perplexityOf(nnTest) };
const mix = {};
for (const order of [3, 5]) {
  const { lambda } = fitMixtureWeight(nnValid, kn[order].validProbs);
  mix[order] = {
    lambda,
    valid: perplexityOf(mixtureProbs(nnValid, kn[order].validProbs, lambda)),
    test: perplexityOf(mixtureProbs(nnTest, kn[order].testProbs, lambda)),
  };
}
const evalSeconds = (performance.now() - e0) / 1e3;
const wall = elapsed();
const ref = kn[3].test;
const lower = (x) => {
  const d = (100 * (ref - x)) / ref;
  return d >= 0 ? `${d.toFixed(1)}% lower` : `${(-d).toFixed(1)}% higher`;
};
const fmt = (x) => (x === undefined ? '—' : x.toFixed(1));
const desc = `m ${o.dim}, h ${o.hidden}${o.direct ? ', direct' : ''}${o.tied ? ', tied' : ''}`;
const trainSeconds = fit.history.reduce((t, h) => t + h.seconds, 0);
const rows = [
  [
    'Kneser-Ney (interpolated, modified)',
    3,
    '—',
    '—',
    'no',
    'no',
    kn[3].train,
    kn[3].valid,
    kn[3].test,
    '—',
    kn[3].seconds,
  ],
  [
    'Kneser-Ney (interpolated, modified)',
    5,
    '—',
    '—',
    'no',
    'no',
    kn[5].train,
    kn[5].valid,
    kn[5].test,
    '—',
    kn[5].seconds,
  ],
  [
    'NeuralLM (MLP)',
    o.context + 1,
    o.hidden,
    o.dim,
    o.direct ? 'yes' : 'no',
    'no',
    nn.train,
    nn.valid,
    nn.test,
    fit.epochs,
    trainSeconds,
  ],
  [
    `NeuralLM + KN 3-gram (λ ${mix[3].lambda.toFixed(3)})`,
    o.context + 1,
    o.hidden,
    o.dim,
    o.direct ? 'yes' : 'no',
    'yes',
    undefined,
    mix[3].valid,
    mix[3].test,
    fit.epochs,
    undefined,
  ],
  [
    `NeuralLM + KN 5-gram (λ ${mix[5].lambda.toFixed(3)})`,
    o.context + 1,
    o.hidden,
    o.dim,
    o.direct ? 'yes' : 'no',
    'yes',
    undefined,
    mix[5].valid,
    mix[5].test,
    fit.epochs,
    undefined,
  ],
];
const table = [
  '| model | n | h | m | direct | mixture | train ppl | valid ppl | test ppl | vs KN 3-gram (test) | epochs | time |',
  '|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} | ${r[5]} | ${fmt(r[6])} | ${fmt(r[7])} | ${fmt(r[8])} | ${r[0].startsWith('Kneser') && r[1] === 3 ? '(reference)' : lower(r[8])} | ${r[9]} | ${r[10] === undefined ? '—' : r[10] < 60 ? `${r[10].toFixed(1)} s` : duration(r[10])} |`,
  ),
].join('\n');
console.log(`\n${table}\n`);
console.log(
  `wall time ${duration(wall)}${before.processes > 0 ? ` over ${before.processes + 1} processes (resumed)` : ''}: data ${prepSeconds.toFixed(1)} s, ` +
    `training ${duration(fitSeconds)} this process, evaluation ${evalSeconds.toFixed(0)} s; stopped: ${fit.stopped ? `early (best epoch ${fit.bestEpoch})` : 'no'}`,
);

// ---- what it learned: nearest neighbours in the embedding space, and samples
const probeWords = ['Monday', 'man', 'president', 'dollars', 'said', 'three', 'city', 'good', 'church', 'war'].filter(
  (w) => vocab.index.has(w),
);
const neighbours = probeWords.map(
  (w) =>
    `| ${w} | ${model
      .mostSimilar(w, 6)
      .map((n) => n.word)
      .join(', ')} |`,
);
console.log(`\nnearest neighbours (cosine of the input embeddings):\n${neighbours.join('\n')}`);
const samples = lmSamples(model);
console.log(`\nsamples (temperature 0.8, seeded):\n${samples.join('\n')}`);
console.log(
  `\nnext word after "the United": ${model
    .topNext('the United', 5)
    .map((n) => `${n.word} ${n.prob.toFixed(3)}`)
    .join(', ')}`,
);

await finish();

if (o.results) {
  const mc = machine();
  const md = `## Bengio et al. (2003) neural language model, Brown — \`npm run bengio\`

\`examples/bengio-brown.mjs\`, ${mc.date}, Node ${mc.node}, ${mc.cpu}, threads ${o.threads}.

Data: the LM split of docs/data.md (train ${int(train.length)} tokens, validation ${int(valid.length)}, test ${int(test.length)}), each part
one stream of words, case and punctuation kept as in the corpus; words seen fewer than ${o.minCount} times in train are one
\`<unk>\` token (${pct(unkRate(test))} of test tokens), giving a vocabulary of **${int(V)}** (with \`<unk>\` and the padding \`<s>\`;
the paper's copy of the corpus gave 16,383). Every model predicts each token from the ones before it in its part, \`<s>\` before the start.
Neural model: ${desc}, dropout ${o.dropout}, ${int(params)} parameters; Adam${o.weightDecay > 0 ? `W (decay ${o.weightDecay})` : ''}, lr ${o.lr},
batch ${o.batch}, × ${o.lrDecay} after an epoch without a better validation perplexity, early stopping after ${o.patience}; the best
validation epoch's weights (epoch ${fit.bestEpoch ?? '?'}) are the model. Mixture: λ·P_neural + (1−λ)·P_KN, λ chosen on validation.
Time: n-gram fit and scoring of the three parts; neural training including each epoch's validation (evaluation of the final model not included).

${table}

Wall time ${duration(wall)}${before.processes > 0 ? ` over ${before.processes + 1} processes (resumed from checkpoints)` : ''}: n-gram models and data
${duration(prepSeconds + kn[3].seconds + kn[5].seconds)}, neural training ${fit.steps} steps, evaluation ${evalSeconds.toFixed(0)} s.

Per epoch:
${fit.history.map((h) => `- epoch ${h.epoch}: train ppl ${Math.exp(h.loss).toFixed(1)} (running, dropout on), valid ppl ${h.validPerplexity?.toFixed(1) ?? '?'}, lr ${h.lr.toExponential(2)}, ${duration(h.seconds)} (${int(train.length / h.seconds)} tok/s incl. validation)`).join('\n')}

Nearest neighbours (cosine of the learned input embeddings):

| word | neighbours |
|---|---|
${neighbours.join('\n')}

Samples (temperature 0.8, seeded):

${samples.join('\n')}`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'bengio', md)}`);
}
model.dispose();
