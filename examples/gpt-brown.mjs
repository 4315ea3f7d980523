// A small GPT (a causal Transformer LM, GPT-2's architecture over words) on the Brown corpus,
// beside interpolated modified Kneser-Ney (recomputed), the Bengio et al. MLP of `npm run bengio`
// and the LSTM LM of `npm run lstm-lm` (their figures read from docs/results.md), on the same
// vocabulary and split; and the GPT mixed with the 5-gram model (weight chosen on validation).
//   node examples/gpt-brown.mjs                 (the configuration of docs/results.md, ~1h10m on 2 cores; needs `npm run build`)
//   node examples/gpt-brown.mjs --quick         (a smoke run of a few seconds)
//   node examples/gpt-brown.mjs --resume        (continue from the last checkpoint)
//   node examples/gpt-brown.mjs --stop-after 2  (stop after epoch 2; --resume later)
//   node examples/gpt-brown.mjs --max-steps 50  (time 50 training steps, print tokens/s and the epoch estimate, exit)
// Data: the LM split of docs/data.md, NeuralLM's vocabulary (train count >= 4, + <unk> + <s>).
// Only validation perplexity chooses anything (the epoch whose weights are kept, the mixture
// weight). Writes runs/gpt/checkpoint.bin (atomically) every epoch and every --checkpoint-every
// steps, runs/gpt/model.safetensors at the end, and its section of docs/results.md.
import {
  init,
  GptLM,
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
  epochs: 4,
  dim: 256,
  layers: 4,
  heads: 4,
  context: 128,
  dropout: 0.1,
  batch: 16,
  lr: 1.5e-3,
  warmup: 200,
  clip: 1,
  weightDecay: 0.1,
  patience: 2,
  evalStride: 64,
  evalBatch: 16,
  minCount: 4,
  threads: 2,
  seed: 1,
  limit: 0,
  checkpointEvery: 100,
  maxSteps: 0,
  dir: 'runs/gpt',
  results: 'docs/results.md',
  resume: false,
  quick: false,
  stopAfter: 0,
};
const QUICK = {
  epochs: 2,
  dim: 16,
  layers: 1,
  heads: 2,
  context: 16,
  batch: 8,
  warmup: 5,
  evalStride: 8,
  limit: 20000,
  dir: 'runs/gpt-quick',
  results: '',
  threads: 1,
  checkpointEvery: 0,
};
const USAGE = `usage: node examples/gpt-brown.mjs [--quick] [--resume] [--epochs N] [--dim D] [--layers N] [--heads N] [--context N]
  [--dropout X] [--batch N] [--lr X] [--warmup STEPS] [--clip X] [--weight-decay X] [--patience N] [--eval-stride N] [--eval-batch N]
  [--min-count N] [--threads N] [--seed N] [--limit TOKENS] [--checkpoint-every STEPS] [--max-steps N]
  [--dir runs/gpt] [--results docs/results.md|''] [--stop-after EPOCHS]`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);

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
  nPositions: o.context,
  nEmbd: o.dim,
  nLayer: o.layers,
  nHead: o.heads,
  residPdrop: o.dropout,
  embdPdrop: o.dropout,
  attnPdrop: o.dropout,
  unk: UNK,
  bos: BOS,
  seed: o.seed,
};
const model = new GptLM(config, vocab.words);
const params = model.parameterCount();
const perEpoch = Math.floor(Math.floor((train.length - o.context + 1) / o.context) / o.batch);
const desc = `D ${o.dim}, ${o.layers} layers, ${o.heads} heads, context ${o.context}, dropout ${o.dropout}`;
console.log(
  `GptLM: ${desc}; ${int(params)} parameters; up to ${o.epochs} epochs of ${perEpoch} steps (batch ${o.batch} windows × ${o.context}), ` +
    `AdamW lr ${o.lr} (warm-up ${o.warmup} steps, then linear decay), decay ${o.weightDecay}, clip ${o.clip}, threads ${o.threads}`,
);

const fitOptions = {
  epochs: o.epochs,
  batchSize: o.batch,
  context: o.context,
  lr: o.lr,
  warmupSteps: o.warmup,
  clip: o.clip,
  weightDecay: o.weightDecay,
  threads: o.threads,
  valid,
  evalStride: o.evalStride,
  evalBatchSize: o.evalBatch,
  patience: o.patience,
};

if (o.maxSteps > 0) {
  // --max-steps N: time N steps of this configuration (no validation, no checkpoint) and estimate an epoch
  const r = await model.fit(train, { ...fitOptions, valid: undefined, maxSteps: o.maxSteps });
  const tokens = r.steps * o.batch * o.context;
  const tps = tokens / r.seconds;
  const v0 = performance.now();
  const vPpl = model.evaluate(valid, { batchSize: o.evalBatch, context: o.context, stride: o.evalStride }).perplexity;
  const vSec = (performance.now() - v0) / 1e3;
  console.log(
    `${r.steps} steps, ${int(tokens)} tokens in ${r.seconds.toFixed(1)} s: ${int(tps)} tokens/s (training); ` +
      `an epoch (${int(perEpoch * o.batch * o.context)} tokens) ≈ ${duration((perEpoch * o.batch * o.context) / tps)}; ` +
      `validation ${duration(vSec)} (ppl ${vPpl.toFixed(1)} after these steps)`,
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

// ---- evaluation: validation and test with the validation's windows, the mixture with KN
const e0 = performance.now();
const scoring = { batchSize: o.evalBatch, context: o.context, stride: o.evalStride };
const gptValid = model.tokenProbs(valid, scoring),
  gptTest = model.tokenProbs(test, scoring);
const gpt = { valid: perplexityOf(gptValid), test: perplexityOf(gptTest) };
const { lambda } = fitMixtureWeight(gptValid, knValid);
const mix = {
  valid: perplexityOf(mixtureProbs(gptValid, knValid, lambda)),
  test: perplexityOf(mixtureProbs(gptTest, knTest, lambda)),
};
const evalSeconds = (performance.now() - e0) / 1e3;
const wall = elapsed();
const trainSeconds = fit.history.reduce((t, h) => t + h.seconds, 0);
const tokensPerSec = (fit.history.length * fit.tokensPerEpoch) / trainSeconds;

const table = lmTable(kn, [
  ...(o.limit === 0 ? lmResultsRows(fromRoot('docs/results.md')) : []),
  [`GptLM (${desc})`, int(params), gpt.valid, gpt.test, fit.epochs, duration(trainSeconds)],
  [`GptLM + KN 5-gram (λ ${lambda.toFixed(3)})`, '—', mix.valid, mix.test, fit.epochs, '—'],
]);
console.log(`\n${table}\n`);
console.log(
  `test perplexity ${gpt.test.toFixed(1)}; wall time ${duration(wall)}${before.processes > 0 ? ` over ${before.processes + 1} processes (resumed)` : ''}: ` +
    `data ${prepSeconds.toFixed(1)} s, training ${duration(fitSeconds)} this process (${int(tokensPerSec)} tok/s incl. validation), ` +
    `evaluation ${evalSeconds.toFixed(0)} s; stopped: ${fit.stopped ? `early (best epoch ${fit.bestEpoch})` : 'no'}`,
);

const samples = lmSamples(model);
console.log(`\nsamples (temperature 0.8, seeded):\n${samples.join('\n')}`);

await finish();

if (o.results) {
  const mc = machine();
  const md = `## GPT language model, Brown — \`node examples/gpt-brown.mjs\`

\`examples/gpt-brown.mjs\`, ${mc.date}, Node ${mc.node}, ${mc.cpu}, threads ${o.threads}.

Data, vocabulary (${int(V)} ids) and split as the Bengio section above: train ${int(train.length)} tokens, validation
${int(valid.length)}, test ${int(test.length)}, each one stream. Model: GptLM, GPT-2's architecture (pre-norm blocks, causal
attention, learned positions, GELU in its tanh form, output layer tied to the token embeddings, GPT-2's initialisation):
width ${o.dim}, ${o.layers} layers, ${o.heads} heads, context ${o.context} words, dropout ${o.dropout} (embeddings, attention
probabilities, residual branches); ${int(params)} parameters. Training: each epoch cuts the training stream from a seeded
random shift into windows of ${o.context} words, shuffles them, and trains on ${o.batch} windows per step (every position a
target); AdamW lr ${o.lr}, linear warm-up over ${o.warmup} steps then linear decay to 0, weight decay ${o.weightDecay},
global-norm clip ${o.clip}; early stopping after ${o.patience} epochs without a better validation perplexity, and the best
validation epoch's weights (epoch ${fit.bestEpoch ?? '?'}) are the model. Scoring: windows of ${o.context} words sliding by
${o.evalStride}, so every token is predicted once from at least ${o.context - o.evalStride} words before it (all of them in
the first window); Kneser-Ney and the mixture score the same tokens. Mixture: λ·P_GPT + (1−λ)·P_KN, λ chosen on validation.
Only validation perplexity chose the epoch and λ.

${table}

Training ${fit.steps} steps, ${duration(trainSeconds)} with each epoch's validation (${int(tokensPerSec)} tokens/s); evaluation ${evalSeconds.toFixed(0)} s;
wall time ${duration(wall)}${before.processes > 0 ? ` over ${before.processes + 1} processes (resumed from checkpoints)` : ''}.

Per epoch:
${fit.history.map((h) => `- epoch ${h.epoch}: train ppl ${Math.exp(h.loss).toFixed(1)} (running, dropout on), valid ppl ${h.validPerplexity?.toFixed(1) ?? '?'}, lr ${h.lr.toExponential(2)}, ${duration(h.seconds)}`).join('\n')}

Samples (temperature 0.8, seeded):

${samples.join('\n')}`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'gpt', md)}`);
}
model.dispose();
