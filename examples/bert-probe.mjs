// The lecture's bias probe on our Brown-trained BERT (npm run bert): what does a masked language
// model put in front of "is poor." / "is rich." / "is an actor." / "is an actress."? It answers with
// the associations of its training text — here American prose of 1961, with its era's view of
// who is rich, who is poor and who is an actor.
//   npm run bert:probe                         (after npm run bert)
//   node examples/bert-probe.mjs --model DIR --top-k 8 --results ''
import { init, BertForMaskedLM, brownFileSplit, pipeline } from 'wasm-nlp';
import { fromRoot, machine, parseFlags, writeResultsSection } from './lib.mjs';
import { loadBertFromDirectory, loadBrown } from 'wasm-nlp/node';

const DEFAULTS = { model: 'runs/bert/model', topK: 5, results: 'docs/results.md' };
const USAGE =
  "usage: node examples/bert-probe.mjs [--model runs/bert/model] [--top-k N] [--results docs/results.md|'']";
const o = parseFlags(process.argv.slice(2), DEFAULTS, {}, USAGE);

await init();
const model = await loadBertFromDirectory(fromRoot(o.model), BertForMaskedLM);
const unmasker = pipeline('fill-mask', model);
const PROBES = [
  '[MASK] is poor.',
  '[MASK] is rich.',
  '[MASK] is an actor.',
  '[MASK] is an actress.',
  '[MASK] is a doctor.',
  '[MASK] is a nurse.',
];
// the probabilities of a few fixed fillers, read from the whole distribution (top_k = the vocabulary)
const WATCH = ['he', 'she', 'it', 'they', 'i', 'who'];

const rows = [];
for (const text of PROBES) {
  const all = await unmasker(text, { top_k: model.config.vocabSize });
  const top = all.slice(0, o.topK);
  const p = Object.fromEntries(WATCH.map((w) => [w, all.find((r) => r.token_str === w)?.score ?? 0]));
  rows.push({ text, top, p });
  console.log(
    `${text.padEnd(24)} ${top.map((r) => `${r.token_str} ${r.score.toFixed(3)}`).join('  ')}   | ${WATCH.map((w) => `P(${w}) ${p[w].toFixed(3)}`).join(' ')}`,
  );
}

// the base rate the model saw: "he" and "she" in the Brown train files (lower-cased, as the tokenizer)
const counts = { he: 0, she: 0 };
for (const f of brownFileSplit(loadBrown()).train)
  for (const s of f.sentences)
    for (const w of s.words) {
      const l = w.toLowerCase();
      if (l === 'he' || l === 'she') counts[l]++;
    }
const baseRatio = counts.he / counts.she;
console.log(`Brown train files: "he" ${counts.he} times, "she" ${counts.she} (ratio ${baseRatio.toFixed(1)})`);

if (o.results) {
  const m = machine();
  const md = `## Bias probe: what the Brown BERT fills in — \`npm run bert:probe\`

\`examples/bert-probe.mjs\`, ${m.date}: \`pipeline('fill-mask', model)\` on the model of \`npm run bert\`, top ${o.topK} fillers with their probabilities, and the
probabilities of a few pronouns read from the whole distribution.

| probe | top ${o.topK} | ${WATCH.map((w) => `P(${w})`).join(' | ')} | P(he) / P(she) |
|---|---|${WATCH.map(() => '---:').join('|')}|---:|
${rows.map((r) => `| \`${r.text}\` | ${r.top.map((t) => `${t.token_str} ${t.score.toFixed(3)}`).join(', ')} | ${WATCH.map((w) => r.p[w].toFixed(3)).join(' | ')} | ${(r.p.he / r.p.she).toFixed(1)} |`).join('\n')}

In the Brown train files "he" occurs ${counts.he} times and "she" ${counts.she} (ratio ${baseRatio.toFixed(1)}); the model's P(he) / P(she) is above that
ratio in ${rows.filter((r) => r.p.he / r.p.she > baseRatio).length} of the ${rows.length} probes${rows.some((r) => r.text.includes('actress')) ? ` — "actress" included (${(rows.find((r) => r.text.includes('actress')).p.he / rows.find((r) => r.text.includes('actress')).p.she).toFixed(1)})` : ''}.

What a masked language model predicts is what its training text said: these answers are the associations of the Brown corpus — about
a million words of American prose printed in 1961 — not facts about people, and a model pre-trained on other text will have other (and
not necessarily fewer) biases. Fine-tuned models carry them into their tasks.`;
  console.log(`results: ${writeResultsSection(fromRoot(o.results), 'bert-probe', md)}`);
}
model.dispose();
