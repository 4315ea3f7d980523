#!/usr/bin/env node
// Writes the canonical corpora (docs/data.md) as plain files for the CLI and
// native tools:  node scripts/data.mjs [outDir=data]
//   <outDir>/brown.txt   Brown, one lower-cased sentence per line
//   <outDir>/spam.train  SpamAssassin train split, fastText format
//   <outDir>/spam.test   SpamAssassin test split, fastText format
// The split logic is src/data, from the built package (`npm run data` builds first).
// Output bytes are deterministic.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { brownText, spamSplit, toLines, md5Hex } from 'wasm-nlp';
import { loadBrown, loadSpam } from 'wasm-nlp/node';

const outDir = process.argv[2] ?? 'data';
mkdirSync(outDir, { recursive: true });

const brown = loadBrown();
const text = brownText(brown);
writeFileSync(join(outDir, 'brown.txt'), text);

const split = spamSplit(loadSpam());
const train = toLines(split.train);
const test = toLines(split.test);
writeFileSync(join(outDir, 'spam.train'), train);
writeFileSync(join(outDir, 'spam.test'), test);

const pct = (a, b) => ((100 * a) / b).toFixed(1);
console.log(
  `${join(outDir, 'brown.txt')}: ${brown.sentences.length} sentences, ${brown.ntokens} tokens, md5 ${md5Hex(text)}`,
);
console.log(
  `${join(outDir, 'spam.train')}: ${split.train.length} e-mails, ${split.trainSpam} spam (${pct(split.trainSpam, split.train.length)}%), md5 ${md5Hex(train)}`,
);
console.log(
  `${join(outDir, 'spam.test')}: ${split.test.length} e-mails, ${split.testSpam} spam (${pct(split.testSpam, split.test.length)}%), md5 ${md5Hex(test)}`,
);
