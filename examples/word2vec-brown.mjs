// Train skip-gram word vectors on the Brown corpus and print nearest neighbours.
//   npm run brown            (writes data/brown.txt first, then runs this)
//   node examples/word2vec-brown.mjs [data/brown.txt] [--epochs 5] [--dim 100]
import { readFileSync } from 'node:fs';
import { init, Word2Vec } from 'wasm-nlp';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'data/brown.txt';

await init();
const text = readFileSync(file);
const w2v = new Word2Vec({
  dim: flag('dim', 100),
  window: 5,
  negative: 5,
  sample: 1e-4,
  minCount: 5,
  epochs: flag('epochs', 5),
  seed: 1,
});
const t0 = performance.now();
const result = await w2v.train(text, {
  onProgress: (p) =>
    process.stderr.write(
      `\rProgress: ${(100 * p.progress).toFixed(1).padStart(5)}%  words/sec: ${Math.round(p.itemsPerSec).toLocaleString('en')}  ` +
        `lr: ${p.lr.toFixed(5)}  loss: ${p.loss.toFixed(4)}  ETA: ${Math.round(p.etaSec)} s   `,
    ),
});
process.stderr.write('\n');
console.log(
  `Brown: ${w2v.words.length.toLocaleString('en')} words (minCount 5), ${result.words.toLocaleString('en')} tokens trained, ` +
    `${((performance.now() - t0) / 1e3).toFixed(1)} s, ${Math.round(result.wordsPerSec).toLocaleString('en')} words/s on one thread\n`,
);
for (const w of ['money', 'church', 'president', 'water', 'war', 'music', 'wife', 'monday']) {
  if (!w2v.has(w)) continue;
  const nn = w2v
    .mostSimilar(w, 6)
    .map((n) => `${n.word} ${n.score.toFixed(2)}`)
    .join(', ');
  console.log(`${w.padEnd(10)} ${nn}`);
}
const [best] = w2v.analogy('man', 'he', 'woman', 1);
console.log(`\nhe - man + woman = ${best.word} (${best.score.toFixed(2)})`);
w2v.dispose();
