// Byte-level BPE against Hugging Face's `tokenizers` (the Rust library's Node
// binding, 0.23): a tokenizer trained by Hugging Face on the Brown train files
// (the canonical file split, one sentence per line, words joined by spaces)
// gives the same ids, tokens and offsets in ByteLevelBPE on every line of the
// Brown test files and of tests/fixtures/bpe/hard-strings.txt; both decode each
// other's ids to the same text; our trainer reproduces Hugging Face's merges; a
// GPT-2 style vocab.json + merges.txt pair loads the same in both; and our
// tokenizer.json loads in Hugging Face.
//
// The binding's `Tokenizer.train` only runs the default BpeTrainer (vocab 30000,
// min_frequency 0, no special tokens, the alphabet of the characters seen). The
// tokenizer of the Python recipe (special token <|endoftext|>, initial alphabet
// = the 256 byte characters, vocab 8000) is derived from that run exactly: the
// trainer's tie-break compares ids, which keep their relative order when the
// unseen byte characters and the special token are added, and training is
// greedy, so its first merges are those of any smaller vocabulary size.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadBrown } from '../../src/data/node.js';
import { brownFileSplit } from '../../src/data/brown.js';
import { ByteLevelBPE, type BPEEncoding } from '../../src/text/bpe.js';
import { byteLevelAlphabet } from '../../src/text/byte-level.js';

interface HfEncoding {
  getIds(): number[];
  getTokens(): string[];
  getOffsets(): number[][];
}
interface HfTokenizer {
  train(files: string[]): void;
  save(path: string, pretty?: boolean): void;
  encode(s: string): Promise<HfEncoding>;
  encodeBatch(s: string[]): Promise<HfEncoding[]>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
  getVocabSize(withAdded?: boolean): number;
  setPreTokenizer(p: unknown): void;
  addSpecialTokens(t: string[]): void;
}
interface Hf {
  Tokenizer: {
    fromString(s: string): HfTokenizer;
    fromFile(p: string): HfTokenizer;
    new (model: unknown): HfTokenizer;
  };
  BPE: { fromFile(vocab: string, merges: string): Promise<unknown> };
  byteLevelPreTokenizer(addPrefixSpace?: boolean, useRegex?: boolean): unknown;
}
const hf = createRequire(import.meta.url)('tokenizers') as Hf;

const VOCAB = 8000;
const EOS = '<|endoftext|>';
const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-bpe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const emptyJson = (pre: object, post: object | null = null) =>
  JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true, ...pre },
    post_processor: post,
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
  });

let trainLines: string[] = [];
let testLines: string[] = [];
const hard = readFileSync(new URL('../fixtures/bpe/hard-strings.txt', import.meta.url), 'utf8').split('\n');
hard.pop();
/** Hugging Face's default run: model vocab and merges. */
let hfFull: { vocab: Record<string, number>; merges: [string, string][] };
/** The Python recipe's tokenizer.json (derived, see above). */
let recipeJson = '';

beforeAll(() => {
  const split = brownFileSplit(loadBrown());
  const lines = (files: typeof split.train) => files.flatMap((f) => f.sentences.map((s) => s.words.join(' ')));
  trainLines = lines(split.train);
  testLines = lines(split.test);
  writeFileSync(join(dir, 'train.txt'), trainLines.join('\n') + '\n');
  const tk = hf.Tokenizer.fromString(emptyJson({}));
  tk.train([join(dir, 'train.txt')]);
  tk.save(join(dir, 'hf-default.json'));
  hfFull = JSON.parse(readFileSync(join(dir, 'hf-default.json'), 'utf8')).model;
  // Derive: <|endoftext|> at 0, the 256 byte characters, then Hugging Face's merge tokens in order, up to VOCAB.
  const base = [EOS, ...byteLevelAlphabet()];
  const byId = Object.entries(hfFull.vocab).sort((a, b) => a[1] - b[1]);
  const seen = byId.filter(([t]) => [...t].length === 1).length;
  const mergedTokens = byId.slice(seen).map(([t]) => t);
  const tokens = [...base, ...mergedTokens].slice(0, VOCAB);
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const merges = hfFull.merges.slice(0, VOCAB - base.length);
  const obj = JSON.parse(emptyJson({}));
  obj.added_tokens = [
    { id: 0, content: EOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ];
  obj.model.vocab = vocab;
  obj.model.merges = merges;
  recipeJson = JSON.stringify(obj);
}, 120_000);

/** Compare every text; returns the number of tokens compared. */
async function compareAll(ours: ByteLevelBPE, theirs: HfTokenizer, texts: string[], label: string): Promise<number> {
  const hfEnc = await theirs.encodeBatch(texts);
  let tokens = 0;
  const mism: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const a: BPEEncoding = ours.encode(texts[i]!);
    const b = hfEnc[i]!;
    const same =
      JSON.stringify(Array.from(a.ids)) === JSON.stringify(b.getIds()) &&
      JSON.stringify(a.tokens) === JSON.stringify(b.getTokens()) &&
      JSON.stringify(a.offsets) === JSON.stringify(b.getOffsets());
    if (!same && mism.length < 3)
      mism.push(
        `${label}[${i}] ${JSON.stringify(texts[i]!.slice(0, 60))}\n ours ${JSON.stringify(a.tokens)} ${JSON.stringify(a.offsets)}\n hf   ${JSON.stringify(b.getTokens())} ${JSON.stringify(b.getOffsets())}`,
      );
    tokens += a.ids.length;
  }
  expect(mism, mism.join('\n')).toEqual([]);
  return tokens;
}

describe('ByteLevelBPE = Hugging Face tokenizers on a Brown-trained tokenizer', () => {
  let ours: ByteLevelBPE;
  let theirs: HfTokenizer;
  beforeAll(() => {
    ours = ByteLevelBPE.fromTokenizerJson(recipeJson);
    theirs = hf.Tokenizer.fromString(recipeJson);
  });

  test('same size and special tokens', () => {
    expect(ours.size).toBe(VOCAB);
    expect(theirs.getVocabSize(true)).toBe(VOCAB);
    expect(ours.specialTokens).toEqual([EOS]);
    expect(ours.eosTokenId).toBe(0);
  });

  test('ids, tokens and offsets on every Brown test line', async () => {
    const cold = ByteLevelBPE.fromTokenizerJson(recipeJson);
    const t0 = performance.now();
    cold.encodeBatch(testLines);
    const ms = performance.now() - t0;
    const words = testLines.reduce((s, l) => s + l.split(' ').length, 0);
    const n = await compareAll(ours, theirs, testLines, 'brown-test');
    console.log(`bpe parity: ${testLines.length} Brown test lines, ${n} tokens identical`);
    console.log(`bpe encode: ${words} words in ${ms.toFixed(0)} ms (cold cache)`);
    expect(testLines.length).toBeGreaterThan(5000);
  });

  test('ids, tokens and offsets on every hard string, the whole file, and joined pairs', async () => {
    const texts = [...hard, hard.join('\n'), ...hard.slice(1).map((s, i) => `${hard[i]}\n\n  \n\t${s}\r\n`)];
    const n = await compareAll(ours, theirs, texts, 'hard');
    console.log(`bpe parity: ${texts.length} hard strings (${hard.length} lines), ${n} tokens identical`);
  });

  test('decode(encode(x)) === x, and Hugging Face decodes our ids to the same text', async () => {
    const texts = [...hard, hard.join('\n'), ...testLines.slice(0, 500)];
    for (const t of texts) {
      const ids = ours.encode(t).ids;
      expect(ours.decode(ids)).toBe(t);
      expect(await theirs.decode(Array.from(ids), false)).toBe(t);
    }
    const withEos = ours.encode(`a${EOS}b`).ids;
    expect(ours.decode(withEos, { skipSpecialTokens: true })).toBe(await theirs.decode(Array.from(withEos), true));
  });

  test('invalid UTF-8 from partial byte tokens decodes to U+FFFD as Hugging Face', async () => {
    const emoji = ours.encode('😀x👍').ids;
    const cases = [Array.from(emoji).slice(1), Array.from(emoji).slice(0, -1), [...emoji].reverse()];
    for (const ids of cases) expect(ours.decode(ids)).toBe(await theirs.decode(ids, false));
  });

  test('lone surrogates: Hugging Face sees U+FFFD (the binding converts the string), so do we', async () => {
    for (const t of ['a\ud800b', '\udfff', 'x\ud83dy\ude00z']) {
      const a = ours.encode(t);
      const b = await theirs.encode(t);
      expect(Array.from(a.ids)).toEqual(b.getIds());
      expect(a.offsets).toEqual(b.getOffsets());
      expect(ours.decode(a.ids)).toBe(t.replace(/[\ud800-\udfff]/g, '\ufffd'));
    }
  });

  test('our tokenizer.json loads in Hugging Face with the same encodings', async () => {
    const path = join(dir, 'ours.json');
    writeFileSync(path, ours.toTokenizerJson());
    await compareAll(ours, hf.Tokenizer.fromFile(path), hard, 'reloaded');
  });
});

describe('RoBERTa and GPT-2 layouts', () => {
  test('prefix space, RobertaProcessing (<s> … </s>, trimmed offsets), ByteLevel post-processor', async () => {
    const base = JSON.parse(recipeJson);
    const n = Object.keys(base.model.vocab).length;
    base.model.vocab['<s>'] = n;
    base.model.vocab['</s>'] = n + 1;
    base.added_tokens.push(
      { id: n, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      { id: n + 1, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      {
        id: n + 2,
        content: '<mask>',
        single_word: false,
        lstrip: true,
        rstrip: false,
        normalized: false,
        special: true,
      },
      { id: n + 3, content: ' ish', single_word: true, lstrip: false, rstrip: true, normalized: true, special: false },
    );
    const texts = [...hard, 'a <mask> b  <mask>c', 'fish ish  ish x ishy', ' <s>x</s> ', '😀👩‍💻 x', '日本 語'];
    const layouts = [
      {
        pre: { add_prefix_space: true },
        post: {
          type: 'RobertaProcessing',
          sep: ['</s>', n + 1],
          cls: ['<s>', n],
          trim_offsets: true,
          add_prefix_space: true,
        },
      },
      {
        pre: { add_prefix_space: false },
        post: {
          type: 'RobertaProcessing',
          sep: ['</s>', n + 1],
          cls: ['<s>', n],
          trim_offsets: true,
          add_prefix_space: false,
        },
      },
      // the two disagree: the trimmed prefix space before a multi-byte character keeps an empty span past it
      {
        pre: { add_prefix_space: true },
        post: {
          type: 'RobertaProcessing',
          sep: ['</s>', n + 1],
          cls: ['<s>', n],
          trim_offsets: true,
          add_prefix_space: false,
        },
      },
      {
        pre: { add_prefix_space: false },
        post: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      },
      {
        pre: { add_prefix_space: true },
        post: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      },
      { pre: { add_prefix_space: false, use_regex: false }, post: null },
    ];
    for (const { pre, post } of layouts) {
      const obj = { ...base, pre_tokenizer: { ...base.pre_tokenizer, ...pre }, post_processor: post };
      const json = JSON.stringify(obj);
      await compareAll(ByteLevelBPE.fromTokenizerJson(json), hf.Tokenizer.fromString(json), texts, JSON.stringify(pre));
    }
  });

  test('vocab.json + merges.txt (GPT-2 files) load the same in both', async () => {
    const recipe = JSON.parse(recipeJson).model;
    const vocab: Record<string, number> = {};
    // GPT-2's order: the byte characters, the merges, <|endoftext|> last.
    const toks = Object.keys(recipe.vocab)
      .filter((t) => t !== EOS)
      .slice(0, 1500);
    toks.forEach((t, i) => (vocab[t] = i));
    vocab[EOS] = toks.length;
    const merges = (recipe.merges as [string, string][]).filter(([a, b]) => vocab[a + b] !== undefined);
    const mergesTxt = '#version: 0.2\n' + merges.map((m) => m.join(' ')).join('\n') + '\n';
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(dir, 'merges.txt'), mergesTxt);
    const ours = ByteLevelBPE.fromVocabMerges(JSON.stringify(vocab), mergesTxt);
    expect(ours.eosTokenId).toBe(toks.length);
    const theirs = new hf.Tokenizer(await hf.BPE.fromFile(join(dir, 'vocab.json'), join(dir, 'merges.txt')));
    theirs.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
    theirs.addSpecialTokens([EOS]);
    const n = await compareAll(ours, theirs, [...hard, ...testLines.slice(0, 300)], 'gpt2-files');
    console.log(`bpe parity: vocab.json/merges.txt layout, ${hard.length + 300} texts, ${n} tokens identical`);
  });
});

describe('the trainer reproduces Hugging Face BpeTrainer', () => {
  const withEnds = () => trainLines.map((l) => l + '\n');

  test('the default run: every merge, in order', () => {
    const seen = Object.keys(hfFull.vocab).filter((t) => [...t].length === 1).length;
    const t0 = performance.now();
    const ours = ByteLevelBPE.train(withEnds(), {
      vocabSize: 30000 - seen + 256,
      minFrequency: 0,
      specialTokens: [],
    });
    const ms = performance.now() - t0;
    const model = JSON.parse(ours.toTokenizerJson()).model;
    console.log(
      `bpe train: ${model.merges.length} merges on ${trainLines.length} Brown train lines in ${ms.toFixed(0)} ms`,
    );
    expect(model.merges.length).toBe(hfFull.merges.length);
    const firstDiff = model.merges.findIndex((m: string[], i: number) => m.join(' ') !== hfFull.merges[i]!.join(' '));
    expect(firstDiff, `first differing merge ${firstDiff}`).toBe(-1);
  }, 120_000);

  test('the recipe (<|endoftext|>, 256 byte characters, vocab 8000): the same tokenizer.json model', () => {
    const t0 = performance.now();
    const ours = ByteLevelBPE.train(withEnds(), { vocabSize: VOCAB, minFrequency: 0, specialTokens: [EOS] });
    const ms = performance.now() - t0;
    console.log(`bpe train: vocab ${VOCAB} in ${ms.toFixed(0)} ms`);
    const a = JSON.parse(ours.toTokenizerJson());
    const b = JSON.parse(recipeJson);
    expect(a.model.vocab).toEqual(b.model.vocab);
    expect(a.model.merges).toEqual(b.model.merges);
    expect(a.added_tokens).toEqual(b.added_tokens);
  }, 120_000);
});
