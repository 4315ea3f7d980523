// "Pre-train, then fine-tune": the BERT pre-trained on Brown (npm run bert) against the same
// architecture trained from scratch, each fine-tuned on a small labelled slice of the Brown train
// files (docs/data.md, file split) over 3 seeds — each initialisation with its own learning rate,
// the best validation accuracy of the first seed over --lrs — for
//   genre  — BertForSequenceClassification on [CLS] (15 genres) over text pieces of <= --genre-len tokens;
//   pos    — BertForTokenClassification, one label per word on its first piece (normalised tag set).
//   npm run bert:finetune                          (both tasks; after npm run bert)
//   node examples/bert-finetune.mjs --task pos     (one task; two processes can run the two tasks)
//   node examples/bert-finetune.mjs --quick        (a smoke run: tiny slices, one seed)
// Each finished run is appended to runs/bert-finetune/<task>.json and skipped when the command is
// run again (an interrupted sweep continues where it stopped); the results section of
// docs/results.md is rewritten from those files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import {
  init,
  BertForSequenceClassification,
  BertForTokenClassification,
  WordPiece,
  brownFileSplit,
  decodeSafetensors,
  packMaskedLMExamples,
  Philox,
} from 'wasm-nlp';
import { duration, fromRoot, int, machine, parseFlags, pct, progressBar, writeResultsSection } from './lib.mjs';
import { loadBrown, readBertFiles } from 'wasm-nlp/node';

const DEFAULTS = {
  task: 'both',
  model: 'runs/bert/model',
  seeds: '1,2,3',
  lrs: '2e-4,5e-4,1e-3',
  validLimit: 2000,
  trainSize: 1000,
  genreLen: 64,
  genreEpochs: 6,
  posEpochs: 8,
  batch: 16,
  warmup: 0.1,
  dropout: 0.1,
  threads: 1,
  testLimit: 0,
  dir: 'runs/bert-finetune',
  results: 'docs/results.md',
  quick: false,
};
const QUICK = {
  seeds: '1',
  lrs: '5e-4',
  validLimit: 64,
  trainSize: 64,
  genreEpochs: 1,
  posEpochs: 1,
  testLimit: 64,
  dir: 'runs/bert-finetune-quick',
  results: '',
};
const USAGE = `usage: node examples/bert-finetune.mjs [--quick] [--task genre|pos|both] [--model runs/bert/model] [--seeds 1,2,3]
  [--lrs 2e-4,5e-4,1e-3] [--valid-limit N]
  [--train-size N] [--genre-len N] [--genre-epochs N] [--pos-epochs N] [--batch N] [--warmup F] [--dropout X] [--threads N]
  [--test-limit N] [--dir runs/bert-finetune] [--results docs/results.md|'']`;
const o = parseFlags(process.argv.slice(2), DEFAULTS, QUICK, USAGE);
const tasks = o.task === 'both' ? ['genre', 'pos'] : [o.task];
if (!tasks.every((t) => t === 'genre' || t === 'pos')) {
  console.error(`--task must be genre, pos or both\n${USAGE}`);
  process.exit(2);
}
const seeds = String(o.seeds).split(',').map(Number);
const lrs = String(o.lrs).split(',').map(Number);

await init({ threads: o.threads });
const modelDir = fromRoot(o.model);
if (!existsSync(`${modelDir}/model.safetensors`)) {
  console.error(`no pre-trained model in ${modelDir}: run \`npm run bert\` first`);
  process.exit(2);
}
const files = await readBertFiles(modelDir);
const pretrained = decodeSafetensors(files.weights).tensors;
// fine-tuning dropout is --dropout (BERT's 0.1), whatever the pre-training used
const baseConfig = {
  ...JSON.parse(files.config),
  hidden_dropout_prob: o.dropout,
  attention_probs_dropout_prob: o.dropout,
  classifier_dropout: o.dropout,
};
// the tokenizer of the pre-trained model
const tok = WordPiece.fromVocabTxt(files.vocab, { lowercase: files.lowercase ?? true });
const maxLen = baseConfig.max_position_embeddings;
const outDir = fromRoot(o.dir);
mkdirSync(outDir, { recursive: true });

// ---- data: the file split; the labelled slice = the first trainSize of a seeded (fixed, seed 0) shuffle of the train examples
const split = brownFileSplit(loadBrown());
const slice = (xs) => new Philox(0, 0x736c6963).shuffle([...xs]).slice(0, o.trainSize);
const limit = (xs) => (o.testLimit > 0 ? xs.slice(0, o.testLimit) : xs);
// validation: a seeded sample of validLimit examples of the validation files (model selection only)
const vlimit = (xs) =>
  o.validLimit > 0 && xs.length > o.validLimit ? new Philox(0, 0x76616c69).shuffle([...xs]).slice(0, o.validLimit) : xs;

function genreData() {
  const genres = [...new Set(split.train.map((f) => f.genre))].sort();
  const gid = new Map(genres.map((g, i) => [g, i]));
  const of = (fs) =>
    fs.flatMap((f) =>
      packMaskedLMExamples(tok, [f.sentences.map((s) => s.words.join(' '))], { maxLength: o.genreLen }).map((x) => ({
        ids: x.ids,
        label: gid.get(f.genre),
      })),
    );
  const all = of(split.train);
  return {
    labels: genres,
    train: slice(all),
    valid: vlimit(of(split.valid)),
    test: limit(of(split.test)),
    pool: all.length,
    unit: 'pieces of text',
  };
}

function posData() {
  const tagSet = new Set();
  for (const f of [...split.train, ...split.valid, ...split.test])
    for (const s of f.sentences) for (const t of s.tags) tagSet.add(t);
  const tags = [...tagSet].sort();
  const tid = new Map(tags.map((t, i) => [t, i]));
  const cls = tok.idOf(tok.clsToken),
    sep = tok.idOf(tok.sepToken);
  const encode = (s) => {
    const ids = [cls],
      labels = [-100];
    for (let i = 0; i < s.words.length && ids.length < maxLen - 1; i++) {
      const pieces = tok.tokenize(s.words[i]);
      const ps = pieces.length > 0 ? pieces : [tok.unkToken];
      ps.slice(0, maxLen - 1 - ids.length).forEach((p, k) => {
        ids.push(tok.idOf(p));
        labels.push(k === 0 ? tid.get(s.tags[i]) : -100);
      });
    }
    ids.push(sep);
    labels.push(-100);
    return { ids: Int32Array.from(ids), labels: Int32Array.from(labels) };
  };
  const of = (fs) => fs.flatMap((f) => f.sentences.map(encode));
  const all = of(split.train);
  return {
    labels: tags,
    train: slice(all),
    valid: vlimit(of(split.valid)),
    test: limit(of(split.test)),
    pool: all.length,
    unit: 'sentences',
  };
}

const resultsPath = (task) => `${outDir}/${task}.json`;
// What a finished run depends on besides (init, seed, lr): the settings, the architecture and the vocabulary (config.json,
// vocab.txt) for every run, and the pre-trained weights for the pre-trained runs only — so a new pre-training of the same
// architecture reuses the from-scratch runs (which never read the weights) and reruns the pre-trained ones.
const fnv = (bytes) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return `${bytes.length}:${h.toString(16)}`;
};
const utf8 = (s) => new TextEncoder().encode(s);
const { architectures: _a, ...configNoMeta } = baseConfig;
const archHash = fnv(utf8(JSON.stringify(configNoMeta) + '\n' + files.vocab));
const weightsHash = fnv(files.weights);
const runKey = (task) =>
  JSON.stringify({
    task,
    arch: archHash,
    trainSize: o.trainSize,
    epochs: task === 'genre' ? o.genreEpochs : o.posEpochs,
    genreLen: task === 'genre' ? o.genreLen : undefined,
    batch: o.batch,
    warmup: o.warmup,
    dropout: o.dropout,
    validLimit: o.validLimit,
    testLimit: o.testLimit,
  });
const load = (task, quiet = false) => {
  if (!existsSync(resultsPath(task))) return { key: runKey(task), runs: [] };
  const rec = JSON.parse(readFileSync(resultsPath(task), 'utf8'));
  if (rec.key !== runKey(task)) {
    console.error(
      `${resultsPath(task)} holds runs of other settings or another architecture/vocabulary (${rec.key}); move it away or pass another --dir`,
    );
    process.exit(2);
  }
  const stale = rec.runs.filter((r) => r.init === 'pretrained' && r.model !== weightsHash);
  if (stale.length > 0) {
    if (!quiet)
      console.log(`  ${task}: ${stale.length} pre-trained run(s) of other weights dropped (from-scratch runs kept)`);
    rec.runs = rec.runs.filter((r) => !stale.includes(r));
    if (rec.chosen) delete rec.chosen.pretrained;
  }
  return rec;
};

for (const task of tasks) {
  const data = task === 'genre' ? genreData() : posData();
  const Cls = task === 'genre' ? BertForSequenceClassification : BertForTokenClassification;
  const epochs = task === 'genre' ? o.genreEpochs : o.posEpochs;
  const labelled =
    task === 'genre'
      ? data.train.length
      : data.train.reduce((n, x) => n + x.labels.filter((l) => l !== -100).length, 0);
  console.log(
    `${task}: ${data.labels.length} labels; labelled slice ${int(data.train.length)} of ${int(data.pool)} train ${data.unit} (${int(labelled)} labels); ` +
      `valid ${int(data.valid.length)}, test ${int(data.test.length)}`,
  );
  const rec = load(task);
  rec.meta = {
    labels: data.labels.length,
    train: data.train.length,
    pool: data.pool,
    unit: data.unit,
    valid: data.valid.length,
    test: data.test.length,
    epochs,
    batch: o.batch,
    lrs,
    warmup: o.warmup,
    genreLen: o.genreLen,
  };
  const config = {
    ...baseConfig,
    num_labels: data.labels.length,
    id2label: Object.fromEntries(data.labels.map((l, i) => [i, l])),
  };
  const runOne = async (init, seed, lr) => {
    const done = rec.runs.find((r) => r.init === init && r.seed === seed && r.lr === lr);
    if (done) {
      console.log(`  ${init} seed ${seed} lr ${lr}: done already (valid ${pct(done.valid)}, test ${pct(done.test)})`);
      return done;
    }
    const model = new Cls(config, { seed });
    model.tokenizer = tok;
    if (init === 'pretrained') {
      const r = model.loadStateDict(pretrained, { strict: false });
      if (r.missing.some((k) => k.includes('encoder.') || k.includes('embeddings.')))
        throw new Error(`pre-trained weights miss encoder parameters: ${r.missing.join(', ')}`);
    }
    const t = performance.now();
    const bar = progressBar({ logEvery: 30 });
    const fit = await model.fit(data.train, {
      epochs,
      batchSize: o.batch,
      lr,
      warmup: o.warmup,
      threads: o.threads,
      onProgress: bar,
    });
    bar.done();
    const va = model.evaluate(data.valid, { batchSize: 64 });
    const ev = model.evaluate(data.test, { batchSize: 64 });
    const seconds = (performance.now() - t) / 1e3;
    const run = {
      init,
      seed,
      lr,
      ...(init === 'pretrained' ? { model: weightsHash } : {}),
      valid: va.accuracy,
      test: ev.accuracy,
      testLoss: ev.loss,
      n: ev.n,
      history: fit.history,
      seconds,
    };
    console.log(
      `  ${init} seed ${seed} lr ${lr}: valid ${pct(va.accuracy)}, test ${pct(ev.accuracy)} (loss ${ev.loss.toFixed(3)}, n ${int(ev.n)}), ` +
        `train loss ${fit.trainLoss.toFixed(3)}, ${duration(seconds)}`,
    );
    rec.runs.push(run);
    writeFileSync(resultsPath(task), JSON.stringify(rec, null, 1));
    model.dispose();
    return run;
  };
  for (const init of ['scratch', 'pretrained']) {
    // the learning rate of each initialisation: the best validation accuracy of the first seed over the grid
    const grid = [];
    for (const lr of lrs) grid.push(await runOne(init, seeds[0], lr));
    const best = grid.reduce((a, b) => (b.valid > a.valid ? b : a));
    console.log(
      `  ${init}: lr ${best.lr} (valid ${pct(best.valid)}; grid ${grid.map((r) => `${r.lr} → ${pct(r.valid)}`).join(', ')})`,
    );
    rec.chosen = { ...(rec.chosen ?? {}), [init]: best.lr };
    writeFileSync(resultsPath(task), JSON.stringify(rec, null, 1));
    for (const seed of seeds.slice(1)) await runOne(init, seed, best.lr);
  }
}

// ---- summary over whatever runs exist (both tasks), and the results section
const stats = (xs) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, min: Math.min(...xs), max: Math.max(...xs) };
};
const rows = [];
for (const task of ['genre', 'pos']) {
  if (!existsSync(resultsPath(task))) continue;
  const rec = load(task, true);
  const by = (init) =>
    rec.runs.filter((r) => r.init === init && r.lr === rec.chosen?.[init] && seeds.includes(r.seed)).map((r) => r.test);
  const s = by('scratch'),
    p = by('pretrained');
  if (s.length === 0 || p.length === 0) continue;
  const a = stats(s),
    b = stats(p);
  const spread = Math.max(a.max - a.min, b.max - b.min);
  const gain = b.mean - a.mean;
  const line = {
    task,
    meta: rec.meta,
    chosen: rec.chosen,
    a,
    b,
    gain,
    spread,
    n: Math.min(s.length, p.length),
    separated: b.min > a.max,
  };
  rows.push(line);
  console.log(
    `${task}: from scratch ${pct(a.mean)} (${pct(a.min)}–${pct(a.max)}), pre-trained ${pct(b.mean)} (${pct(b.min)}–${pct(b.max)}); ` +
      `gain ${(100 * gain).toFixed(2)} points vs spread ${(100 * spread).toFixed(2)} → ${gain > spread ? 'gain > spread' : 'NOT above the spread'}`,
  );
}
if (o.results && rows.length > 0) {
  const m = machine();
  const name = {
    genre: 'genre (BertForSequenceClassification on [CLS])',
    pos: 'POS (BertForTokenClassification, first piece of each word)',
  };
  const md = `## BERT fine-tuning: pre-trained on Brown vs from scratch — \`npm run bert:finetune\`

\`examples/bert-finetune.mjs\`, ${m.date}, Node ${m.node}, ${m.cpu}, threads ${o.threads}. The model of \`npm run bert\` (section above) against the same architecture
initialised at random (BERT's init); the same labelled slice, epochs and seeds for both; each initialisation gets its own learning rate (the best validation accuracy of seed
${seeds[0]} over ${lrs.join(', ')}, on ${o.validLimit > 0 ? `a seeded sample of ≤ ${int(o.validLimit)} examples of ` : ''}the validation files); the classifier head (and, for genre, the pooler, which masked-LM
pre-training does not train) initialised from the seed. Test accuracy on the test files (file split) over seeds ${seeds.join(', ')}: mean (min–max).

| task | labelled slice | epochs | lr scratch / pre-trained | from scratch | pre-trained | gain (points) | spread (points) | gain > spread |
|---|---|---:|---|---:|---:|---:|---:|---|
${rows.map((r) => `| ${name[r.task]} | ${int(r.meta.train)} ${r.meta.unit} of ${int(r.meta.pool)}${r.task === 'genre' ? ` (≤ ${r.meta.genreLen} tokens, ${r.meta.labels} genres)` : ` (${r.meta.labels} tags)`} | ${r.meta.epochs} | ${r.chosen.scratch} / ${r.chosen.pretrained} | ${pct(r.a.mean)} (${pct(r.a.min)}–${pct(r.a.max)}) | **${pct(r.b.mean)}** (${pct(r.b.min)}–${pct(r.b.max)}) | ${(100 * r.gain).toFixed(2)} | ${(100 * r.spread).toFixed(2)} | ${r.gain > r.spread ? 'yes' : 'no'}${r.separated ? ' (every pre-trained run above every scratch run)' : ''} |`).join('\n')}

Fine-tuning: AdamW, warm-up ${o.warmup} then linear decay, weight decay 0.01, batch ${o.batch}, dropout ${o.dropout} (hidden, attention and classifier); each run's last epoch is tested.
Spread = the larger of the two min–max ranges. Per-run figures (train loss per epoch, times) in \`runs/bert-finetune/*.json\`.`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'bert-finetune', md)}`);
}
