// Helpers shared by the examples (spam-transformer.mjs, pos-brown.mjs, the BERT ones, and the
// language models bengio-brown.mjs and lstm-lm-brown.mjs): flags, the progress bar, checkpoint
// files, the final report and the sections of docs/results.md; for the language models the
// Brown LM streams, the Kneser-Ney baseline, the checkpointed fit and the samples.
// Plain ESM, Node only.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMarkedSection } from '../scripts/sections.mjs';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * `--name value` and boolean `--name` flags over `defaults` (its keys in
 * camelCase, flags in kebab-case); `--quick` first applies `quick` on top.
 * Unknown flags and bad numbers exit with status 2 and a one-line message.
 */
export function parseFlags(argv, defaults, quick, usage) {
  const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const keys = new Map(Object.keys(defaults).map((k) => [kebab(k), k]));
  const given = {};
  const die = (msg) => {
    console.error(`${msg}\n${usage}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!a.startsWith('--')) die(`unexpected argument ${JSON.stringify(a)}`);
    const key = keys.get(a.slice(2));
    if (key === undefined) die(`unknown flag ${a}`);
    const d = defaults[key];
    if (typeof d === 'boolean') {
      given[key] = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) die(`${a} needs a value`);
    if (typeof d === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) die(`${a} must be a number, got ${JSON.stringify(v)}`);
      given[key] = n;
    } else given[key] = v;
  }
  return { ...defaults, ...(given.quick ? quick : {}), ...given };
}

/** `path` relative to the repository root unless absolute. */
export const fromRoot = (path) => (isAbsolute(path) ? path : resolve(ROOT, path));

export const int = (n) => Math.round(n).toLocaleString('en');
export const pct = (x, digits = 2) => `${(100 * x).toFixed(digits)}%`;

/** 75 → "1m15s", 3700 → "1h01m". */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * An onProgress callback drawing a progress bar on stderr: epoch, bar, step,
 * tokens/s, loss, lr, ETA (and the validation accuracy or perplexity once an
 * epoch ended).
 * On a terminal it redraws one line; in a log file it writes a line every
 * `logEvery` seconds and at each epoch end.
 */
export function progressBar({ logEvery = 15 } = {}) {
  const tty = process.stderr.isTTY;
  let lastLog = 0;
  let lastEpochLogged = -1;
  let drawn = false;
  let loss = NaN; // the last finite loss (an epoch-end report right after another can carry none)
  const fn = (p) => {
    if (Number.isFinite(p.loss)) loss = p.loss;
    const frac = p.steps > 0 ? Math.min(1, p.step / p.steps) : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const bar = `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}]`;
    const va =
      p.validAccuracy !== undefined
        ? `  valid ${pct(p.validAccuracy)}`
        : p.validPerplexity !== undefined
          ? `  valid ppl ${p.validPerplexity.toFixed(2)}`
          : '';
    const line =
      `epoch ${Math.max(1, p.epoch)}/${p.epochs} ${bar} ${(100 * frac).toFixed(1).padStart(5)}%  step ${p.step}/${p.steps}  ` +
      `${int(p.itemsPerSec)} tok/s  loss ${loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ETA ${duration(p.etaSec)}${va}`;
    if (tty) {
      process.stderr.write(`\r${line}\x1b[K`);
      drawn = true;
      return;
    }
    const now = performance.now() / 1e3;
    const epochEnd = p.epochEnd && p.epoch !== lastEpochLogged;
    if (now - lastLog >= logEvery || epochEnd || p.step === p.steps) {
      if (epochEnd) lastEpochLogged = p.epoch;
      lastLog = now;
      process.stderr.write(`${line}\n`);
    }
  };
  /** End the redrawn line (call after fit). */
  fn.done = () => {
    if (drawn) process.stderr.write('\n');
    drawn = false;
  };
  return fn;
}

/** Parameter count of a model (nn Module's parameterCount, else the sizes in its state dict). */
export function parameterCount(model) {
  if (typeof model.parameterCount === 'function') return model.parameterCount();
  let n = 0;
  for (const t of Object.values(model.stateDict())) n += t.size ?? t.length ?? 0;
  return n;
}

/**
 * Replace the section `name` of a results file (between `<!-- results:<name> -->`
 * and `<!-- /results:<name> -->`), keeping the others, as bench/lib.mjs does
 * for docs/benchmarks.md. A missing file starts with a title; a missing section is appended.
 */
export function writeResultsSection(path, name, markdown) {
  return writeMarkedSection(
    path,
    'results',
    name,
    markdown,
    '# Results of the examples\n\nWritten by the examples themselves (`npm run spam`, `npm run pos`, `npm run bengio`, `npm run lstm-lm`, `npm run encoders`, `npm run bert`, `npm run bert:finetune`, `npm run bert:probe`); each rewrites only its own section.\n',
  );
}

/** Machine facts for the results: CPU model, cores, Node version, date. */
export function machine() {
  let cpu = 'unknown CPU';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  return { cpu, node: process.version, date: new Date().toISOString().slice(0, 10) };
}

/**
 * Checkpoint plumbing: `onCheckpoint` writes the bytes atomically to `path`;
 * `resumeFrom()` reads them when `--resume` was given and the file exists.
 */
export function checkpointer(path, { writeBytesAtomic, readBytes }) {
  mkdirSync(dirname(path), { recursive: true });
  let written = 0;
  return {
    path,
    get written() {
      return written;
    },
    onCheckpoint: async (bytes) => {
      await writeBytesAtomic(path, bytes);
      written++;
    },
    async resumeFrom(resume) {
      if (!resume) return undefined;
      if (!existsSync(path)) {
        console.error(`--resume: no checkpoint at ${path}; starting from scratch`);
        return undefined;
      }
      return readBytes(path);
    },
  };
}

/**
 * `model.fit(train, …)` with the examples' flags `o` (epochs, batch, lr, warmup,
 * threads, dir, resume, stopAfter) and a progress bar: a checkpoint every epoch
 * in `<dir>/checkpoint.bin` with a `checkpoint.json` sidecar (epoch, step,
 * flags), `--resume` from it, `--stop-after N` exits after epoch N; `extra` are more
 * fit options (checkpointEvery, weightDecay, masking, ...). Returns the
 * fit result, the training seconds of this process and of all processes of the run (the
 * sidecar's `trainSeconds` carries them across --resume), the sidecar of the
 * checkpoint resumed from (null when not resuming) and the checkpoints written.
 */
export async function fitWithCheckpoints(model, train, o, { valid, writeBytesAtomic, readBytes, extra = {} }) {
  const dir = fromRoot(o.dir);
  const ckpt = checkpointer(`${dir}/checkpoint.bin`, { writeBytesAtomic, readBytes });
  const sidecar = `${dir}/checkpoint.json`;
  const resumeFrom = await ckpt.resumeFrom(o.resume);
  let resumedAt = null;
  if (resumeFrom) {
    resumedAt = existsSync(sidecar) ? JSON.parse(readFileSync(sidecar, 'utf8')) : {};
    console.log(`resuming from ${ckpt.path} (epoch ${resumedAt.epoch ?? '?'}, step ${resumedAt.step ?? '?'})`);
  }
  const bar = progressBar();
  const t0 = performance.now();
  const fit = await model.fit(train, {
    epochs: o.epochs,
    batchSize: o.batch,
    lr: o.lr,
    warmup: o.warmup,
    threads: o.threads,
    ...(valid ? { valid } : {}),
    resumeFrom,
    ...extra,
    onProgress: bar,
    onCheckpoint: async (bytes, info) => {
      await ckpt.onCheckpoint(bytes);
      const trainSeconds = (resumedAt?.trainSeconds ?? 0) + (performance.now() - t0) / 1e3;
      await writeBytesAtomic(
        sidecar,
        new TextEncoder().encode(JSON.stringify({ ...info, trainSeconds, flags: o }) + '\n'),
      );
      if (o.stopAfter > 0 && info.epochEnd && info.epoch >= o.stopAfter) {
        bar.done();
        console.log(
          `stopped after epoch ${info.epoch} (--stop-after); checkpoint ${ckpt.path}; continue with --resume`,
        );
        process.exit(0);
      }
    },
  });
  bar.done();
  const fitSeconds = (performance.now() - t0) / 1e3;
  // training seconds over every process of the run (the sidecar carries them across --resume; NaN when an older sidecar lacks them)
  const totalFitSeconds = resumedAt ? (resumedAt.trainSeconds ?? NaN) + fitSeconds : fitSeconds;
  return { fit, fitSeconds, totalFitSeconds, resumedAt, checkpointsWritten: ckpt.written };
}

// ---- the language-model examples (bengio-brown.mjs, lstm-lm-brown.mjs)

/**
 * The Brown LM split of docs/data.md as id streams: the vocabulary from train (count >=
 * `o.minCount`; id 0 = <unk>, 1 = <s>), each part one stream; `o.limit` > 0 keeps the first
 * `limit` tokens of train and limit/4 of valid and test (quick runs). The wasm-nlp functions
 * are passed in (this file imports no package).
 */
export function brownLmStreams(o, { loadBrown, brownLmSplit, lmVocab, encodeStream }) {
  const split = brownLmSplit(loadBrown());
  let parts = { train: split.train, valid: split.valid, test: split.test };
  if (o.limit > 0) {
    const cut = (ss, n) => {
      const out = [];
      for (const s of ss) {
        if (n <= 0) break;
        out.push(s.slice(0, n));
        n -= s.length;
      }
      return out;
    };
    parts = {
      train: cut(split.train, o.limit),
      valid: cut(split.valid, Math.ceil(o.limit / 4)),
      test: cut(split.test, Math.ceil(o.limit / 4)),
    };
  }
  const vocab = lmVocab(parts.train, { minCount: o.minCount });
  const UNK = 0;
  return {
    parts,
    vocab,
    V: vocab.words.length,
    UNK,
    BOS: 1,
    train: encodeStream(parts.train, vocab.index),
    valid: encodeStream(parts.valid, vocab.index),
    test: encodeStream(parts.test, vocab.index),
    /** The fraction of <unk> tokens of a stream. */
    unkRate: (s) => s.reduce((n, x) => n + (x === UNK ? 1 : 0), 0) / s.length,
  };
}

/**
 * An interpolated modified Kneser-Ney model of `order` on `d.train` (brownLmStreams' data):
 * its token probabilities and perplexities on valid and test (and on train with
 * `withTrain`), and the seconds it took.
 */
export function kneserNeyBaseline(KneserNey, perplexityOf, d, order, { withTrain = false } = {}) {
  const k0 = performance.now();
  const model = KneserNey.fit(d.train, { order, vocabSize: d.V, bos: d.BOS });
  const validProbs = model.tokenProbs(d.valid),
    testProbs = model.tokenProbs(d.test);
  return {
    model,
    validProbs,
    testProbs,
    ...(withTrain ? { train: model.perplexity(d.train) } : {}),
    valid: perplexityOf(validProbs),
    test: perplexityOf(testProbs),
    seconds: (performance.now() - k0) / 1e3,
  };
}

/**
 * `model.fit(train, fitOptions)` for the LM examples, with the flags `o` (dir, resume,
 * checkpointEvery, stopAfter, epochs): `<dir>/checkpoint.bin` (atomically) and a
 * `checkpoint.json` sidecar (epoch, step, wall seconds and processes of the run so far) at
 * every checkpoint, `--resume` from them, `--stop-after N` exits after epoch N, a progress
 * bar and a line per epoch; then `<dir>/model.safetensors`. `t0` is when this process
 * started. Returns the fit result, this process's training seconds, `elapsed()` (wall seconds
 * of every process of the run), `before` (of the earlier processes) and `finish()`, which
 * rewrites the sidecar to cover this whole process (call it once the report is done).
 */
export async function fitLanguageModel(model, train, o, fitOptions, { t0, writeBytesAtomic, readBytes }) {
  const dir = fromRoot(o.dir);
  const ckpt = checkpointer(`${dir}/checkpoint.bin`, { writeBytesAtomic, readBytes });
  const sidecar = `${dir}/checkpoint.json`;
  const resumeFrom = await ckpt.resumeFrom(o.resume);
  let before = { seconds: 0, processes: 0 };
  if (resumeFrom) {
    const side = existsSync(sidecar) ? JSON.parse(readFileSync(sidecar, 'utf8')) : {};
    before = { seconds: side.seconds ?? 0, processes: side.processes ?? 1 };
    console.log(
      `resuming from ${ckpt.path} (epoch ${side.epoch ?? '?'}, step ${side.step ?? '?'}, ${duration(before.seconds)} of earlier processes)`,
    );
  }
  const elapsed = () => before.seconds + (performance.now() - t0) / 1e3;
  const writeSidecar = (side) => writeBytesAtomic(sidecar, new TextEncoder().encode(JSON.stringify(side) + '\n'));
  const bar = progressBar();
  const onProgress = (p) => {
    bar(p);
    if (p.epochEnd) {
      bar.done();
      console.log(
        `epoch ${p.epoch}: train ppl ${Math.exp(p.loss).toFixed(1)} (running, dropout on), ` +
          `valid ppl ${p.validPerplexity?.toFixed(1) ?? '?'}${p.improved ? ' (best)' : ''}, lr ${p.lr.toExponential(2)}, ${int(p.itemsPerSec)} tok/s`,
      );
    }
  };
  const f0 = performance.now();
  const fit = await model.fit(train, {
    ...fitOptions,
    checkpointEvery: o.checkpointEvery,
    resumeFrom,
    onProgress,
    onCheckpoint: async (bytes, info) => {
      await ckpt.onCheckpoint(bytes);
      await writeSidecar({ ...info, seconds: elapsed(), processes: before.processes + 1, flags: o });
      if (o.stopAfter > 0 && info.epochEnd && info.epoch >= o.stopAfter && info.epoch < o.epochs) {
        bar.done();
        console.log(
          `stopped after epoch ${info.epoch} (--stop-after); checkpoint ${ckpt.path}; continue with --resume`,
        );
        process.exit(0);
      }
    },
  });
  bar.done();
  const fitSeconds = (performance.now() - f0) / 1e3;
  await writeBytesAtomic(`${dir}/model.safetensors`, model.toSafetensors());
  // The sidecar's seconds then cover this whole process, so a later --resume (to rewrite the results) counts it all.
  const finish = () =>
    writeSidecar({
      step: fit.steps,
      epoch: fit.epochs,
      epochEnd: true,
      done: true,
      seconds: elapsed(),
      processes: before.processes + 1,
      flags: o,
    });
  return { fit, fitSeconds, elapsed, before, finish };
}

/** The LM examples' samples: 20 words after each of four prompts, temperature 0.8, seeded; markdown list lines. */
export function lmSamples(model) {
  const prompts = ['The', 'He said that', 'In the city of', 'The President'];
  return prompts.map(
    (p, i) => `- *${p}* ${model.generate(p, { length: 20, temperature: 0.8, seed: i + 1 }).join(' ')}`,
  );
}

/**
 * The rows of the earlier language-model sections of docs/results.md (at `path`) for a
 * comparison table, when present: NeuralLM and NeuralLM + KN 5-gram (the bengio section),
 * and unless `lstm` is false LstmLM and LstmLM + KN 5-gram (the lstm-lm section); each
 * [name, parameters, valid ppl, test ppl, epochs, time] as `lmTable` takes them.
 */
export function lmResultsRows(path, { lstm = true } = {}) {
  let md;
  try {
    md = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const cells = (line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((x) => x.trim());
  const rows = [];
  const bengio = /^\| NeuralLM \(MLP\) \|.*$/m.exec(md);
  if (bengio) {
    // model | n | h | m | direct | mixture | train | valid | test | vs | epochs | time
    const c = cells(bengio[0]);
    rows.push([
      `NeuralLM (MLP; n ${c[1]}, h ${c[2]}, m ${c[3]}; from the bengio section)`,
      '4,328,815',
      +c[7],
      +c[8],
      c[10],
      c[11],
    ]);
  }
  const bmix = /^\| NeuralLM \+ KN 5-gram .*$/m.exec(md);
  if (bmix) {
    const c = cells(bmix[0]);
    rows.push([`${c[0]} (from the bengio section)`, '—', +c[7], +c[8], c[10], '—']);
  }
  if (lstm) {
    // model | parameters | valid | test | vs | epochs | time
    for (const re of [/^\| LstmLM \(.*$/m, /^\| LstmLM \+ KN 5-gram .*$/m]) {
      const m = re.exec(md);
      if (m) {
        const c = cells(m[0]);
        rows.push([`${c[0]} (from the lstm-lm section)`, c[1], +c[2], +c[3], c[5], c[6]]);
      }
    }
  }
  return rows;
}

/**
 * The language-model comparison table (markdown): the Kneser-Ney 5-gram reference `kn`
 * (kneserNeyBaseline's result), then `rows` [name, parameters, valid ppl, test ppl, epochs,
 * time], each with its test perplexity relative to Kneser-Ney's.
 */
export function lmTable(kn, rows) {
  const fmt = (x) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(1));
  const vs = (x) => {
    const d = (100 * (kn.test - x)) / kn.test;
    return d >= 0 ? `${d.toFixed(1)}% lower` : `${(-d).toFixed(1)}% higher`;
  };
  const all = [
    ['Kneser-Ney 5-gram (interpolated, modified)', '—', kn.valid, kn.test, '—', `${kn.seconds.toFixed(1)} s`],
    ...rows,
  ];
  return [
    '| model | parameters | valid ppl | test ppl | vs KN 5-gram (test) | epochs | time |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...all.map(
      (r, i) =>
        `| ${r[0]} | ${r[1]} | ${fmt(r[2])} | ${fmt(r[3])} | ${i === 0 ? '(reference)' : vs(r[3])} | ${r[4]} | ${r[5]} |`,
    ),
  ].join('\n');
}
