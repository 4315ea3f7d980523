// The fastText-compatible command line (`npx wasm-nlp <command> ...`), Node only.
// Argument parsing, defaults and help live in src/cli/args.ts; this file does
// the I/O: reads files and stdin, prints what fastText prints, writes models
// atomically, and maps a bad command line to one line on stderr and exit code 2.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { init, rt } from './core/runtime.js';
import { now } from './core/clock.js';
import { WasmNlpError } from './core/errors.js';
import { CliError, helpText, parseArgs, type Parsed, type TrainArgs } from './cli/args.js';
import { FastTextClassifier } from './models/fasttext/classifier.js';
import { FastText } from './models/vectors/fasttext.js';
import { readFastTextBin } from './io/fasttext-bin.js';
import type { Progress } from './train/progress.js';
import { readVec, writeVec, type WordVectorTable } from './io/vec.js';
import { writeBytesAtomic } from './io/node.js';
import {
  type FastTextModelData,
  fastTextSentenceVector,
  fastTextWordSubwords,
  fastTextWordVector,
} from './models/fasttext/model.js';
import { ngramStrings } from './text/subwords.js';
import { wordFromBytes } from './text/word-bytes.js';
import { WordVectors } from './models/vectors/word-vectors.js';

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** All of standard input (for commands that read queries or test data from it). */
  stdin: () => Promise<string>;
  /** Whether stdin is a terminal (prompts are printed only then). */
  interactive: boolean;
}

/** C's %.{p}g, as fastText prints vectors and probabilities. */
export function formatG(v: number, p = 5): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(p)))));
  if (exp < -4 || exp >= p) {
    const [m, e] = v.toExponential(p - 1).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = v.toFixed(Math.max(0, p - 1 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function progressLine(p: Progress): string {
  const eta = Number.isFinite(p.etaSec) ? Math.max(0, Math.round(p.etaSec)) : 0;
  const h = Math.floor(eta / 3600),
    m = Math.floor((eta % 3600) / 60),
    s = eta % 60;
  return (
    `\rProgress: ${(100 * p.progress).toFixed(1).padStart(5)}% words/sec/thread: ${String(Math.round(p.itemsPerSec / p.threads)).padStart(7)} ` +
    `lr: ${p.lr.toFixed(6)} avg.loss: ${(p.avgLoss ?? p.loss).toFixed(6)} ETA: ${h}h${m}m${s}s`
  );
}

function readInput(path: string, io: CliIO): Promise<string> | string {
  // words are bytes, as for native fastText: invalid UTF-8 is kept (wordFromBytes), not replaced by U+FFFD
  return path === '-' ? io.stdin() : wordFromBytes(readFileSync(path));
}

function loadModel(path: string): FastTextModelData {
  return readFastTextBin(new Uint8Array(readFileSync(path)));
}

/** Word vectors of every word of a model (fastText's getWordVector), for .vec output, nn and analogies. */
function allWordVectors(model: FastTextModelData): WordVectorTable {
  const words = model.words.filter((w) => w.type === 'word').map((w) => w.word);
  const dim = model.input.cols;
  const data = new Float32Array(words.length * dim);
  words.forEach((w, i) => fastTextWordVector(model, w, data.subarray(i * dim, (i + 1) * dim)));
  return { words, dim, data };
}

async function train(command: 'skipgram' | 'cbow' | 'supervised', a: TrainArgs, io: CliIO): Promise<number> {
  if (command !== 'supervised') return trainUnsupervised(command, a, io);
  if (a.thread !== 1 && a.verbose > 0)
    io.stderr(`note: -thread ${a.thread}: supervised training runs on 1 thread in this version\n`);
  const text = readFileSync(a.input);
  const pretrained =
    a.pretrainedVectors !== '' ? readVec(new Uint8Array(readFileSync(a.pretrainedVectors))) : undefined;
  const start = now();
  const model = await FastTextClassifier.train(text, {
    dim: a.dim,
    epoch: a.epoch,
    lr: a.lr,
    wordNgrams: a.wordNgrams,
    minCount: a.minCount,
    minCountLabel: a.minCountLabel,
    bucket: a.bucket,
    loss: a.loss,
    neg: a.neg,
    lrUpdateRate: a.lrUpdateRate,
    label: a.label,
    seed: a.seed,
    pretrainedVectors: pretrained,
    initBlocks: a.thread,
    onProgress: a.verbose > 1 ? (p) => io.stderr(progressLine(p)) : undefined,
  });
  try {
    if (a.verbose > 1) io.stderr('\n');
    if (a.verbose > 0)
      io.stderr(`Trained in ${((now() - start) / 1e3).toFixed(1)} s; writing ${a.output}.bin and ${a.output}.vec\n`);
    await writeBytesAtomic(`${a.output}.bin`, model.toBytes());
    // Views of the Wasm matrices: nothing allocates in Wasm memory until the .vec bytes exist.
    await writeBytesAtomic(`${a.output}.vec`, writeVec(allWordVectors(model.toModelData())));
  } finally {
    model.dispose();
  }
  return 0;
}

async function trainUnsupervised(command: 'skipgram' | 'cbow', a: TrainArgs, io: CliIO): Promise<number> {
  if (a.loss !== 'ns' && a.loss !== 'hs')
    throw new CliError(
      `${command}: -loss must be ns or hs for word vectors, got ${a.loss === 'ova' ? 'one-vs-all' : a.loss}`,
    );
  const threads = rt(command).threads;
  if (threads < a.thread && a.verbose > 1)
    io.stderr(`note: -thread ${a.thread}: training on ${threads} (the cores of this machine)\n`);
  const text = readFileSync(a.input);
  const start = now();
  const model = await FastText.train(text, {
    model: command,
    dim: a.dim,
    ws: a.ws,
    epoch: a.epoch,
    lr: a.lr,
    minCount: a.minCount,
    neg: a.neg,
    loss: a.loss,
    bucket: a.bucket,
    minn: a.minn,
    maxn: a.maxn,
    t: a.t,
    lrUpdateRate: a.lrUpdateRate,
    seed: a.seed,
    threads,
    initBlocks: a.thread,
    onProgress: a.verbose > 1 ? (p) => io.stderr(progressLine(p)) : undefined,
  });
  try {
    if (a.verbose > 1) io.stderr('\n');
    if (a.verbose > 0)
      io.stderr(`Trained in ${((now() - start) / 1e3).toFixed(1)} s; writing ${a.output}.bin and ${a.output}.vec\n`);
    await writeBytesAtomic(`${a.output}.bin`, model.toBytes());
    await writeBytesAtomic(`${a.output}.vec`, model.toVec());
  } finally {
    model.dispose();
  }
  return 0;
}

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  switch (parsed.command) {
    case 'help':
      io.stdout(helpText(parsed.topic) + '\n');
      return 0;
    case 'skipgram':
    case 'cbow':
    case 'supervised':
      return train(parsed.command, parsed.args, io);
    case 'test':
    case 'predict':
    case 'predict-prob': {
      const model = FastTextClassifier.fromBytes(new Uint8Array(readFileSync(parsed.model)));
      try {
        const text = await readInput(parsed.input, io);
        if (parsed.command === 'test') {
          const r = model.test(text, parsed.k, parsed.threshold);
          io.stdout(`N\t${r.n}\nP@${parsed.k}\t${formatG(r.precision, 3)}\nR@${parsed.k}\t${formatG(r.recall, 3)}\n`);
          return 0;
        }
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        const preds = model.predictLines(lines, parsed.k, parsed.threshold);
        const prob = parsed.command === 'predict-prob';
        io.stdout(
          preds.map((p) => p.map((x) => (prob ? `${x.label} ${formatG(x.prob)}` : x.label)).join(' ')).join('\n') +
            (preds.length ? '\n' : ''),
        );
        return 0;
      } finally {
        model.dispose();
      }
    }
    case 'print-word-vectors':
    case 'print-sentence-vectors': {
      const model = loadModel(parsed.model);
      const input = await io.stdin();
      const out: string[] = [];
      if (parsed.command === 'print-word-vectors') {
        for (const w of input.split(/[ \t\n\v\f\r]+/)) {
          if (w.length === 0) continue;
          out.push(`${w} ${Array.from(fastTextWordVector(model, w), (v) => formatG(v)).join(' ')} `);
        }
      } else {
        const lines = input.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        for (const l of lines)
          out.push(`${Array.from(fastTextSentenceVector(model, l), (v) => formatG(v)).join(' ')} `);
      }
      io.stdout(out.map((l) => l + '\n').join(''));
      return 0;
    }
    case 'print-ngrams': {
      const model = loadModel(parsed.model);
      if (model.args.maxn <= 0)
        throw new CliError('print-ngrams: model must have character n-grams (maxn > 0), got maxn 0');
      const grams = ngramStrings(parsed.word, model.args.minn, model.args.maxn);
      const rows = fastTextWordSubwords(model, parsed.word);
      // An in-vocabulary word's own row comes first, printed under the word itself (as fastText does).
      const names = rows.length > grams.length ? [parsed.word, ...grams] : grams;
      const dim = model.input.cols;
      const lines = names.map((g, i) => {
        const r = rows[i]!;
        return `${g} ${Array.from(model.input.data.subarray(r * dim, (r + 1) * dim), (v) => formatG(v)).join(' ')} `;
      });
      io.stdout(lines.map((l) => l + '\n').join(''));
      return 0;
    }
    case 'nn':
    case 'analogies': {
      const model = loadModel(parsed.model);
      const t = allWordVectors(model);
      // native fastText's arithmetic (float32 query), every word a candidate but the query words
      const wv = new WordVectors(t.words, t.dim, t.data, {
        lookup: (w) => fastTextWordVector(model, w),
        arithmetic: 'float32',
        name: 'wasm-nlp ' + parsed.command,
      });
      const input = await io.stdin();
      const out: string[] = [];
      const prompt = parsed.command === 'nn' ? 'Query word? ' : 'Query triplet (A - B + C)? ';
      const queries =
        parsed.command === 'nn'
          ? input
              .split(/\s+/)
              .filter((w) => w.length > 0)
              .map((w) => [w])
          : input
              .split('\n')
              .map((l) => l.trim().split(/\s+/))
              .filter((t) => t.length === 3 && t[0] !== '');
      for (const q of queries) {
        if (io.interactive) out.push(prompt);
        const terms: [string, number][] =
          q.length === 1
            ? [[q[0]!, 1]]
            : [
                [q[0]!, 1],
                [q[1]!, -1],
                [q[2]!, 1],
              ];
        for (const n of wv.nearest(wv.combine(terms), parsed.k, new Set(q)))
          out.push(`${n.word} ${formatG(n.score)}\n`);
      }
      io.stdout(out.join(''));
      return 0;
    }
  }
}

/** Run the command line; returns the exit code (0 ok, 1 failure, 2 bad command line). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  try {
    // skipgram and cbow train hogwild on min(-thread, cores) workers, as fastText does.
    const vectors = parsed.command === 'skipgram' || parsed.command === 'cbow' ? parsed.args : undefined;
    const threads = vectors ? Math.min(vectors.thread, availableParallelism()) : 1;
    if (threads > 1) await init({ threads });
    else await init();
    return await run(parsed, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof WasmNlpError || (e as NodeJS.ErrnoException)?.code !== undefined) {
      io.stderr(`${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
