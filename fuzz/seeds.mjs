// The seed corpus, made at startup: tiny models written by the library itself
// (fastText .bin, .vec, word2vec binary, safetensors, training checkpoints
// captured by onCheckpoint, saved models, BERT and GPT-2 directories in Hugging
// Face layout, byte-level BPE tokenizer.json files), the GPT-2 and tokenizer.json
// fixtures of tests/fixtures/ (files written by PyTorch and Hugging Face) and
// native fastText's files when /usr/bin/fasttext (or $FASTTEXT) exists.
// Every seed is deterministic: fixed seeds, one thread, generated text.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseRng } from './mutate.mjs';
import { parseSafetensors, utf8, writeSafetensors } from './formats.mjs';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'far', 'café', 'ß', '日本', 'naïve', 'über', 'a', 'is'];

/** Lines of `n` words from a fixed generator, with a label prefix when `labels` is given. */
function corpus(n, lines, labels) {
  const rng = caseRng(7, lines);
  const out = [];
  for (let l = 0; l < lines; l++) {
    const ws = Array.from({ length: n }, () => WORDS[rng.int(WORDS.length)]);
    const lab = labels ? `__label__${labels[ws.length > 0 ? WORDS.indexOf(ws[0]) % labels.length : 0]} ` : '';
    out.push(lab + ws.join(' '));
  }
  return out.join('\n') + '\n';
}

// ---- the models whose checkpoints and saves are seeds; targets rebuild them to resume ----

const tcConfig = { vocabSize: 12, numClasses: 3, dim: 8, heads: 2, layers: 1, ffn: 16, seed: 3 };
const tagConfig = { vocabSize: 10, numTags: 3, dim: 8, heads: 2, layers: 1, ffn: 16, seed: 1 };
const lmConfig = { vocabSize: 12, context: 2, embeddingDim: 4, hidden: 8, seed: 1 };
const gptLMConfig = { vocabSize: 12, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2, seed: 1 };
const bertSeqConfig = {
  vocabSize: 16,
  hiddenSize: 8,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 16,
  maxPositionEmbeddings: 16,
  numLabels: 2,
};

function seqData(n, vocab, seed) {
  const rng = caseRng(seed, n);
  return Array.from({ length: n }, () => Array.from({ length: 2 + rng.int(4) }, () => 1 + rng.int(vocab - 1)));
}

/**
 * How each checkpointing model is made, its training data and fit options: the
 * seeds' checkpoints come from these runs, and the checkpoint target resumes them.
 */
export const RECIPES = {
  tc: {
    make: (W) => new W.TextClassifier(tcConfig),
    data: () => seqData(8, 12, 1).map((ids) => ({ ids, label: ids[0] % 3 })),
    opts: { epochs: 2, batchSize: 4, lr: 3e-3, sortWindow: 1 },
    use: (m) => m.predict([1, 2, 3]),
  },
  tag: {
    make: (W) => new W.SequenceTagger(tagConfig),
    data: () => seqData(8, 10, 2).map((ids) => ({ ids, tags: ids.map((x) => x % 3) })),
    opts: { epochs: 2, batchSize: 4, lr: 3e-3, sortWindow: 1 },
    use: (m) => m.predict([1, 2, 3]),
  },
  lm: {
    make: (W) => new W.NeuralLM(lmConfig),
    data: () => {
      const rng = caseRng(9, 1);
      return Int32Array.from({ length: 120 }, () => 2 + rng.int(10));
    },
    opts: { epochs: 2, batchSize: 40 },
    use: (m) => m.evaluate(Int32Array.of(2, 3, 4, 5, 6)),
  },
  gptlm: {
    make: (W) => new W.GptLM(gptLMConfig),
    data: () => {
      const rng = caseRng(11, 1);
      return Int32Array.from({ length: 96 }, () => 2 + rng.int(10));
    },
    opts: { epochs: 2, batchSize: 4, context: 8 },
    use: (m) => m.evaluate(Int32Array.of(2, 3, 4, 5, 6)),
  },
  bert: {
    make: (W) => new W.BertForSequenceClassification(bertSeqConfig, { seed: 1 }),
    data: () => seqData(8, 16, 3).map((ids) => ({ ids: [2, ...ids, 3], label: ids[0] % 2 })),
    opts: { epochs: 1, batchSize: 4 },
    use: () => 0,
  },
};

const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'cat',
  'sat',
  'on',
  'mat',
  'dog',
  '##s',
  '##ing',
  'run',
  'caf',
  '##é',
  'über',
  '日',
  '本',
  'a',
];

const bertA = {
  vocabSize: 24,
  hiddenSize: 8,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 16,
  maxPositionEmbeddings: 16,
};
const bertB = { ...bertA, vocabSize: 20, hiddenSize: 12, numAttentionHeads: 3, intermediateSize: 24 };

function textFiles(out) {
  const files = {};
  for (const [k, v] of Object.entries(out)) if (v !== undefined) files[k] = typeof v === 'string' ? utf8(v) : v;
  return files;
}

/** A safetensors file of every dtype the reader converts (F16, BF16, F64, I64), written by the fuzzer. */
function multiDtypeFile() {
  const f16 = Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7c00, 0x8000, 0x3555);
  const bf16 = Uint16Array.of(0x3f80, 0xbf80, 0x7f80, 0x0001);
  const f64 = Float64Array.of(1.5, -2.25, 1e300, 3.1415926);
  const i64 = BigInt64Array.of(1n, -1n, 2147483647n, -2147483648n);
  const parts = [
    ['a16', 'F16', [2, 3], new Uint8Array(f16.buffer)],
    ['b16', 'BF16', [4], new Uint8Array(bf16.buffer)],
    ['c64', 'F64', [2, 2], new Uint8Array(f64.buffer)],
    ['d64', 'I64', [4], new Uint8Array(i64.buffer)],
  ];
  const header = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, dtype, shape, bytes] of parts) {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    at += bytes.length;
  }
  const data = new Uint8Array(at);
  at = 0;
  for (const [, , , bytes] of parts) {
    data.set(bytes, at);
    at += bytes.length;
  }
  return writeSafetensors(JSON.stringify(header), data);
}

/** A checkpoint with its wall-clock fields (epochSeconds, seconds) set to 0, so seeds are the same on every run. */
function withoutTimes(bytes) {
  const f = parseSafetensors(bytes);
  return writeSafetensors(f.text.trimEnd().replace(/(\\"(?:epochSeconds|seconds)\\":)[-0-9.eE+]+/g, '$10'), f.data);
}

async function checkpoints(W, name, every, keep) {
  const r = RECIPES[name];
  const m = r.make(W);
  const out = [];
  await m.fit(r.data(), {
    ...r.opts,
    checkpointEvery: every,
    onCheckpoint: (bytes, info) => {
      if (keep.includes(info.step)) out.push({ bytes: withoutTimes(bytes), step: info.step });
    },
  });
  return { model: m, checkpoints: out };
}

function runNative(bin, dir, args) {
  execFileSync(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
}

/**
 * Build every seed. Returns { seeds, native } where seeds are
 * { id, kind, bytes | files, canonical, recipe? } and native says whether
 * native fastText made its seeds (with the reason when not).
 */
export async function buildSeeds(W) {
  const seeds = [];
  const add = (id, kind, bytes, extra = {}) => seeds.push({ id, kind, bytes, canonical: true, ...extra });

  // fastText supervised and unsupervised, by the library
  const sup = corpus(4, 40, ['pos', 'neg', 'mid']);
  for (const [id, o] of [
    ['lib-sup-softmax', { dim: 8, epoch: 2, wordNgrams: 2, bucket: 200, seed: 1 }],
    ['lib-sup-ova', { dim: 6, epoch: 1, loss: 'ova', seed: 2 }],
    ['lib-sup-hs', { dim: 4, epoch: 1, loss: 'hs', wordNgrams: 1, seed: 3 }],
  ]) {
    const m = await W.FastTextClassifier.train(sup, o);
    add(id, 'ft-sup', m.toBytes());
    m.dispose();
  }
  const unsup = corpus(6, 40);
  for (const [id, o] of [
    ['lib-sg', { model: 'skipgram', dim: 8, epoch: 1, bucket: 200, minn: 2, maxn: 4, seed: 1, threads: 1 }],
    ['lib-cbow', { model: 'cbow', dim: 4, epoch: 1, bucket: 100, minn: 3, maxn: 3, seed: 2, threads: 1 }],
  ]) {
    const m = await W.FastText.train(unsup, o);
    add(id, 'ft-unsup', m.toBytes());
    if (id === 'lib-sg') add('lib-fasttext-vec', 'vec', m.toVec());
    m.dispose();
  }

  // word vectors: .vec and word2vec binary
  const tableWords = ['the', 'cat', 'café', '日本', 'ß', 'x-y', '😀'];
  const table = {
    words: tableWords,
    dim: 4,
    data: Float32Array.from({ length: tableWords.length * 4 }, (_, i) => Math.fround(Math.sin(i + 1) * 3)),
  };
  add('lib-vec', 'vec', W.writeVec(table));
  add('lib-w2v', 'w2v', W.writeWord2VecBin(table));
  const w2v = new W.Word2Vec({ dim: 8, epochs: 1, minCount: 1, seed: 1 });
  await w2v.train(unsup);
  add('lib-w2v-trained', 'w2v', w2v.toWord2VecBin());
  add('lib-w2v-trained-vec', 'vec', w2v.toVec());
  w2v.dispose();

  // safetensors
  add(
    'lib-st',
    'st',
    W.encodeSafetensors(
      {
        w: { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, -0, 1e-30) },
        ids: { shape: [4], data: Int32Array.of(1, -1, 2147483647, -2147483648) },
        s: { shape: [], data: Float32Array.of(42) },
        e: { shape: [0, 3], data: new Float32Array(0) },
      },
      { format: 'pt', note: '{"json": [1, 2]}' },
    ),
  );
  add('fuzz-st-dtypes', 'st', multiDtypeFile(), { canonical: false });

  // checkpoints and saved models
  const tc = await checkpoints(W, 'tc', 1, [1, 2, 3]);
  const tag = await checkpoints(W, 'tag', 1, [1, 2]);
  const lm = await checkpoints(W, 'lm', 1, [1, 3]);
  const bert = await checkpoints(W, 'bert', 1, [1]);
  const gptlm = await checkpoints(W, 'gptlm', 2, [2, 4]);
  for (const [name, r] of [
    ['tc', tc],
    ['tag', tag],
    ['lm', lm],
    ['bert', bert],
    ['gptlm', gptlm],
  ]) {
    for (const c of r.checkpoints) add(`ckpt-${name}-step${c.step}`, 'ckpt', c.bytes, { recipe: name });
  }
  add('saved-tc', 'saved', tc.model.toSafetensors(), { recipe: 'tc' });
  add('saved-tag', 'saved', tag.model.toSafetensors(), { recipe: 'tag' });
  add('saved-lm', 'saved', lm.model.toSafetensors(), { recipe: 'lm' });
  // a word vocabulary for the saved LMs (non-ASCII words too)
  const words = ['<unk>', '<s>', 'the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'far', 'café', '日本'];
  const lmv = new W.NeuralLM(lmConfig, words);
  add('saved-lm-vocab', 'saved', lmv.toSafetensors(), { recipe: 'lm' });
  add('saved-gptlm', 'saved', gptlm.model.toSafetensors(), { recipe: 'gptlm' });
  const gptv = new W.GptLM({ ...gptLMConfig, nLayer: 2, nHead: 1, seed: 2 }, words);
  add('saved-gptlm-vocab', 'saved', gptv.toSafetensors(), { recipe: 'gptlm' });
  for (const m of [tc.model, tag.model, lm.model, bert.model, lmv, gptlm.model, gptv]) m.dispose();

  // BERT directories (Hugging Face layout)
  const tok = W.WordPiece.fromVocabTxt(VOCAB.join('\n') + '\n');
  const dirs = [
    ['bert-A-model', new W.BertModel(bertA, { seed: 1 }), 'vocab'],
    ['bert-B-mlm', new W.BertForMaskedLM(bertB, { seed: 2 }), 'tokenizer.json'],
    ['bert-A-seqcls', new W.BertForSequenceClassification({ ...bertA, numLabels: 3 }, { seed: 3 }), 'vocab'],
    ['bert-A-tokcls', new W.BertForTokenClassification({ ...bertA, numLabels: 4 }, { seed: 4 }), 'none'],
  ];
  for (const [id, m, tk] of dirs) {
    if (tk !== 'none') m.tokenizer = tok;
    const out = m.toPretrained();
    if (tk === 'tokenizer.json') {
      delete out['vocab.txt'];
      delete out['tokenizer_config.json'];
      out['tokenizer.json'] = tok.toTokenizerJson();
    }
    const files = textFiles(out);
    seeds.push({ id, kind: 'bert-dir', files, canonical: true });
    if (id === 'bert-A-model') add('bert-A-weights', 'st', files['model.safetensors']);
    m.dispose();
  }
  tok.dispose?.();

  gptSeeds(W, seeds);
  const native = nativeSeeds(seeds, sup, unsup);
  return { seeds, native };
}

const gpt2A = { vocabSize: 0, nPositions: 16, nEmbd: 8, nLayer: 1, nHead: 2, bosTokenId: 0, eosTokenId: 0 };
const gpt2B = {
  vocabSize: 40,
  nPositions: 12,
  nEmbd: 12,
  nLayer: 2,
  nHead: 3,
  nInner: 20,
  bosTokenId: 39,
  eosTokenId: 39,
};

/** A file of tests/fixtures/, or undefined when the tree has none (a packed copy of fuzz/). */
function fixture(path) {
  const url = new URL(`../tests/fixtures/${path}`, import.meta.url);
  return existsSync(url) ? new Uint8Array(readFileSync(url)) : undefined;
}

/**
 * GPT-2 directories ('gpt2-dir': config.json, model.safetensors, tokenizer.json
 * in one) written by GPT2LMHeadModel.toPretrained, with a ByteLevelBPE trained
 * here and without a tokenizer; the PyTorch-written fixtures (Conv1D layout, F16,
 * keys with and without `transformer.`); tokenizer.json files ('tokenizer.json':
 * the kind is the file name, so the JSON mutators apply) of GPT-2 and RoBERTa
 * layouts, one whose vocabulary lacks most byte characters, and Hugging Face's.
 */
function gptSeeds(W, seeds) {
  const bpe = W.ByteLevelBPE.train(corpus(5, 24).split('\n'), { vocabSize: 300, minFrequency: 2 });
  const gptJson = bpe.toTokenizerJson();
  const a = new W.GPT2LMHeadModel({ ...gpt2A, vocabSize: bpe.size }, { seed: 5 });
  a.tokenizer = bpe;
  const b = new W.GPT2LMHeadModel(gpt2B, { seed: 6 });
  for (const [id, m] of [
    ['gpt2-A-bpe', a],
    ['gpt2-B-plain', b],
  ]) {
    seeds.push({ id, kind: 'gpt2-dir', files: textFiles(m.toPretrained()), canonical: true });
    m.dispose();
  }
  for (const [id, dir, weights] of [
    ['gpt2-hf-tiny-f16', 'tiny', 'model-f16.safetensors'],
    ['gpt2-hf-inner', 'inner', 'model.safetensors'],
  ]) {
    const config = fixture(`gpt2/${dir}/config.json`);
    const st = fixture(`gpt2/${dir}/${weights}`);
    if (config !== undefined && st !== undefined)
      seeds.push({ id, kind: 'gpt2-dir', files: { 'config.json': config, 'model.safetensors': st }, canonical: false });
  }

  const add = (id, text, canonical) => seeds.push({ id, kind: 'tokenizer.json', bytes: utf8(text), canonical });
  add('bpe-gpt2', gptJson, true);
  const roberta = W.ByteLevelBPE.train(corpus(4, 24).split('\n'), {
    vocabSize: 290,
    minFrequency: 1,
    specialTokens: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'],
    addPrefixSpace: true,
  });
  const r = JSON.parse(roberta.toTokenizerJson());
  r.post_processor = {
    type: 'RobertaProcessing',
    sep: ['</s>', 2],
    cls: ['<s>', 0],
    trim_offsets: true,
    add_prefix_space: true,
  };
  add('bpe-roberta', W.ByteLevelBPE.fromTokenizerJson(r).toTokenizerJson(), true);
  // a few byte characters only, an unknown token, and merges over them
  const partial = {
    version: '1.0',
    added_tokens: [
      {
        id: 0,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      unk_token: '?',
      vocab: { '<|endoftext|>': 0, '?': 1, t: 2, h: 3, e: 4, Ġ: 5, a: 6, th: 7, the: 8, Ġt: 9 },
      merges: ['t h', 'th e', 'Ġ t'],
    },
  };
  add('bpe-partial', W.ByteLevelBPE.fromTokenizerJson(partial).toTokenizerJson(), true);
  const hf = fixture('bpe/tokenizer.json');
  if (hf !== undefined) seeds.push({ id: 'bpe-hf', kind: 'tokenizer.json', bytes: hf, canonical: false });
}

function nativeSeeds(seeds, sup, unsup) {
  const bin = process.env.FASTTEXT ?? '/usr/bin/fasttext';
  if (!existsSync(bin)) return { ok: false, reason: `${bin} not found`, count: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-fuzz-native-'));
  try {
    writeFileSync(join(dir, 'sup.txt'), sup);
    writeFileSync(join(dir, 'unsup.txt'), unsup);
    const common = ['-minCount', '1', '-thread', '1', '-seed', '1', '-verbose', '0'];
    runNative(bin, dir, [
      'supervised',
      '-input',
      'sup.txt',
      '-output',
      'sup',
      '-dim',
      '8',
      '-epoch',
      '2',
      '-bucket',
      '200',
      '-wordNgrams',
      '2',
      ...common,
    ]);
    runNative(bin, dir, [
      'skipgram',
      '-input',
      'unsup.txt',
      '-output',
      'sg',
      '-dim',
      '8',
      '-epoch',
      '1',
      '-bucket',
      '200',
      '-minn',
      '2',
      '-maxn',
      '4',
      ...common,
    ]);
    const before = seeds.length;
    seeds.push({ id: 'native-sup', kind: 'ft-sup', bytes: readFileSync(join(dir, 'sup.bin')), canonical: true });
    seeds.push({ id: 'native-sg', kind: 'ft-unsup', bytes: readFileSync(join(dir, 'sg.bin')), canonical: true });
    // native .vec: %.5g values and a trailing space, not our canonical form
    seeds.push({ id: 'native-sg-vec', kind: 'vec', bytes: readFileSync(join(dir, 'sg.vec')), canonical: false });
    return { ok: true, count: seeds.length - before };
  } catch (e) {
    return { ok: false, reason: `native fastText failed: ${String(e.message).split('\n')[0]}`, count: 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Write seeds under `dir` (manifest.json and one file per seed file). */
export function saveSeeds(dir, seeds) {
  const manifest = seeds.map((s, i) => {
    const { bytes, files, ...rest } = s;
    if (bytes !== undefined) {
      writeFileSync(join(dir, `${i}.bin`), bytes);
      return { ...rest, file: `${i}.bin` };
    }
    const names = Object.keys(files);
    names.forEach((n, k) => writeFileSync(join(dir, `${i}.${k}.bin`), files[n]));
    return { ...rest, files: Object.fromEntries(names.map((n, k) => [n, `${i}.${k}.bin`])) };
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

/** Seeds saved by saveSeeds, as fresh Uint8Arrays (offset 0, not Buffers). */
export function loadSeeds(dir) {
  const read = (f) => new Uint8Array(readFileSync(join(dir, f)));
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).map((s) =>
    s.file !== undefined
      ? { ...s, file: undefined, bytes: read(s.file) }
      : { ...s, files: Object.fromEntries(Object.entries(s.files).map(([n, f]) => [n, read(f)])) },
  );
}
