// An LSTM language model with unlimited history (Zaremba et al. 2014; the PyTorch
// word_language_model example) on the Brown corpus, trained by truncated
// back-propagation through time with the state carried across segments, beside the
// interpolated modified Kneser-Ney 5-gram model (recomputed here) and the Bengio et al.
// MLP of `npm run bengio` (its figures read from docs/results.md), on the same
// vocabulary and split; and the LSTM mixed with the 5-gram model (weight chosen on validation).
//   node examples/lstm-lm-brown.mjs                 (the full configuration; needs `npm run build`)
//   node examples/lstm-lm-brown.mjs --quick         (a smoke run of a few seconds)
//   node examples/lstm-lm-brown.mjs --resume        (continue from the last checkpoint)
//   node examples/lstm-lm-brown.mjs --stop-after 2  (stop after epoch 2; --resume later)
//   node examples/lstm-lm-brown.mjs --max-steps 100 (time 100 training steps, print tokens/s and the epoch estimate, exit)
// Data: the LM split of docs/data.md (first 800,000 tokens train, next 200,000 validation,
// the rest test), case and punctuation kept, each part one stream of words; words seen
// fewer than 4 times in train → <unk> (NeuralLM's vocabulary). Only validation perplexity
// chooses anything (the epoch whose weights are kept, the learning-rate decay, the mixture
// weight). Writes runs/lstm-lm/checkpoint.bin (atomically) every epoch and every
// --checkpoint-every steps, runs/lstm-lm/model.safetensors at the end, and its section of docs/results.md.
import {
  init,
  LstmLM,
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
  lmResultsRows,
  lmSamples,
  lmTable,
  machine,
  parseFlags,
  pct,
  writeResultsSection,
} from './lib.mjs';
import { loadBrown, writeBytesAtomic, readBytes } from 'wasm-nlp/node';

const t0 = performance.now();
const DEFAULTS = {
  epochs: 8,
  dim: 200,
  hidden: 200,
  layers: 2,
  dropout: 0.3,
  tied: true,
  batch: 32,
  bptt: 35,
  lr: 2e-3,
  clip: 1,
  weightDecay: 0,
  patience: 2,
  lrDecay: 0.5,
  evalBatch: 10,
  testBatch: 1,
  minCount: 4,
  threads: 2,
  seed: 1,
  limit: 0,
  checkpointEvery: 200,
  maxSteps: 0,
  dir: 'runs/lstm-lm',
  results: 'docs/results.md',
  resume: false,
  quick: false,
  stopAfter: 0,
};
const QUICK = {
  epochs: 2,
  dim: 16,
  hidden: 16,
  layers: 1,
  batch: 8,
  bptt: 12,
  limit: 20000,
  testBatch: 10,
  dir: 'runs/lstm-lm-quick',
  results: '',
  threads: 1,
  checkpointEvery: 0,
};
const USAGE = `usage: node examples/lstm-lm-brown.mjs [--quick] [--resume] [--epochs N] [--dim E] [--hidden H] [--layers N] [--dropout X]
  [--tied|--no-tied] [--batch N] [--bptt N] [--lr X] [--clip X] [--weight-decay X] [--patience N] [--lr-decay X] [--eval-batch N]
  [--test-batch N] [--min-count N] [--threads N] [--seed N] [--limit TOKENS] [--checkpoint-every STEPS] [--max-steps N]
  [--dir runs/lstm-lm] [--results docs/results.md|''] [--stop-after EPOCHS]`;
// --no-tied: parseFlags knows only `--tied` (true by default here), so read its negation first
const argv = process.argv.slice(2);
const untie = argv.includes('--no-tied');
const o = parseFlags(
  argv.filter((a) => a !== '--no-tied'),
  DEFAULTS,
  QUICK,
  USAGE,
);
if (untie) o.tied = false;
if (o.tied && o.dim !== o.hidden) {
  console.error(`--tied needs --dim equal to --hidden, got ${o.dim} and ${o.hidden} (or pass --no-tied)\n${USAGE}`);
  process.exit(2);
}

await init({ threads: o.threads });

// ---- data: the LM split; vocabulary from train (count >= minCount), 0 = <unk>, 1 = <s> (the first input of a stream)
const data = brownLmStreams(o, { loadBrown, brownLmSplit, lmVocab, encodeStream });
const { vocab, V, UNK, BOS, train, valid, test, unkRate } = data;
const prepSeconds = (performance.now() - t0) / 1e3;
console.log(
  `Brown LM split: train ${int(train.length)} tokens, valid ${int(valid.length)}, test ${int(test.length)}; ` +
    `vocabulary ${int(V)} (train count >= ${o.minCount}, + <unk> + <s>); <unk> rate test ${pct(unkRate(test))}; ` +
    `data ready in ${prepSeconds.toFixed(1)} s`,
);

// ---- the model
const config = {
  vocabSize: V,
  embeddingDim: o.dim,
  hidden: o.hidden,
  layers: o.layers,
  dropout: o.dropout,
  tied: o.tied,
  unk: UNK,
  bos: BOS,
  seed: o.seed,
};
const model = new LstmLM(config, vocab.words);
const params = model.parameterCount();
const perEpoch = Math.ceil(Math.floor(train.length / o.batch) / o.bptt);
const desc = `E ${o.dim}, H ${o.hidden}, ${o.layers} layer${o.layers > 1 ? 's' : ''}${o.tied ? ', tied' : ''}, dropout ${o.dropout}`;
console.log(
  `LstmLM: ${desc}; ${int(params)} parameters; up to ${o.epochs} epochs of ${perEpoch} steps (batch ${o.batch} streams × bptt ${o.bptt}), ` +
    `AdamW lr ${o.lr}${o.weightDecay > 0 ? ` decay ${o.weightDecay}` : ''}, clip ${o.clip} (× ${o.lrDecay} after an epoch without a better ` +
    `validation perplexity, stop after ${o.patience} in a row), threads ${o.threads}`,
);

const fitOptions = {
  epochs: o.epochs,
  batchSize: o.batch,
  bptt: o.bptt,
  lr: o.lr,
  clip: o.clip,
  weightDecay: o.weightDecay,
  threads: o.threads,
  valid,
  evalBatchSize: o.evalBatch,
  patience: o.patience,
  lrDecay: o.lrDecay,
};

if (o.maxSteps > 0) {
  // --max-steps N: time N steps of this configuration (no validation, no checkpoint) and estimate an epoch
  let last;
  const r = await model.fit(train, {
    ...fitOptions,
    valid: undefined,
    maxSteps: o.maxSteps,
    onProgress: (p) => (last = p),
  });
  const tokens = r.steps * o.batch * o.bptt;
  const tps = tokens / r.seconds;
  const v0 = performance.now();
  const vPpl = model.evaluate(valid, { batchSize: o.evalBatch }).perplexity;
  const vSec = (performance.now() - v0) / 1e3;
  console.log(
    `${r.steps} steps, ${int(tokens)} tokens in ${r.seconds.toFixed(1)} s: ${int(tps)} tokens/s (training; last report ${int(last?.itemsPerSec ?? 0)} tok/s); ` +
      `an epoch (${int(perEpoch * o.batch * o.bptt)} tokens) ≈ ${duration((perEpoch * o.batch * o.bptt) / tps)}; ` +
      `validation (batch ${o.evalBatch}) ${duration(vSec)} (ppl ${vPpl.toFixed(1)} after these steps)`,
  );
  model.dispose();
  process.exit(0);
}

// ---- the baseline: interpolated modified Kneser-Ney, n = 5 (recomputed: a few seconds)
const kn = kneserNeyBaseline(KneserNey, perplexityOf, data, 5);
const { validProbs: knValid, testProbs: knTest } = kn;
console.log(`Kneser-Ney 5-gram (interpolated, modified): valid ppl ${kn.valid.toFixed(1)}, test ${kn.test.toFixed(1)}`);

const { fit, fitSeconds, elapsed, before, finish } = await fitLanguageModel(model, train, o, fitOptions, {
  t0,
  writeBytesAtomic,
  readBytes,
});

// ---- evaluation: validation and test in one pass each (batch --test-batch; 1 = unlimited history), the mixture with KN
const e0 = performance.now();
const lstmValid = model.tokenProbs(valid, { batchSize: o.testBatch }),
  lstmTest = model.tokenProbs(test, { batchSize: o.testBatch });
const lstm = { valid: perplexityOf(lstmValid), test: perplexityOf(lstmTest) };
const { lambda } = fitMixtureWeight(lstmValid, knValid);
const mix = {
  valid: perplexityOf(mixtureProbs(lstmValid, knValid, lambda)),
  test: perplexityOf(mixtureProbs(lstmTest, knTest, lambda)),
};
const evalSeconds = (performance.now() - e0) / 1e3;
const wall = elapsed();
const trainSeconds = fit.history.reduce((t, h) => t + h.seconds, 0);
const tokensPerSec = (fit.history.length * fit.tokensPerEpoch) / trainSeconds;

const table = lmTable(kn, [
  ...(o.limit === 0 ? lmResultsRows(fromRoot('docs/results.md'), { lstm: false }) : []),
  [`LstmLM (${desc})`, int(params), lstm.valid, lstm.test, fit.epochs, duration(trainSeconds)],
  [`LstmLM + KN 5-gram (λ ${lambda.toFixed(3)})`, '—', mix.valid, mix.test, fit.epochs, '—'],
]);
console.log(`\n${table}\n`);
console.log(
  `test perplexity ${lstm.test.toFixed(1)} (batch ${o.testBatch}); wall time ${duration(wall)}${before.processes > 0 ? ` over ${before.processes + 1} processes (resumed)` : ''}: ` +
    `data ${prepSeconds.toFixed(1)} s, training ${duration(fitSeconds)} this process (${int(tokensPerSec)} tok/s incl. validation), ` +
    `evaluation ${evalSeconds.toFixed(0)} s; stopped: ${fit.stopped ? `early (best epoch ${fit.bestEpoch})` : 'no'}`,
);

const samples = lmSamples(model);
console.log(`\nsamples (temperature 0.8, seeded):\n${samples.join('\n')}`);

await finish();

if (o.results) {
  const mc = machine();
  const md = `## LSTM language model, Brown — \`node examples/lstm-lm-brown.mjs\`

\`examples/lstm-lm-brown.mjs\`, ${mc.date}, Node ${mc.node}, ${mc.cpu}, threads ${o.threads}.

Data, vocabulary (${int(V)} ids) and split as the Bengio section above: train ${int(train.length)} tokens, validation
${int(valid.length)}, test ${int(test.length)}, each one stream. Model: embeddings ${o.dim}, ${o.layers} LSTM layer${o.layers > 1 ? 's' : ''} of ${o.hidden},
${o.tied ? 'decoder tied to the embeddings' : 'an untied decoder'}, dropout ${o.dropout} on the embeddings, between the layers and on the output;
${int(params)} parameters. Training: truncated BPTT over ${o.batch} contiguous parallel streams, ${o.bptt} tokens per step, the state
carried (detached) from step to step and reset at each epoch start; AdamW lr ${o.lr}${o.weightDecay > 0 ? `, decay ${o.weightDecay}` : ''}, global-norm clip ${o.clip},
× ${o.lrDecay} after an epoch without a better validation perplexity (batch ${o.evalBatch}), early stopping after ${o.patience}; the best
validation epoch's weights (epoch ${fit.bestEpoch ?? '?'}) are the model. The perplexities of the table are one pass over each
part with the state carried from its start (batch ${o.testBatch}${o.testBatch === 1 ? ': every token predicted from all the tokens before it in its part' : ''});
Kneser-Ney and the mixture score the same tokens. Mixture: λ·P_LSTM + (1−λ)·P_KN, λ chosen on validation.
Only validation perplexity chose the epoch, the learning-rate decay and λ.

${table}

Training ${fit.steps} steps, ${duration(trainSeconds)} with each epoch's validation (${int(tokensPerSec)} tokens/s); evaluation ${evalSeconds.toFixed(0)} s;
wall time ${duration(wall)}${before.processes > 0 ? ` over ${before.processes + 1} processes (resumed from checkpoints)` : ''}.

Per epoch:
${fit.history.map((h) => `- epoch ${h.epoch}: train ppl ${Math.exp(h.loss).toFixed(1)} (running, dropout on), valid ppl ${h.validPerplexity?.toFixed(1) ?? '?'} (batch ${o.evalBatch}), lr ${h.lr.toExponential(2)}, ${duration(h.seconds)}`).join('\n')}

Samples (temperature 0.8, seeded):

${samples.join('\n')}`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'lstm-lm', md)}`);
}
model.dispose();
