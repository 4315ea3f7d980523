// The Language models demo's worker: all model work happens here (the page only draws).
//  - Neural LM (Bengio et al. 2003): trained on the Brown LM split of examples/bengio-brown.mjs (the first
//    800,000 tokens train, the next 200,000 validation), cut to the chosen size as its --limit does; words
//    from data/brown.txt, so lower-cased (the example keeps case).
//  - Small GPT (GptLM, a causal Transformer over the same words and streams as the neural LM): trained here,
//    samples streamed word by word (`stream`, which yields to this worker between tokens) as they are drawn.
//  - BERT masked LM: loaded from the files of a Hugging Face directory (npm run bert writes runs/bert/model),
//    or a tiny one trained here (WordPiece vocabulary trained here too) on the first Brown sentences.
// Training reports progress with emit() about 4 times a second; stopping keeps the model as it is: each run
// gets an AbortController whose signal goes to fit(), which checks it before every step and yields to this
// worker's event loop about every 50 ms, so a 'stop' message (or the BERT time limit's timer) gets through.
import {
  NeuralLM,
  GptLM,
  stream,
  BertForMaskedLM,
  WordPiece,
  brownLmSplit,
  lmVocab,
  encodeStream,
  packMaskedLMExamples,
  pipeline,
  tape,
} from 'wasm-nlp';
import { serve, withTransfer } from '../common/rpc.js';
import { fetchData, initCore } from '../common/core.js';

let info = null;
const ready = async () => (info ??= await initCore({ maxThreads: 4 }));
let brownLines = null;
const state = {
  lm: null,
  lmSource: '',
  bert: null,
  bertSource: '',
  fill: null,
  gpt: null,
  gptSource: '',
  abort: { lm: null, bert: null, gpt: null, gptSample: null },
  busy: { lm: false, bert: false, gpt: false, gptSample: false },
};
const BUSY_NAMES = { lm: 'neural LM training', bert: 'BERT training', gpt: 'GPT training', gptSample: 'GPT sample' };
/** Throws when a model is training or the GPT is streaming a sample (both yield to this worker mid-way: one at a time). */
function oneAtATime() {
  const k = Object.keys(BUSY_NAMES).find((m) => state.busy[m]);
  if (k !== undefined) throw new Error(`wait for the ${BUSY_NAMES[k]} to end (one model trains at a time)`);
}

async function lines() {
  brownLines ??= (await fetchData('brown.txt')).split('\n').filter((l) => l.length > 0);
  return brownLines;
}

// The first n tokens of a list of sentences (examples/bengio-brown.mjs --limit).
function cut(sentences, n) {
  const out = [];
  for (const s of sentences) {
    if (n <= 0) break;
    out.push(s.slice(0, n));
    n -= s.length;
  }
  return out;
}

/**
 * The LM split cut to `trainTokens` (validation: a quarter of it, at least 5,000 tokens), its vocabulary
 * (lmVocab, `minCount`) and the id streams; `probe` is the first 5,000 validation tokens (the plots'
 * validation perplexity). The neural LM and the GPT get the same streams for the same size; the last one is kept.
 */
let streams = null;
async function lmStreams(trainTokens, minCount) {
  if (streams?.trainTokens === trainTokens && streams.minCount === minCount) return streams;
  const text = (await lines()).map((l) => l.split(' '));
  // brown.txt is the corpus's sentences in order, one per line: the same token positions as the corpus.
  const split = brownLmSplit(text);
  const trainPart = cut(split.train, trainTokens);
  const validPart = cut(split.valid, Math.max(5000, Math.ceil(trainTokens / 4)));
  const vocab = lmVocab(trainPart, { minCount });
  const train = encodeStream(trainPart, vocab.index);
  const valid = encodeStream(validPart, vocab.index);
  streams = { trainTokens, minCount, vocab, train, valid, probe: valid.subarray(0, 5000) };
  return streams;
}

const int = (v, lo, hi, name) => {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
};
const num = (v, lo, hi, name) => {
  if (!Number.isFinite(v) || v < lo || v > hi)
    throw new RangeError(`${name} must be a number in [${lo}, ${hi}], got ${v}`);
  return v;
};

/**
 * The onProgress of a word LM's fit (the neural LM's and the GPT's): a 'progress'
 * event per report with the validation perplexity at each epoch's end and at most
 * every 2.5 s between (validNow, in eval mode), sent through emit; `last` holds the
 * latest event. f0: when training started (performance.now()).
 */
function fitProgress(f0, validNow, emit) {
  let lastValid = f0;
  const p = {
    last: null,
    onProgress: (q) => {
      const t = performance.now();
      const ev = {
        kind: 'progress',
        step: q.step,
        steps: q.steps,
        epoch: q.epoch,
        epochs: q.epochs,
        loss: q.loss,
        tokensPerSec: q.itemsPerSec,
        elapsed: (t - f0) / 1e3,
        epochEnd: q.epochEnd,
        lr: q.lr,
      };
      if (q.epochEnd) {
        ev.epochValidPpl = q.validPerplexity;
        ev.validPpl = validNow();
        lastValid = performance.now();
      } else if (t - lastValid > 2500) {
        ev.validPpl = validNow();
        lastValid = performance.now();
      }
      p.last = ev;
      emit(ev);
    },
  };
  return p;
}

function lmInfo() {
  const lm = state.lm;
  const c = lm.config;
  return {
    source: state.lmSource,
    vocabSize: c.vocabSize,
    context: c.context,
    embeddingDim: c.embeddingDim,
    hidden: c.hidden,
    params: lm.parameterCount(),
    cased: lm.vocab?.some((w) => w !== w.toLowerCase()) ?? false,
  };
}

function bertInfo() {
  const c = state.bert.config;
  return {
    source: state.bertSource,
    vocabSize: c.vocabSize,
    layers: c.numHiddenLayers,
    hidden: c.hiddenSize,
    heads: c.numAttentionHeads,
    params: state.bert.parameterCount(),
  };
}

function setBert(model, source) {
  state.bert?.dispose();
  state.bert = model;
  state.bertSource = source;
  state.fill = pipeline('fill-mask', model);
}

serve({
  init: ready,

  // ---- Neural LM
  async 'lm.train'(p, emit) {
    oneAtATime();
    const trainTokens = int(p.trainTokens, 1000, 800_000, 'training tokens');
    const epochs = int(p.epochs, 1, 50, 'epochs');
    const context = int(p.context, 1, 10, 'context');
    const dim = int(p.dim, 2, 512, 'embedding size');
    const hidden = int(p.hidden, 2, 1024, 'hidden units');
    const batchSize = int(p.batchSize ?? 128, 1, 4096, 'batch size');
    const lr = num(p.lr ?? 3e-3, 1e-6, 1, 'learning rate');
    const minCount = int(p.minCount ?? 3, 1, 1000, 'minimum count');
    const dropout = num(p.dropout ?? 0.1, 0, 0.9, 'dropout');
    // Busy and the run's controller before any await: a second Train, or a Stop while the core loads, sees them.
    state.busy.lm = true;
    const abort = (state.abort.lm = new AbortController());
    const t0 = performance.now();
    try {
      await ready();
      const { vocab, train, valid, probe } = await lmStreams(trainTokens, minCount);
      state.lm?.dispose();
      state.lm = null;
      const lm = new NeuralLM(
        { vocabSize: vocab.words.length, context, embeddingDim: dim, hidden, dropout, seed: 1 },
        vocab.words,
      );
      state.lm = lm;
      state.lmSource = `trained here on ${train.length.toLocaleString('en-US')} Brown tokens`;
      const prepSeconds = (performance.now() - t0) / 1e3;
      emit({
        kind: 'start',
        vocabSize: vocab.words.length,
        trainTokens: train.length,
        validTokens: valid.length,
        params: lm.parameterCount(),
        prepSeconds,
      });
      const f0 = performance.now();
      const validNow = () => lm.evaluate(probe).perplexity; // eval mode inside, the training mode restored after
      const progress = fitProgress(f0, validNow, emit);
      // Stop: fit ends before its next step with the weights of the last one (no restoreBest).
      const result = await lm.fit(train, {
        epochs,
        batchSize,
        lr,
        valid,
        threads: info.threads,
        patience: 2,
        restoreBest: true,
        signal: abort.signal,
        onProgress: progress.onProgress,
      });
      tape.release?.();
      lm.eval();
      const validPpl = lm.evaluate(probe).perplexity;
      const seconds = (performance.now() - f0) / 1e3;
      return {
        ...lmInfo(),
        steps: result.steps,
        stoppedByUser: result.aborted,
        earlyStopped: !result.aborted && result.stopped,
        bestEpoch: result.bestEpoch,
        bestValidPpl: result.bestValidPerplexity,
        validPpl,
        seconds,
        prepSeconds,
        tokensPerSec: progress.last?.tokensPerSec ?? 0,
        trainTokens: train.length,
        validTokens: valid.length,
      };
    } finally {
      state.busy.lm = false;
    }
  },
  'lm.stop'() {
    state.abort.lm?.abort();
    return state.busy.lm;
  },
  'lm.next'({ prompt, k = 10 }) {
    const lm = needLm();
    const words = String(prompt)
      .split(/\s+/)
      .filter((w) => w.length > 0);
    const index = new Map(lm.vocab.map((w, i) => [w, i]));
    const ctx = words.slice(-lm.config.context);
    const unknown = ctx.filter((w) => !index.has(w));
    const top = lm.topNext(words, int(k, 1, 100, 'k')).map((n) => ({ word: n.word, prob: n.prob }));
    return { top, context: ctx, unknown };
  },
  'lm.generate'({ prompt, length, temperature, topK, seed }) {
    const lm = needLm();
    const words = lm.generate(String(prompt), {
      length: int(length, 1, 200, 'length'),
      temperature: num(temperature, 0.05, 5, 'temperature'),
      topK: int(topK, 0, lm.config.vocabSize, 'top-k'),
      seed: int(seed, 0, 2 ** 31 - 1, 'seed'),
    });
    return { words };
  },
  'lm.save'() {
    const bytes = needLm().toSafetensors();
    return withTransfer(bytes, [bytes.buffer]);
  },
  'lm.load'({ bytes, name }) {
    if (state.busy.lm) throw new Error('stop training before loading a model');
    const lm = NeuralLM.fromSafetensors(new Uint8Array(bytes));
    if (lm.vocab === null || lm.vocab === undefined) {
      lm.dispose();
      throw new Error(`${name}: the file has no vocabulary (NeuralLM.toSafetensors writes it)`);
    }
    state.lm?.dispose();
    state.lm = lm;
    state.lmSource = `loaded from ${name}`;
    return lmInfo();
  },

  // ---- Small GPT
  async 'gpt.train'(p, emit) {
    oneAtATime();
    const trainTokens = int(p.trainTokens, 1000, 800_000, 'training tokens');
    const epochs = int(p.epochs, 1, 50, 'epochs');
    const context = int(p.context, 4, 256, 'context');
    const dim = int(p.dim, 8, 512, 'embedding size');
    const layers = int(p.layers, 1, 8, 'layers');
    const heads = int(p.heads, 1, 16, 'heads');
    if (dim % heads !== 0)
      throw new RangeError(`embedding size must be a multiple of the heads (${heads}), got ${dim}`);
    const batchSize = int(p.batchSize ?? 16, 1, 1024, 'batch size');
    const lr = num(p.lr ?? 3e-3, 1e-6, 1, 'learning rate');
    const warmupSteps = int(p.warmupSteps ?? 50, 0, 100_000, 'warm-up steps');
    const minCount = int(p.minCount ?? 3, 1, 1000, 'minimum count');
    const dropout = num(p.dropout ?? 0.1, 0, 0.9, 'dropout');
    // Busy and the run's controller before any await: a second Train, or a Stop while the core loads, sees them.
    state.busy.gpt = true;
    const abort = (state.abort.gpt = new AbortController());
    const t0 = performance.now();
    try {
      await ready();
      const { vocab, train, valid, probe } = await lmStreams(trainTokens, minCount);
      state.gpt?.dispose();
      state.gpt = null;
      // lmVocab puts <unk> at 0 and <s> at 1: GptLM's default unk and bos.
      const gpt = new GptLM(
        {
          vocabSize: vocab.words.length,
          nPositions: context,
          nEmbd: dim,
          nLayer: layers,
          nHead: heads,
          residPdrop: dropout,
          embdPdrop: dropout,
          attnPdrop: dropout,
          seed: 1,
        },
        vocab.words,
      );
      state.gpt = gpt;
      state.gptSource = `trained here on ${train.length.toLocaleString('en-US')} Brown tokens`;
      const prepSeconds = (performance.now() - t0) / 1e3;
      emit({
        kind: 'start',
        vocabSize: vocab.words.length,
        trainTokens: train.length,
        validTokens: valid.length,
        params: gpt.parameterCount(),
        prepSeconds,
      });
      const validNow = () => gpt.evaluate(probe).perplexity; // eval mode inside, the training mode restored after
      // the untrained model's perplexity (about the vocabulary size)
      const initialPpl = validNow();
      emit({ kind: 'initial', validPpl: initialPpl });
      const f0 = performance.now();
      const progress = fitProgress(f0, validNow, emit);
      // Stop: fit ends before its next step with the weights of the last one (no restoreBest).
      const result = await gpt.fit(train, {
        epochs,
        batchSize,
        context,
        lr,
        warmupSteps,
        valid,
        evalStride: Math.max(1, context >> 1),
        threads: info.threads,
        patience: 2,
        restoreBest: true,
        signal: abort.signal,
        onProgress: progress.onProgress,
      });
      tape.release?.();
      gpt.eval();
      const validPpl = validNow();
      return {
        ...gptInfo(),
        steps: result.steps,
        stoppedByUser: result.aborted,
        earlyStopped: !result.aborted && result.stopped,
        bestEpoch: result.bestEpoch,
        bestValidPpl: result.bestValidPerplexity,
        initialPpl,
        validPpl,
        seconds: (performance.now() - f0) / 1e3,
        prepSeconds,
        tokensPerSec: progress.last?.tokensPerSec ?? 0,
        trainTokens: train.length,
        validTokens: valid.length,
      };
    } finally {
      state.busy.gpt = false;
    }
  },
  'gpt.stop'() {
    state.abort.gpt?.abort();
    return state.busy.gpt;
  },
  // Emits { kind: 'word', word, index } for each word as `stream` yields it; returns all of them.
  async 'gpt.generate'({ prompt, length, temperature, topK, topP, seed }, emit) {
    const gpt = needGpt();
    oneAtATime();
    const n = int(length, 1, 1000, 'length');
    const opts = {
      doSample: true,
      temperature: num(temperature, 0.05, 5, 'temperature'),
      topK: int(topK, 0, gpt.config.vocabSize, 'top-k'),
      topP: num(topP, 0, 1, 'top-p'),
    };
    const s0 = int(seed, 0, 2 ** 31 - 1, 'seed');
    const text = String(prompt)
      .split(/\s+/)
      .filter((w) => w.length > 0);
    const index = new Map(gpt.vocab.map((w, i) => [w, i]));
    const unknown = text.filter((w) => !index.has(w));
    state.busy.gptSample = true;
    const abort = (state.abort.gptSample = new AbortController());
    const t0 = performance.now();
    const words = [];
    try {
      for await (const id of sampleIds(gpt, [...gpt.encode(text)], n, opts, s0, abort.signal)) {
        const word = gpt.vocab[id];
        words.push(word);
        emit({ kind: 'word', word, index: words.length - 1 });
      }
    } finally {
      state.busy.gptSample = false;
    }
    return { words, unknown, stopped: abort.signal.aborted, seconds: (performance.now() - t0) / 1e3 };
  },
  'gpt.sampleStop'() {
    state.abort.gptSample?.abort();
    return state.busy.gptSample;
  },
  'gpt.save'() {
    const bytes = needGpt().toSafetensors();
    return withTransfer(bytes, [bytes.buffer]);
  },
  'gpt.load'({ bytes, name }) {
    if (state.busy.gpt || state.busy.gptSample) throw new Error('stop training (or sampling) before loading a model');
    const gpt = GptLM.fromSafetensors(new Uint8Array(bytes));
    if (gpt.vocab === null || gpt.vocab === undefined) {
      gpt.dispose();
      throw new Error(`${name}: the file has no vocabulary (GptLM.toSafetensors writes it)`);
    }
    state.gpt?.dispose();
    state.gpt = gpt;
    state.gptSource = `loaded from ${name}`;
    return gptInfo();
  },

  // ---- BERT
  async 'bert.train'(p, emit) {
    oneAtATime();
    const sentences = int(p.sentences, 200, 57_340, 'sentences');
    const vocabSize = int(p.vocabSize, 200, 30_000, 'vocabulary size');
    const hidden = int(p.hidden, 16, 512, 'hidden size');
    const layers = int(p.layers, 1, 6, 'layers');
    const heads = int(p.heads ?? 2, 1, 16, 'heads');
    if (hidden % heads !== 0)
      throw new RangeError(`hidden size must be a multiple of the heads (${heads}), got ${hidden}`);
    const seconds = num(p.seconds, 1, 3600, 'seconds');
    const epochs = int(p.epochs ?? 20, 1, 1000, 'epochs');
    const seqLen = int(p.seqLen ?? 64, 16, 512, 'sequence length');
    const batchSize = int(p.batchSize ?? 16, 1, 256, 'batch size');
    const lr = num(p.lr ?? 1e-3, 1e-6, 1, 'learning rate');
    // Busy and the run's controller before any await: a second Train, or a Stop while the core loads, sees them.
    state.busy.bert = true;
    const abort = (state.abort.bert = new AbortController());
    const t0 = performance.now();
    try {
      await ready();
      const sents = (await lines()).slice(0, sentences);
      const tok = WordPiece.train(sents, {
        vocabSize,
        minFrequency: Math.max(2, Math.round(50 * Math.min(1, sentences / 20000))),
      });
      const docs = [];
      for (let i = 0; i < sents.length; i += 20) docs.push(sents.slice(i, i + 20)); // 20 consecutive sentences a "document"
      const train = packMaskedLMExamples(tok, docs, { maxLength: seqLen });
      const model = new BertForMaskedLM(
        {
          vocabSize: tok.size,
          hiddenSize: hidden,
          numHiddenLayers: layers,
          numAttentionHeads: heads,
          intermediateSize: 4 * hidden,
          maxPositionEmbeddings: seqLen,
          initializerRange: 0.05,
          padTokenId: tok.idOf('[PAD]'),
        },
        { seed: 1 },
      );
      model.tokenizer = tok;
      setBert(model, `trained here on the first ${sentences.toLocaleString('en-US')} Brown sentences`);
      const prepSeconds = (performance.now() - t0) / 1e3;
      const tokens = train.reduce((n, x) => n + x.ids.length, 0);
      emit({
        kind: 'start',
        vocabSize: tok.size,
        sequences: train.length,
        tokens,
        params: bertInfo().params,
        prepSeconds,
      });
      const f0 = performance.now();
      let last = null,
        reason = 'epochs done';
      // The time limit aborts the same signal as Stop, with its own reason.
      const timer = setTimeout(() => abort.abort('time'), seconds * 1000);
      try {
        const r = await model.fit(train, {
          epochs,
          batchSize,
          lr,
          warmup: 0.02,
          threads: info.threads,
          signal: abort.signal,
          onProgress: (q) => {
            const elapsed = (performance.now() - f0) / 1e3;
            last = {
              kind: 'progress',
              step: q.step,
              steps: q.steps,
              epoch: q.epoch,
              epochs: q.epochs,
              loss: q.loss,
              tokensPerSec: q.itemsPerSec,
              elapsed,
            };
            emit(last);
          },
        });
        if (r.aborted) reason = abort.signal.reason === 'time' ? `time limit (${seconds} s)` : 'stopped by the user';
      } finally {
        clearTimeout(timer);
      }
      tape.release?.();
      model.eval();
      return {
        ...bertInfo(),
        steps: last?.step ?? 0,
        loss: last?.loss ?? NaN,
        tokensPerSec: last?.tokensPerSec ?? 0,
        seconds: (performance.now() - f0) / 1e3,
        prepSeconds,
        reason,
      };
    } finally {
      state.busy.bert = false;
    }
  },
  'bert.stop'() {
    state.abort.bert?.abort('user');
    return state.busy.bert;
  },
  // files: { name: ArrayBuffer } as picked by the user (config.json, model.safetensors, vocab.txt or tokenizer.json, tokenizer_config.json?)
  'bert.load'({ files }) {
    if (state.busy.bert) throw new Error('stop training before loading a model');
    const names = Object.keys(files);
    const text = (n) => new TextDecoder().decode(files[n]);
    const find = (n) => names.find((x) => x === n);
    const missing = ['config.json', 'model.safetensors'].filter((n) => find(n) === undefined);
    if (find('vocab.txt') === undefined && find('tokenizer.json') === undefined)
      missing.push('vocab.txt (or tokenizer.json)');
    if (missing.length > 0)
      throw new Error(
        `pick the files of a model directory: missing ${missing.join(', ')}; got ${names.join(', ') || 'none'}`,
      );
    let lowercase = true;
    if (find('tokenizer_config.json') !== undefined) {
      const tc = JSON.parse(text('tokenizer_config.json'));
      if (typeof tc.do_lower_case === 'boolean') lowercase = tc.do_lower_case;
    }
    const model = BertForMaskedLM.fromPretrained({
      config: text('config.json'),
      weights: new Uint8Array(files['model.safetensors']),
      ...(find('vocab.txt') !== undefined ? { vocab: text('vocab.txt') } : { tokenizer: text('tokenizer.json') }),
      lowercase,
    });
    setBert(model, `loaded from ${names.length} files`);
    return bertInfo();
  },
  async 'bert.fill'({ texts, k }) {
    if (state.bert === null) throw new Error('train or load a BERT first');
    const topK = int(k, 1, 50, 'k');
    const out = [];
    for (const t of texts) {
      const n = (String(t).match(/\[MASK\]/g) ?? []).length;
      if (n !== 1) {
        out.push({ text: t, error: `must contain exactly one [MASK], got ${n}` });
        continue;
      }
      const r = await state.fill(t, { top_k: topK });
      out.push({ text: t, fills: r.map((x) => ({ token: x.token_str, prob: x.score })) });
    }
    return out;
  },
});

function gptInfo() {
  const g = state.gpt;
  const c = g.config;
  return {
    source: state.gptSource,
    vocabSize: c.vocabSize,
    context: c.nPositions,
    dim: c.nEmbd,
    layers: c.nLayer,
    heads: c.nHead,
    params: g.parameterCount(),
    cased: g.vocab?.some((w) => w !== w.toLowerCase()) ?? false,
  };
}

function needGpt() {
  if (state.gpt === null) throw new Error('train or load a GPT first');
  if (state.busy.gpt) throw new Error('wait for training to end (or press Stop)');
  return state.gpt;
}

/**
 * `model` as a CausalLM whose next-word logits never pick the ids of `banned` (−∞), as NeuralLM.generate
 * never samples <s> or <unk>: stream() has no option to suppress tokens, so the sessions are wrapped.
 */
function suppressing(model, banned) {
  return {
    vocabSize: model.vocabSize,
    maxLength: model.maxLength,
    startSession(options) {
      const s = model.startSession(options);
      return {
        feed(ids) {
          const logits = s.feed(ids);
          for (const b of banned) logits[b] = -Infinity;
          return logits;
        },
        get length() {
          return s.length;
        },
        dispose: () => s.dispose(),
      };
    },
  };
}

/**
 * `n` sampled word ids after the prompt ids, one at a time as stream() yields them. The window is the
 * model's nPositions (maxLength) tokens: the context starts with <s> and the prompt's last words, at most
 * half the window; when the window is full, generation goes on from its last half (as GptLM's sliding
 * sessions do), with the seed + k·2³¹ for the k-th window. So the first window is exactly
 * stream(model, [bos, ...prompt], { maxNewTokens, seed }) with <unk> and <s> suppressed.
 */
async function* sampleIds(gpt, promptIds, n, opts, seed, signal) {
  const lm = suppressing(gpt, [gpt.config.unk, gpt.config.bos]);
  const half = Math.max(1, gpt.maxLength >> 1);
  let ctx = [gpt.config.bos, ...promptIds].slice(-half);
  for (let k = 0, done = 0; done < n && !signal.aborted; k++) {
    const m = Math.min(n - done, gpt.maxLength - ctx.length);
    for await (const id of stream(lm, ctx, { ...opts, maxNewTokens: m, seed: seed + k * 2 ** 31, signal })) {
      ctx.push(id);
      done++;
      yield id;
    }
    ctx = ctx.slice(-half);
  }
}

function needLm() {
  if (state.lm === null) throw new Error('train or load a neural LM first');
  if (state.busy.lm) throw new Error('wait for training to end (or press Stop)');
  return state.lm;
}
