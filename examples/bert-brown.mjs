// Masked-LM pre-training of a small BERT on the Brown corpus (train files of the canonical
// FILE split, docs/data.md), with its own WordPiece vocabulary, and the held-out masked-LM
// accuracy on the validation and test files.
//   npm run bert                               (builds, then the full configuration, ~40 min on 2 threads)
// The defaults (2 layers, initializer_range 0.05, batch 16, lr 7e-4, 8 epochs) come from probes: one pass over the train
// files with batch 16 beat 32, lr 2.5e-4 learned slower and 1.5e-3 collapsed to the unigram; on a language where only
// positions tell the masked token, a post-norm BERT with BERT's initializer_range 0.02 (as PyTorch's, scripts/bert-plateau.py)
// or with 4 layers stays on the plateau that 2 layers with 0.05–0.1 leave (tests/models/bert-train.test.ts; docs/bert.md,
// docs/results.md "bert").
//   node examples/bert-brown.mjs --quick       (a smoke run of a few seconds)
//   node examples/bert-brown.mjs --resume      (continue from the last checkpoint)
// Writes runs/bert/vocab.txt, runs/bert/checkpoint.bin (every --checkpoint-every steps and every
// epoch, atomically), the Hugging Face-format model in runs/bert/model/ (config.json,
// model.safetensors, vocab.txt, tokenizer_config.json) and its section of docs/results.md.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { init, BertForMaskedLM, WordPiece, brownFileSplit, packMaskedLMExamples } from 'wasm-nlp';
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
import { loadBrown, writeBytesAtomic, readBytes, saveBertToDirectory } from 'wasm-nlp/node';

const t0 = performance.now();
const DEFAULTS = {
  epochs: 8,
  layers: 2,
  hidden: 256,
  heads: 4,
  ffn: 1024,
  seqLen: 128,
  vocab: 8192,
  minFrequency: 50,
  batch: 16,
  lr: 7e-4,
  warmup: 0.05,
  weightDecay: 0.01,
  dropout: 0.1,
  initRange: 0.05,
  threads: 2,
  seed: 1,
  checkpointEvery: 100,
  limit: 0,
  dir: 'runs/bert',
  results: 'docs/results.md',
  resume: false,
  quick: false,
  stopAfter: 0,
};
const QUICK = {
  epochs: 1,
  layers: 2,
  hidden: 64,
  heads: 2,
  ffn: 128,
  seqLen: 64,
  vocab: 1500,
  minFrequency: 5,
  batch: 16,
  threads: 1,
  checkpointEvery: 20,
  limit: 20,
  dir: 'runs/bert-quick',
  results: '',
};
const USAGE = `usage: node examples/bert-brown.mjs [--quick] [--resume] [--epochs N] [--layers N] [--hidden N] [--heads N] [--ffn N]
  [--seq-len N] [--vocab N] [--min-frequency N] [--batch N] [--lr X] [--warmup F] [--weight-decay X] [--dropout X] [--init-range X] [--threads N]
  [--seed N] [--checkpoint-every STEPS] [--limit FILES] [--dir runs/bert] [--results docs/results.md|''] [--stop-after EPOCHS]`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);

await init({ threads: o.threads });
const dir = fromRoot(o.dir);
mkdirSync(dir, { recursive: true });

// ---- data: the file split (file i: test if i % 10 == 0, valid if 1, else train); a document = a file,
// its sentences the corpus lines with the words joined by spaces (the tokenizer lower-cases and splits punctuation).
const files = brownFileSplit(loadBrown());
const docsOf = (fs) => fs.map((f) => f.sentences.map((s) => s.words.join(' ')));
let trainFiles = files.train,
  validFiles = files.valid,
  testFiles = files.test;
if (o.limit > 0) {
  trainFiles = trainFiles.slice(0, o.limit);
  validFiles = validFiles.slice(0, Math.ceil(o.limit / 8));
  testFiles = testFiles.slice(0, Math.ceil(o.limit / 8));
}
const trainDocs = docsOf(trainFiles),
  validDocs = docsOf(validFiles),
  testDocs = docsOf(testFiles);

// ---- WordPiece vocabulary from the train files (likelihood score; kept in runs/bert/vocab.txt, so a resumed run uses the same ids)
const vocabPath = `${dir}/vocab.txt`;
let tok, vocabSeconds;
if (o.resume && existsSync(vocabPath)) {
  tok = WordPiece.fromVocabTxt(readFileSync(vocabPath, 'utf8'));
  console.log(`vocabulary: ${vocabPath} (${int(tok.size)} tokens)`);
} else {
  const tv = performance.now();
  tok = WordPiece.train(trainDocs.flat(), { vocabSize: o.vocab, minFrequency: o.minFrequency });
  vocabSeconds = (performance.now() - tv) / 1e3;
  await writeBytesAtomic(vocabPath, new TextEncoder().encode(tok.toVocabTxt()));
  console.log(
    `vocabulary: ${int(tok.size)} WordPiece tokens trained on the train files in ${vocabSeconds.toFixed(1)} s (min pair frequency ${o.minFrequency}) → ${vocabPath}`,
  );
}

// ---- sequences: each file's sentences packed whole into [CLS] … [SEP] of at most seqLen tokens
const pack = (docs) => packMaskedLMExamples(tok, docs, { maxLength: o.seqLen });
const train = pack(trainDocs),
  valid = pack(validDocs),
  test = pack(testDocs);
const tokensOf = (xs) => xs.reduce((n, x) => n + x.ids.length, 0);
const words = (docs) => docs.reduce((n, d) => n + d.reduce((m, s) => m + s.split(' ').length, 0), 0);
const trainWords = words(trainDocs);
console.log(
  `Brown file split: train ${trainFiles.length} files / ${int(trainWords)} words → ${int(train.length)} sequences / ${int(tokensOf(train))} tokens ` +
    `(${(tokensOf(train) / trainWords).toFixed(2)} per word incl. [CLS]/[SEP]); valid ${validFiles.length} files / ${int(valid.length)} sequences; ` +
    `test ${testFiles.length} files / ${int(test.length)} sequences`,
);

// ---- baseline: always predict the most frequent non-special train token
const specials = new Set(tok.specialTokens.map((t) => tok.idOf(t)));
const freq = new Map();
for (const x of train) for (const id of x.ids) if (!specials.has(id)) freq.set(id, (freq.get(id) ?? 0) + 1);
const [topId] = [...freq].sort((a, b) => b[1] - a[1])[0];

// ---- model
const config = {
  vocabSize: tok.size,
  hiddenSize: o.hidden,
  numHiddenLayers: o.layers,
  numAttentionHeads: o.heads,
  intermediateSize: o.ffn,
  maxPositionEmbeddings: o.seqLen,
  typeVocabSize: 2,
  hiddenDropoutProb: o.dropout,
  attentionProbsDropoutProb: o.dropout,
  initializerRange: o.initRange,
  padTokenId: tok.idOf('[PAD]'),
};
const model = new BertForMaskedLM(config, { seed: o.seed });
model.tokenizer = tok;
const params = parameterCount(model);
console.log(
  `BertForMaskedLM: ${o.layers} layers, hidden ${o.hidden}, ${o.heads} heads, FFN ${o.ffn}, seq ${o.seqLen}, vocab ${int(tok.size)}, ` +
    `${int(params)} parameters; ${o.epochs} epochs, batch ${o.batch}, AdamW lr ${o.lr} (warm-up ${o.warmup}, linear decay), weight decay ${o.weightDecay}, ` +
    `dropout ${o.dropout}, init range ${o.initRange}, threads ${o.threads}`,
);

// ---- pre-training: masked-LM accuracy on the validation files after each epoch; checkpoints; --resume
const { fit, fitSeconds, totalFitSeconds, resumedAt, checkpointsWritten } = await fitWithCheckpoints(model, train, o, {
  valid,
  writeBytesAtomic,
  readBytes,
  extra: { weightDecay: o.weightDecay, checkpointEvery: o.checkpointEvery },
});

// ---- held-out evaluation with a fixed masking (seed 0): the same positions for every model
const te = performance.now();
const evValid = model.evaluate(valid, { batchSize: 64 });
const evTest = model.evaluate(test, { batchSize: 64 });
const evSeconds = (performance.now() - te) / 1e3;
// the baseline on the same positions: the share of chosen tokens equal to the most frequent train token
const base = (xs) => {
  const probe = new BertForMaskedLM({
    ...config,
    numHiddenLayers: 0,
    hiddenSize: 8,
    numAttentionHeads: 1,
    intermediateSize: 8,
  });
  probe.tokenizer = tok;
  // a model whose only parameter that matters is the decoder bias: predict topId everywhere
  probe.decoderBias.value.view()[topId] = 100;
  const r = probe.evaluate(xs, { batchSize: 64 }).accuracy;
  probe.dispose();
  return r;
};
const baseTest = base(test);
await saveBertToDirectory(`${dir}/model`, model);
const wall = (performance.now() - t0) / 1e3;
console.log(
  `\nheld-out masked-LM accuracy (15% of tokens, 80/10/10, fixed seed): valid ${pct(evValid.accuracy)} (loss ${evValid.loss.toFixed(3)}, ${int(evValid.n)} positions), ` +
    `test ${pct(evTest.accuracy)} (loss ${evTest.loss.toFixed(3)}, ${int(evTest.n)} positions); most-frequent-token baseline ("${tok.tokenOf(topId)}") test ${pct(baseTest)}`,
);
// tokens per second over the whole run: its steps × the mean tokens per batch, over the training seconds of every process
const tokPerSec = (o.epochs * tokensOf(train)) / totalFitSeconds;
console.log(
  `train loss ${fit.trainLoss.toFixed(4)}, ${fit.steps} steps in ${duration(totalFitSeconds)} (${int(tokPerSec)} tokens/s; this process ${duration(fitSeconds)}); wall ${duration(wall)}` +
    `${resumedAt ? ' (resumed: this process only)' : ''}; evaluation ${evSeconds.toFixed(1)} s; checkpoints written ${checkpointsWritten}; model → ${dir}/model`,
);

if (o.results) {
  const m = machine();
  const hist = fit.history
    .map((h) => `${h.epoch}: loss ${h.loss.toFixed(3)}, valid MLM accuracy ${pct(h.validAccuracy)}`)
    .join('; ');
  const md = `## BERT masked-LM pre-training on Brown — \`npm run bert\`

\`examples/bert-brown.mjs\`, ${m.date}, Node ${m.node}, ${m.cpu}, threads ${resumedAt?.flags?.threads ?? o.threads}${resumedAt ? ` (resumed from a checkpoint with threads ${o.threads}: the training time adds up every process)` : ''}.

| | |
|---|---|
| data | Brown file split: train ${trainFiles.length} files (${int(trainWords)} words) → ${int(train.length)} sequences / ${int(tokensOf(train))} tokens; valid ${validFiles.length} files (${int(valid.length)} sequences), test ${testFiles.length} files (${int(test.length)} sequences); each file's sentences packed whole into \`[CLS] … [SEP]\` of ≤ ${o.seqLen} tokens |
| vocabulary | WordPiece trained on the train files: ${int(tok.size)} tokens (likelihood score, min pair frequency ${o.minFrequency}), lower-cased; ${(tokensOf(train) / trainWords).toFixed(2)} tokens per word incl. [CLS]/[SEP] |
| model | BertForMaskedLM: ${o.layers} layers, hidden ${o.hidden}, ${o.heads} heads, FFN ${o.ffn}, GELU (erf), post-norm, seq ${o.seqLen}, dropout ${o.dropout}, tied decoder, weights initialised N(0, ${o.initRange}²) (initializer_range); ${int(params)} parameters |
| training | masking 15% (80% [MASK] / 10% random / 10% kept, at least one per sequence); ${o.epochs} epochs, batch ${o.batch} sequences, AdamW lr ${o.lr}, warm-up ${o.warmup} then linear decay, weight decay ${o.weightDecay}, clip 1.0, seed ${o.seed}; ${fit.steps} steps |
| **held-out masked-LM accuracy** | **test ${pct(evTest.accuracy)}** (loss ${evTest.loss.toFixed(3)}, ${int(evTest.n)} masked positions), valid ${pct(evValid.accuracy)} (loss ${evValid.loss.toFixed(3)}); fixed masking (seed 0) |
| baseline: most frequent token | test ${pct(baseTest)} (always "${tok.tokenOf(topId)}", on the same positions) |
| time | training ${duration(totalFitSeconds)} over all processes (${int(tokPerSec)} tokens/s incl. per-epoch validation); wall of the last process ${duration(wall)}, of which held-out evaluation ${evSeconds.toFixed(0)} s |

Per epoch: ${hist}.`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'bert', md)}`);
}
model.dispose();
