// The lecture's three ways to contextualise embedded words, side by side on the same
// tasks: self-attention (Transformer), recurrent (BiLSTM, BiGRU) and convolutional (CNN)
// encoders under the same TextClassifier / SequenceTagger heads, trained from scratch.
//   node examples/encoders.mjs                        every task × encoder (long: hours on 2 cores)
//   node examples/encoders.mjs --task pos --encoders lstm,cnn --lrs 0.002
//   node examples/encoders.mjs --quick                a smoke run of a few seconds
//   node examples/encoders.mjs --table-only           rewrite the results table from the finished runs
// Tasks, all on the canonical corpora and splits of src/data (docs/data.md):
//   spam   SpamAssassin, test accuracy; validation = every 10th training e-mail (md5 order)
//   pos    Brown file split, token accuracy and accuracy on words unseen in train (+ sub-words)
//   genre  Brown file split, 15 genres, each file's sentences packed into pieces of <= 128 tokens
// For each task and encoder, one run per learning rate of --lrs; the table reports the
// run with the best VALIDATION accuracy (test figures are never used to choose). Each
// finished run is kept in runs/encoders/<task>/<encoder>-lr<lr>.json, so the script can
// be run piece by piece (and in the background); the table is rebuilt from those files
// into the "encoders" section of docs/results.md.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, SequenceTagger, TextClassifier, brownFileSplit, computeSubwords, spamSplit } from 'wasm-nlp';
import { loadBrown, loadSpam } from 'wasm-nlp/node';
import {
  duration,
  fromRoot,
  int,
  machine,
  parameterCount,
  parseFlags,
  pct,
  progressBar,
  writeResultsSection,
} from './lib.mjs';
import { buildVocab, encodeTokens, parseLine, vocabIds, wordCounts } from './web/common/classifier-text.js';

const DEFAULTS = {
  task: 'all',
  encoders: 'transformer,lstm,gru,cnn',
  lrs: '', // '' = per encoder: Transformer 0.001,0.002; the others 0.002,0.005
  epochs: 0, // 0 = the task's own
  threads: 1,
  seed: 1,
  limit: 0,
  dir: 'runs/encoders',
  results: 'docs/results.md',
  tableOnly: false,
  fresh: false,
  quick: false,
};
const QUICK = { lrs: '0.002', limit: 200, dir: 'runs/encoders-quick', results: '' };
const USAGE = `usage: node examples/encoders.mjs [--quick] [--task spam|pos|genre|all] [--encoders transformer,lstm,gru,cnn] [--lrs 0.001,0.002]
  [--epochs N] [--threads N] [--seed N] [--limit N] [--dir runs/encoders] [--results docs/results.md|''] [--table-only] [--fresh]`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);
const TASKS = o.task === 'all' ? ['spam', 'pos', 'genre'] : o.task.split(',');
const ENCODERS = o.encoders.split(',');
const LRS_OF = (encoder) =>
  (o.lrs !== '' ? o.lrs : encoder === 'transformer' ? '0.001,0.002' : '0.002,0.005').split(',').map(Number);
for (const t of TASKS)
  if (!['spam', 'pos', 'genre'].includes(t)) die(`--task must be spam, pos, genre or all, got ${t}`);
for (const e of ENCODERS)
  if (!['transformer', 'lstm', 'gru', 'cnn'].includes(e)) die(`--encoders: unknown encoder ${e}`);
if (o.lrs !== '' && LRS_OF('lstm').some((x) => !(x > 0))) die(`--lrs must be positive numbers, got ${o.lrs}`);

function die(msg) {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

/** The encoder settings per task (the same width for all four encoders of a task). */
const NAMES = { transformer: 'Transformer', lstm: 'BiLSTM', gru: 'BiGRU', cnn: 'CNN' };
function encoderConfig(task, encoder) {
  const dim = o.quick ? 16 : task === 'pos' ? 128 : 64;
  const dropout = task === 'spam' ? 0.2 : 0.1;
  const common = { dim, dropout, seed: o.seed };
  if (encoder === 'transformer')
    return {
      ...common,
      encoder,
      layers: task === 'pos' ? 1 : 2,
      heads: o.quick ? 2 : 4,
      ffn: 4 * dim,
      attentionDropout: dropout,
    };
  if (encoder === 'cnn') return { ...common, encoder, layers: 2, hidden: dim, kernelSize: task === 'pos' ? 3 : 5 };
  return { ...common, encoder, layers: 1, hidden: dim, bidirectional: true };
}
const EPOCHS = { spam: 4, pos: 5, genre: 4 };
const BATCH = { spam: 32, pos: 32, genre: 32 };

// ---------------------------------------------------------------- data

function spamData() {
  const split = spamSplit(loadSpam());
  let all = split.train.map(parseLine);
  let test = split.test.map(parseLine);
  if (o.limit > 0) {
    all = all.slice(0, o.limit);
    test = test.slice(0, Math.ceil(o.limit / 4));
  }
  const train = all.filter((_, i) => i % 10 !== 0);
  const valid = all.filter((_, i) => i % 10 === 0);
  const vocab = vocabIds(buildVocab(wordCounts(train), { minCount: 5, maxVocab: 30000 }));
  const maxLen = o.quick ? 32 : 512;
  const enc = (e) => ({ ids: encodeTokens(e.tokens, vocab, maxLen, o.quick ? 8 : 128), label: e.label });
  return {
    kind: 'classify',
    numClasses: 2,
    vocabSize: vocab.size + 2,
    maxLen,
    train: train.map(enc),
    valid: valid.map(enc),
    test: test.map(enc),
    about: `SpamAssassin canonical split: train ${int(train.length)} e-mails, validation ${int(valid.length)} (every 10th training e-mail), test ${int(test.length)}; vocab ${int(vocab.size + 2)} ids (min count 5); first 384 + last 128 tokens of longer e-mails`,
  };
}

function brownBase() {
  const corpus = loadBrown();
  const files = brownFileSplit(corpus);
  // --limit (quick runs): a few files spread over the genres
  if (o.limit > 0)
    for (const k of ['train', 'valid', 'test'])
      files[k] = files[k].filter((_, i) => i % (k === 'train' ? 50 : 25) === 0);
  return { corpus, files };
}

/** Words (case kept) seen >= minCount times in `sentences`, most frequent first: ids from 2 (0 pad, 1 unknown). */
function wordVocab(sentences, minCount) {
  const count = new Map();
  for (const s of sentences) for (const w of s.words) count.set(w, (count.get(w) ?? 0) + 1);
  const kept = [...count].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1]);
  return { index: new Map(kept.map(([w], i) => [w, i + 2])), count };
}

function posData() {
  const { corpus, files } = brownBase();
  const sents = (fs) => fs.flatMap((f) => f.sentences);
  const [train, valid, test] = [sents(files.train), sents(files.valid), sents(files.test)];
  const tagList = [...new Set(corpus.sentences.flatMap((s) => s.tags))].sort();
  const tagId = new Map(tagList.map((t, i) => [t, i]));
  const { index, count } = wordVocab(train, 2);
  const buckets = o.quick ? 1000 : 50000;
  const cache = new Map();
  const sub = (w) => {
    let s = cache.get(w);
    if (!s) cache.set(w, (s = Int32Array.from(computeSubwords(w, 2, 5, buckets, 0))));
    return s;
  };
  const maxLen = 256;
  const enc = (s) => {
    const n = Math.min(maxLen, s.words.length);
    return {
      ids: Int32Array.from(s.words.slice(0, n), (w) => index.get(w) ?? 1),
      tags: Int32Array.from(s.tags.slice(0, n), (t) => tagId.get(t)),
      subwords: s.words.slice(0, n).map(sub),
      unseen: s.words.slice(0, n).map((w) => !count.has(w)),
    };
  };
  const tokens = (ss) => ss.reduce((n, s) => n + s.words.length, 0);
  return {
    kind: 'tag',
    numTags: tagList.length,
    vocabSize: index.size + 2,
    subwordBuckets: buckets,
    maxLen,
    train: train.map(enc),
    valid: valid.map(enc),
    test: test.map(enc),
    about: `Brown file split: train ${int(tokens(train))} tokens, validation ${int(tokens(valid))}, test ${int(tokens(test))}; ${tagList.length} normalised tags; vocab ${int(index.size + 2)} ids (min count 2) + hashed character 2–5-grams in ${int(buckets)} buckets`,
  };
}

function genreData() {
  const { files } = brownBase();
  const genres = [...new Set(files.train.map((f) => f.genre))].sort();
  const gid = new Map(genres.map((g, i) => [g, i]));
  const { index } = wordVocab(
    files.train.flatMap((f) => f.sentences),
    2,
  );
  const maxLen = o.quick ? 32 : 128;
  /** Each file's sentences packed in order into pieces of at most maxLen tokens (a longer sentence is cut). */
  const pieces = (fs) =>
    fs.flatMap((f) => {
      const out = [];
      let cur = [];
      for (const s of f.sentences) {
        const ids = s.words.slice(0, maxLen).map((w) => index.get(w) ?? 1);
        if (cur.length + ids.length > maxLen && cur.length > 0) {
          out.push(cur);
          cur = [];
        }
        cur.push(...ids);
      }
      if (cur.length > 0) out.push(cur);
      return out.map((ids) => ({ ids: Int32Array.from(ids), label: gid.get(f.genre) }));
    });
  const [train, valid, test] = [pieces(files.train), pieces(files.valid), pieces(files.test)];
  return {
    kind: 'classify',
    numClasses: genres.length,
    vocabSize: index.size + 2,
    maxLen,
    train,
    valid,
    test,
    about: `Brown file split (${files.train.length}/${files.valid.length}/${files.test.length} files), ${genres.length} genres; each file's sentences packed into pieces of ≤ ${maxLen} tokens: train ${int(train.length)} pieces, validation ${int(valid.length)}, test ${int(test.length)}; vocab ${int(index.size + 2)} ids (min count 2)`,
  };
}

const DATA = { spam: spamData, pos: posData, genre: genreData };

// ---------------------------------------------------------------- one run

async function runOne(task, data, encoder, lr) {
  const enc = encoderConfig(task, encoder);
  const config =
    data.kind === 'tag'
      ? {
          ...enc,
          vocabSize: data.vocabSize,
          numTags: data.numTags,
          maxLen: data.maxLen,
          subwordBuckets: data.subwordBuckets,
        }
      : { ...enc, vocabSize: data.vocabSize, numClasses: data.numClasses, maxLen: data.maxLen };
  const model = data.kind === 'tag' ? new SequenceTagger(config) : new TextClassifier(config);
  const params = parameterCount(model);
  const epochs = o.epochs > 0 ? o.epochs : o.quick ? 1 : EPOCHS[task];
  console.log(`${task} / ${NAMES[encoder]} / lr ${lr}: ${int(params)} parameters, ${epochs} epochs`);
  const t0 = performance.now();
  const fit = await model.fit(data.train, {
    epochs,
    batchSize: BATCH[task],
    lr,
    threads: o.threads,
    valid: data.valid,
    onProgress: progressBar(),
  });
  const seconds = (performance.now() - t0) / 1e3;
  const trainTokens = data.train.reduce((n, e) => n + Math.min(e.ids.length, data.maxLen), 0);
  const r = {
    task,
    encoder,
    lr,
    config: model.config,
    params,
    epochs: fit.epochs,
    seconds,
    tokensPerSec: (trainTokens * fit.epochs) / seconds,
    valid: fit.validAccuracy,
    test: model.evaluate(data.test, { batchSize: 64 }).accuracy,
  };
  if (data.kind === 'tag') {
    const preds = model.predictBatch(data.test, { batchSize: 64 });
    let right = 0,
      n = 0;
    data.test.forEach((e, k) => {
      e.unseen.forEach((u, i) => {
        if (!u) return;
        n++;
        if (preds[k][i] === e.tags[i]) right++;
      });
    });
    r.unseen = n > 0 ? right / n : NaN;
  }
  model.dispose();
  console.log(
    `  valid ${pct(r.valid)}, test ${pct(r.test)}${r.unseen === undefined ? '' : `, unseen ${pct(r.unseen)}`}; ` +
      `${duration(seconds)}, ${int(r.tokensPerSec)} tokens/s`,
  );
  return r;
}

// ---------------------------------------------------------------- main

const dir = fromRoot(o.dir);
const fileOf = (task, encoder, lr) => join(dir, task, `${encoder}-lr${lr}.json`);
if (!o.tableOnly) {
  await init({ threads: o.threads });
  for (const task of TASKS) {
    const t0 = performance.now();
    const data = DATA[task]();
    console.log(`${task}: ${data.about} (data in ${((performance.now() - t0) / 1e3).toFixed(1)} s)`);
    mkdirSync(join(dir, task), { recursive: true });
    writeFileSync(join(dir, task, 'about.txt'), data.about + '\n');
    for (const encoder of ENCODERS) {
      for (const lr of LRS_OF(encoder)) {
        const f = fileOf(task, encoder, lr);
        if (existsSync(f) && !o.fresh) {
          console.log(`${task} / ${NAMES[encoder]} / lr ${lr}: done before (${f})`);
          continue;
        }
        const r = await runOne(task, data, encoder, lr);
        writeFileSync(f, JSON.stringify(r, null, 1) + '\n');
      }
    }
  }
}

// The table: per task and encoder, the run with the best validation accuracy.
const rows = [];
const abouts = [];
for (const task of ['spam', 'pos', 'genre']) {
  const tdir = join(dir, task);
  if (!existsSync(tdir)) continue;
  if (existsSync(join(tdir, 'about.txt')))
    abouts.push(`- **${task}**: ${readFileSync(join(tdir, 'about.txt'), 'utf8').trim()}`);
  const runs = readdirSync(tdir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(tdir, f), 'utf8')));
  for (const encoder of ['transformer', 'lstm', 'gru', 'cnn']) {
    const mine = runs.filter((r) => r.encoder === encoder);
    if (mine.length === 0) continue;
    const best = mine.reduce((a, b) => (b.valid > a.valid ? b : a));
    const c = best.config;
    const shape =
      encoder === 'transformer'
        ? `d ${c.dim}, ${c.layers} layer(s), ${c.heads} heads, FFN ${c.ffn}`
        : encoder === 'cnn'
          ? `d ${c.dim}, ${c.layers} conv layers × width ${c.kernelSize}, ${c.hidden} channels`
          : `d ${c.dim}, ${c.layers} layer(s), hidden ${c.hidden} per direction`;
    rows.push(
      `| ${task} | ${NAMES[encoder]} | ${shape}; ${c.pooling ?? 'per token'} | ${int(best.params)} | ${mine.map((r) => `${r.lr}: ${pct(r.valid)}`).join(', ')} | ` +
        `**${pct(best.test)}**${best.unseen === undefined ? '' : ` (unseen ${pct(best.unseen)})`} | ${best.epochs} | ${duration(best.seconds)} | ${int(best.tokensPerSec)} |`,
    );
  }
}
console.log(rows.join('\n'));
if (o.results && rows.length > 0) {
  const m = machine();
  const md = `## Encoders compared: Transformer, BiLSTM, BiGRU, CNN — \`node examples/encoders.mjs\`

\`examples/encoders.mjs\`, table written ${m.date}, Node ${m.node}, ${m.cpu}, threads ${o.threads}. The same heads over each encoder
(\`encoder: 'transformer' | 'lstm' | 'gru' | 'cnn'\` of TextClassifier / SequenceTagger), trained from scratch with AdamW
(warm-up 0.1, linear decay, weight decay 0.01, clip 1), batch 32; the learning rate of each row chosen by **validation** accuracy
among the ones listed (test accuracy is reported for the chosen run only). Pooling: mean (Transformer), the last states of both
directions (BiLSTM, BiGRU), max over time (CNN). tokens/s = training tokens × epochs / training seconds (validation included).

${abouts.join('\n')}

| task | encoder | shape; pooling | parameters | validation accuracy by lr | test accuracy | epochs | training time | tokens/s |
|---|---|---|---:|---|---:|---:|---:|---:|
${rows.join('\n')}`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'encoders', md)}`);
}
