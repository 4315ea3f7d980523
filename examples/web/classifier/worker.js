// The classifier demo's worker: every model call runs here, the page only draws.
// Requests: init, train, stop, predict, save, load (see main.js).
import { FastTextClassifier, TextClassifier, decodeSafetensors, encodeSafetensors, spamTokens } from 'wasm-nlp';
import { initCore, fetchData } from '../common/core.js';
import { serve, withTransfer } from '../common/rpc.js';
import {
  PAD,
  SPAM_SCRIPT_VOCAB,
  TOKENIZER_KEY,
  VOCAB_KEY,
  argmax,
  buildVocab,
  encodeTokens,
  parseLine,
  pickExamples,
  scores,
  sniffFormat,
  splitLines,
  vocabIds,
  wordCounts,
} from '../common/classifier-text.js';

let info; // runtime: threads, isolated, ...
let trainText, trainLines, trainTokens, testText, testLines;
let trainParsed, testParsed; // parsed lazily (the Transformer needs token arrays)
/** The model predictions use: { kind: 'fasttext', model, labels } | { kind: 'transformer', model, words, ids, maxLen, tail }, plus `origin`. */
let current = null;
let training = false;
// The run under way's AbortController: a 'stop' message aborts it. Both trainers take its signal, check it
// between steps and yield to this worker's event loop about every 50 ms, so the message gets through.
let controller = null;
const LABELS = ['ham', 'spam'];

/** fastText's token count of a line: its words (label included) + the end of line. */
function tokenCount(line) {
  let n = 1;
  for (const t of line.split(' ')) if (t !== '') n++;
  return n;
}

const parsedTrain = () => (trainParsed ??= trainLines.map(parseLine));
const parsedTest = () => (testParsed ??= testLines.map(parseLine));

function replaceCurrent(next) {
  if (current !== null) current.model.dispose();
  current = next;
}

/** Label probabilities of token lists under a model, as { ham, spam, ... } rows in LABELS order (or the model's own labels). */
function probabilities(m, tokenLists) {
  if (m.kind === 'fasttext') {
    const ps = m.model.probabilities(tokenLists.map((t) => t.join(' ')));
    return ps.map((p) => m.labels.map((_, i) => p[i]));
  }
  const ps = m.model.predictBatch(
    tokenLists.map((t) => ({ ids: encodeTokens(t, m.ids, m.maxLen, m.tail) })),
    { batchSize: 64 },
  );
  return ps.map((p) => Array.from(p));
}

/** Test-split scores of a model (spam = positive); null when its labels are not ham/spam. */
function testScores(m) {
  const spam = m.labels.indexOf('spam');
  if (spam < 0 || !m.labels.includes('ham')) return null;
  const test = parsedTest();
  const t0 = performance.now();
  const probs = probabilities(
    m,
    test.map((e) => e.tokens),
  );
  const pred = probs.map((p) => (argmax(p) === spam ? 1 : 0));
  return {
    ...scores(
      pred,
      test.map((e) => e.label),
    ),
    seconds: (performance.now() - t0) / 1e3,
  };
}

function describe(m) {
  if (m.kind === 'fasttext') {
    const a = m.model.args;
    const grams =
      a.wordNgrams > 1
        ? `word n-grams up to ${a.wordNgrams} in ${a.bucket.toLocaleString('en-US')} buckets`
        : 'words only (no n-gram buckets)';
    return (
      `fastText-style: dim ${a.dim}, ${grams}, ` +
      `${m.model.words.filter((w) => w.type === 'word').length.toLocaleString('en-US')} words, loss ${a.loss}`
    );
  }
  const c = m.model.config;
  return (
    `Transformer: d ${c.dim}, ${c.layers} layer${c.layers === 1 ? '' : 's'}, ${c.heads} heads, FFN ${c.ffn}, max ${c.maxLen} tokens, ` +
    `${c.vocabSize.toLocaleString('en-US')} ids`
  );
}

function modelInfo(m, extra = {}) {
  return { kind: m.kind, labels: m.labels, description: describe(m), origin: m.origin, test: testScores(m), ...extra };
}

const int = (name, v, min, max) => {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
};
const real = (name, v, min, max) => {
  if (!(Number.isFinite(v) && v > min && v <= max))
    throw new RangeError(`${name} must be a number in (${min}, ${max}], got ${v}`);
  return v;
};

async function trainFastText(o, emit) {
  const limit = int('training e-mails', o.limit, 1, trainLines.length);
  const opts = {
    dim: int('dim', o.dim, 1, 300),
    epoch: int('epochs', o.epochs, 1, 100),
    lr: real('learning rate', o.lr, 0, 10),
    wordNgrams: int('word n-grams', o.wordNgrams, 1, 3),
    minCount: int('min count', o.minCount, 1, 100),
    seed: 1,
  };
  if (opts.wordNgrams > 1) opts.bucket = int('buckets', o.bucket, 1000, 2_000_000);
  const text = limit === trainLines.length ? trainText : trainLines.slice(0, limit).join('\n') + '\n';
  // Tokens per epoch as fastText counts them (words + one end of line per e-mail): turns its words/s into e-mails/s.
  let tokens = 0;
  for (let i = 0; i < limit; i++) tokens += trainTokens[i];
  const t0 = performance.now();
  let last = 0;
  let examplesPerSec = 0;
  let finalPoint = null;
  let progress = 0;
  const signal = controller.signal;
  opts.signal = signal;
  opts.onProgress = (p) => {
    const now = performance.now();
    progress = p.progress;
    examplesPerSec = (p.itemsPerSec * limit) / tokens; // the SGD passes (the vocabulary and ids come first, without reports)
    const point = {
      x: p.progress * opts.epoch,
      loss: p.loss,
      epoch: Math.min(opts.epoch, p.epoch),
      epochs: opts.epoch,
      seconds: (now - t0) / 1e3,
      examplesPerSec,
    };
    if (p.progress >= 1 || signal.aborted)
      finalPoint = point; // the last report: sent with the test accuracy once scored
    else if (now - last >= 100) {
      last = now;
      emit(point);
    }
  };
  // Stop: training ends after the current step and the model trained so far is kept.
  const model = await FastTextClassifier.train(text, opts);
  const stopped = signal.aborted && progress < 1; // a Stop after the last step does not make a run "stopped early"
  const seconds = (performance.now() - t0) / 1e3;
  const labels = model.labels.map((l) => l.slice(model.labelPrefix.length));
  replaceCurrent({
    kind: 'fasttext',
    model,
    labels,
    origin: `trained here on ${limit.toLocaleString('en-US')} e-mails${stopped ? ' (stopped early)' : ''}`,
  });
  const result = modelInfo(current, { stopped, kept: true, seconds, examplesPerSec, epochs: opts.epoch });
  if (finalPoint !== null) emit({ ...finalPoint, accuracy: result.test?.accuracy });
  return result;
}

async function trainTransformer(o, emit) {
  const limit = int('training e-mails', o.limit, 1, trainLines.length);
  const dim = int('dim', o.dim, 4, 256);
  const heads = int('heads', o.heads, 1, 16);
  if (dim % heads !== 0) throw new RangeError(`dim must be a multiple of heads (${heads}), got ${dim}`);
  const layers = int('layers', o.layers, 1, 6);
  const maxLen = int('max tokens', o.maxLen, 8, 512);
  const epochs = int('epochs', o.epochs, 1, 50);
  const batchSize = int('batch', o.batch, 1, 256);
  const lr = real('learning rate', o.lr, 0, 1);
  const minCount = int('min count', o.minCount, 1, 100);
  const tail = Math.floor(maxLen / 4);
  const t0 = performance.now();
  const train = parsedTrain().slice(0, limit);
  const words = buildVocab(wordCounts(train), { minCount, maxVocab: 30000 });
  const ids = vocabIds(words);
  const trainEx = train.map((e) => ({ ids: encodeTokens(e.tokens, ids, maxLen, tail), label: e.label }));
  // The live accuracy curve: an evenly spaced 300-e-mail sample of the test split (all of it is scored at the end).
  const test = parsedTest();
  const sampleN = Math.min(300, test.length);
  const sample = Array.from({ length: sampleN }, (_, i) => test[Math.floor((i * test.length) / sampleN)]).map((e) => ({
    ids: encodeTokens(e.tokens, ids, maxLen, tail),
    label: e.label,
  }));
  const model = new TextClassifier({
    vocabSize: words.length + 2,
    numClasses: 2,
    dim,
    layers,
    heads,
    ffn: 2 * dim,
    maxLen,
    dropout: 0.1,
    attentionDropout: 0.1,
    padId: PAD,
    seed: 1,
    pooling: 'mean',
  });
  const perEpoch = Math.ceil(trainEx.length / batchSize);
  const steps = perEpoch * epochs;
  const evalEvery = Math.max(1, Math.ceil(perEpoch / 4)); // about 4 accuracy points per epoch, plus each epoch end
  let nextEval = evalEvery;
  let last = 0;
  const tFit = performance.now();
  // An epoch end reports the epoch's mean loss, not the recent one: left out of the line (a gap, not a spike)
  // when the epoch had reports of its own, kept when it had none (epochs shorter than the 0.25 s report interval).
  let reportedInEpoch = false;
  const epochEndLoss = (p) => {
    if (p.validAccuracy === undefined) {
      reportedInEpoch = true;
      return p.loss;
    }
    const loss = reportedInEpoch ? null : p.loss;
    reportedInEpoch = false;
    return loss;
  };
  const emitPoint = (p, accuracy) => {
    const seconds = (performance.now() - tFit) / 1e3;
    emit({
      x: p.step / perEpoch,
      loss: epochEndLoss(p),
      accuracy,
      epoch: p.epoch,
      epochs,
      step: p.step,
      steps,
      seconds,
      examplesPerSec: Math.min(p.step * batchSize, epochs * trainEx.length) / seconds,
      tokensPerSec: p.itemsPerSec,
    });
  };
  let fit;
  try {
    // Stop aborts the signal: fit ends before its next step and leaves the weights of the last one, in eval mode.
    fit = await model.fit(trainEx, {
      epochs,
      batchSize,
      lr,
      threads: info.threads,
      valid: sample,
      signal: controller.signal,
      onProgress: (p) => {
        let accuracy = p.validAccuracy;
        if (accuracy === undefined && p.step >= nextEval && p.step % perEpoch !== 0)
          accuracy = model.evaluate(sample, { batchSize: 64 }).accuracy;
        if (accuracy !== undefined) nextEval = p.step + evalEvery;
        const now = performance.now();
        if (accuracy !== undefined || now - last >= 100) {
          last = now;
          emitPoint(p, accuracy);
        }
      },
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  const stopped = fit.aborted;
  const seconds = (performance.now() - t0) / 1e3;
  const fitSeconds = (performance.now() - tFit) / 1e3;
  replaceCurrent({
    kind: 'transformer',
    model,
    labels: LABELS,
    words,
    ids,
    maxLen,
    tail,
    origin: `trained here on ${limit.toLocaleString('en-US')} e-mails${stopped ? ' (stopped early)' : ''}`,
  });
  const done = Math.min(fit.steps * batchSize, epochs * trainEx.length);
  return modelInfo(current, {
    stopped,
    kept: true,
    seconds,
    epochs,
    examplesPerSec: done > 0 ? done / fitSeconds : undefined,
    vocab: words.length + 2,
  });
}

/** The demo's Transformer file: TextClassifier's safetensors (weights, class, config) + the vocabulary and input rule. */
function transformerFile(m) {
  const meta = {
    format: 'pt',
    'wasm-nlp.model': m.model.kind,
    'wasm-nlp.config': m.model.configJson(),
    [VOCAB_KEY]: JSON.stringify(m.words),
    [TOKENIZER_KEY]: JSON.stringify({
      tokens: 'spamTokens',
      pad: 0,
      unk: 1,
      firstWordId: 2,
      maxLen: m.maxLen,
      tail: m.tail,
      labels: LABELS,
    }),
  };
  return encodeSafetensors(m.model.stateDict(), meta);
}

function loadTransformer(bytes, name) {
  const { metadata } = decodeSafetensors(bytes);
  if (metadata['wasm-nlp.model'] !== 'TextClassifier') {
    throw new Error(
      `${name}: a safetensors file must be a wasm-nlp TextClassifier (metadata "wasm-nlp.model"), got ${JSON.stringify(metadata['wasm-nlp.model'] ?? null)}`,
    );
  }
  const model = TextClassifier.fromSafetensors(bytes);
  try {
    const c = model.config;
    if (c.numClasses !== 2) throw new Error(`${name}: the model must have 2 classes (ham, spam), got ${c.numClasses}`);
    let words,
      tail,
      note = '';
    if (metadata[VOCAB_KEY] !== undefined) {
      words = JSON.parse(metadata[VOCAB_KEY]);
      tail = JSON.parse(metadata[TOKENIZER_KEY] ?? '{}').tail ?? Math.floor(c.maxLen / 4);
    } else {
      // model.safetensors of `npm run spam`: no vocabulary inside; rebuild it from spam.train as the script does.
      words = buildVocab(wordCounts(parsedTrain()), SPAM_SCRIPT_VOCAB);
      tail = Math.floor(c.maxLen / 4); // the script's --tail defaults: 128 of 512 tokens, 8 of 32 with --quick
      note = ' (vocabulary rebuilt from spam.train as npm run spam does)';
    }
    if (words.length + 2 !== c.vocabSize) {
      throw new Error(
        `${name}: the vocabulary must have ${c.vocabSize - 2} words (vocabSize ${c.vocabSize}), got ${words.length}` +
          (note ? ': was the model trained on a --limit subset?' : ''),
      );
    }
    return {
      kind: 'transformer',
      model,
      labels: LABELS,
      words,
      ids: vocabIds(words),
      maxLen: c.maxLen,
      tail,
      origin: `loaded from ${name}${note}`,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

serve({
  async init() {
    info = await initCore();
    [trainText, testText] = await Promise.all([fetchData('spam.train'), fetchData('spam.test')]);
    trainLines = splitLines(trainText);
    trainTokens = trainLines.map(tokenCount);
    testLines = splitLines(testText);
    const spamIn = (lines) => lines.reduce((n, l) => n + (l.startsWith('__label__spam') ? 1 : 0), 0);
    return {
      ...info,
      train: trainLines.length,
      test: testLines.length,
      trainSpam: spamIn(trainLines),
      testSpam: spamIn(testLines),
      examples: pickExamples(testLines),
    };
  },

  async train(o, emit) {
    if (training) throw new Error('already training: stop it first');
    training = true;
    controller = new AbortController();
    try {
      return o.model === 'transformer' ? await trainTransformer(o, emit) : await trainFastText(o, emit);
    } finally {
      training = false;
    }
  },

  stop() {
    controller?.abort();
    return { training };
  },

  predict({ text }) {
    if (current === null) return { empty: 'no model yet: train one or load a file' };
    const tokens = spamTokens(text ?? ''); // a typed message as the corpus stores e-mails (src/data/spam.ts)
    if (tokens.length === 0) return { empty: 'type a message (letters or digits)' };
    const t0 = performance.now();
    const p = probabilities(current, [tokens])[0];
    const ms = performance.now() - t0;
    const rows = current.labels
      .map((label, i) => ({ label, prob: p[i] }))
      .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    return { rows, best: current.labels[argmax(p)], tokens: tokens.length, ms, kind: current.kind };
  },

  save() {
    if (current === null) throw new Error('no model to save: train one or load a file');
    const bytes = current.kind === 'fasttext' ? current.model.toBytes() : transformerFile(current);
    const name = current.kind === 'fasttext' ? 'spam-fasttext.bin' : 'spam-transformer.safetensors';
    return withTransfer({ bytes, name }, [bytes.buffer]);
  },

  load({ bytes, name }) {
    if (training) throw new Error('training: stop it before loading a model');
    const b = new Uint8Array(bytes);
    const format = sniffFormat(b);
    let next;
    if (format === 'fasttext') {
      const model = FastTextClassifier.fromBytes(b);
      next = {
        kind: 'fasttext',
        model,
        labels: model.labels.map((l) => l.slice(model.labelPrefix.length)),
        origin: `loaded from ${name}`,
      };
    } else if (format === 'safetensors') {
      next = loadTransformer(b, name);
    } else {
      throw new Error(
        `${name}: the file must be a fastText .bin (magic 793712314) or a TextClassifier .safetensors, got neither (${b.length} bytes)`,
      );
    }
    replaceCurrent(next);
    return modelInfo(current, { bytes: b.length });
  },
});
