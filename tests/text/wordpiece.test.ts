// WordPiece (BERT): basic tokenization, greedy sub-words, encode / decode, vocab.txt and
// tokenizer.json I/O, likelihood-score training. Every expected value is worked out by hand.
import { describe, expect, test } from 'vitest';
import { ArgumentError, FormatError, VocabError } from '../../src/core/errors.js';
import { basicTokenize, WordPiece } from '../../src/text/wordpiece.js';

// ids:       0        1        2        3        4         5     6        7         8       9      10      11       12   13   14   15     16   17     18     19       20       21   22   23   24
const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'un',
  '##aff',
  '##able',
  'want',
  '##ed',
  'runn',
  '##ing',
  ',',
  '.',
  '!',
  'the',
  'a',
  'cat',
  'dog',
  'hello',
  'world',
  "'",
  's',
  'wa',
  '##nt',
];
const wp = new WordPiece(VOCAB);

describe('basicTokenize', () => {
  test('accents follow lower-casing, as Hugging Face', () => {
    expect(basicTokenize('Héllo')).toEqual(['hello']);
    expect(basicTokenize('Héllo', { lowercase: false })).toEqual(['Héllo']);
    expect(basicTokenize('Héllo', { lowercase: false, stripAccents: true })).toEqual(['Hello']);
    expect(basicTokenize('Héllo', { lowercase: true, stripAccents: false })).toEqual(['héllo']);
    // NFD of "ñ" is n + U+0303 (Mn), dropped; an already decomposed input gives the same.
    expect(basicTokenize('Ma\u00f1ana man\u0303ana')).toEqual(['manana', 'manana']);
  });
  test('punctuation splits (ASCII ranges incl. $ ^ ` and Unicode P*)', () => {
    expect(basicTokenize("don't!")).toEqual(['don', "'", 't', '!']);
    expect(basicTokenize('$5^2 `x` «oui»—non')).toEqual([
      '$',
      '5',
      '^',
      '2',
      '`',
      'x',
      '`',
      '«',
      'oui',
      '»',
      '—',
      'non',
    ]);
    expect(basicTokenize('a...b')).toEqual(['a', '.', '.', '.', 'b']);
  });
  test('CJK ideographs are spaced; kana are not', () => {
    expect(basicTokenize('中文abc')).toEqual(['中', '文', 'abc']);
    expect(basicTokenize('ひら中')).toEqual(['ひら', '中']);
  });
  test('control characters, U+0000 and U+FFFD dropped; whitespace normalised', () => {
    expect(basicTokenize('a\u0000b\u0007c\ufffdd\u200be')).toEqual(['abcde']); // U+200B is Cf
    expect(basicTokenize('  one   two\t\tthree\r\nfour\u00a0five  ')).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(basicTokenize('')).toEqual([]);
    expect(basicTokenize(' \n\t ')).toEqual([]);
  });
  test('typed error on a non-string', () => {
    expect(() => basicTokenize(3 as never)).toThrow(ArgumentError);
  });
});

describe('WordPiece sub-words', () => {
  test('greedy longest-match-first with ##', () => {
    expect(wp.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
    expect(wp.tokenize('Wanted running')).toEqual(['want', '##ed', 'runn', '##ing']);
    // "want" is preferred to "wa" + "##nt" (longest first).
    expect(wp.tokenize('want')).toEqual(['want']);
  });
  test('a word without a full segmentation is one [UNK]', () => {
    expect(wp.tokenize('xyz unx the')).toEqual(['[UNK]', '[UNK]', 'the']);
  });
  test('max chars per word', () => {
    const short = new WordPiece(VOCAB, { maxInputCharsPerWord: 8 });
    expect(short.tokenize('unaffable want')).toEqual(['[UNK]', 'want']); // 9 code points > 8
    expect(new WordPiece(VOCAB, { maxInputCharsPerWord: 9 }).tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
  });
  test('special tokens are never split (raw text, before lower-casing)', () => {
    expect(wp.tokenize('the [MASK] cat[SEP]')).toEqual(['the', '[MASK]', 'cat', '[SEP]']);
    expect(wp.tokenize('the [mask]')).toEqual(['the', '[UNK]', '[UNK]', '[UNK]']); // "[", "mask", "]"
  });
  test('idOf, tokenOf, size, typed errors', () => {
    expect(wp.size).toBe(25);
    expect(wp.idOf('cat')).toBe(17);
    expect(wp.tokenOf(6)).toBe('##aff');
    expect(() => wp.idOf('zebra')).toThrow(VocabError);
    expect(() => wp.tokenOf(25)).toThrow(VocabError);
    expect(() => wp.tokenOf(-1)).toThrow(VocabError);
    expect(() => new WordPiece(['a', 'b'])).toThrow(VocabError); // no [UNK]
    expect(() => new WordPiece(['[UNK]', 'a', 'a'])).toThrow(ArgumentError);
    expect(
      () =>
        new WordPiece(
          new Map([
            ['[UNK]', 0],
            ['a', 2],
          ]),
        ),
    ).toThrow(ArgumentError);
    expect(
      new WordPiece(
        new Map([
          ['a', 1],
          ['[UNK]', 0],
        ]),
      ).tokenize('a b'),
    ).toEqual(['a', '[UNK]']);
  });
});

describe('encode / decode', () => {
  test('single and pair, token types, attention mask', () => {
    const e = wp.encode('The cat');
    expect(e.tokens).toEqual(['[CLS]', 'the', 'cat', '[SEP]']);
    expect([...e.ids]).toEqual([2, 15, 17, 3]);
    expect([...e.tokenTypeIds]).toEqual([0, 0, 0, 0]);
    expect([...e.attentionMask]).toEqual([1, 1, 1, 1]);
    const p = wp.encode('the cat', 'a dog');
    expect(p.tokens).toEqual(['[CLS]', 'the', 'cat', '[SEP]', 'a', 'dog', '[SEP]']);
    expect([...p.ids]).toEqual([2, 15, 17, 3, 16, 18, 3]);
    expect([...p.tokenTypeIds]).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(p.ids).toBeInstanceOf(Int32Array);
    expect(wp.encode('the cat', null, { addSpecialTokens: false }).tokens).toEqual(['the', 'cat']);
  });
  test('truncation longest_first (the Rust tokenizers rule), only_first, only_second', () => {
    // 4 + 2 tokens, budget 7 - 3 = 4: the shorter (2) keeps min(2, ...) = 2, the longer gets 4 - 2 = 2.
    let e = wp.encode('hello world the cat', 'a dog', { maxLength: 7, truncation: true });
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]', 'a', 'dog', '[SEP]']);
    // 5 + 5, budget 7: both longer than half → 3 and 3 + 1 (the odd one goes to the second).
    e = wp.encode('hello world the cat dog', 'the cat a dog hello', { maxLength: 10, truncation: 'longest_first' });
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'world', 'the', '[SEP]', 'the', 'cat', 'a', 'dog', '[SEP]']);
    expect([...e.tokenTypeIds]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // 1 + 5, budget 4: the short one stays whole, the long one gets 3.
    e = wp.encode('cat', 'the cat a dog hello', { maxLength: 7, truncation: true });
    expect(e.tokens).toEqual(['[CLS]', 'cat', '[SEP]', 'the', 'cat', 'a', '[SEP]']);
    e = wp.encode('hello world the cat', 'a dog', { maxLength: 7, truncation: 'only_first' });
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]', 'a', 'dog', '[SEP]']);
    e = wp.encode('a dog', 'hello world the cat', { maxLength: 7, truncation: 'only_second' });
    expect(e.tokens).toEqual(['[CLS]', 'a', 'dog', '[SEP]', 'hello', 'world', '[SEP]']);
    e = wp.encode('hello world the cat', null, { maxLength: 4, truncation: true });
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]']);
    // Short enough: untouched.
    expect(wp.encode('cat', 'dog', { maxLength: 50, truncation: true }).tokens).toEqual([
      '[CLS]',
      'cat',
      '[SEP]',
      'dog',
      '[SEP]',
    ]);
    expect(() => wp.encode('hello world the cat', 'a dog', { maxLength: 4, truncation: 'only_first' })).toThrow(
      ArgumentError,
    );
    expect(() => wp.encode('a', null, { truncation: true })).toThrow(ArgumentError);
    expect(() => wp.encode('a a a a', null, { maxLength: 3, truncation: 'only_second' })).toThrow(ArgumentError);
  });
  test('longest_first lengths match the table of the Rust tokenizers tests (budget 7 = maxLength 10 - 3)', () => {
    const seq = (n: number) => 'a '.repeat(n);
    const cases: [number, number, number, number][] = [
      [0, 8, 0, 7],
      [2, 2, 2, 2],
      [2, 4, 2, 4],
      [2, 8, 2, 5],
      [4, 0, 4, 0],
      [4, 4, 3, 4],
      [4, 8, 3, 4],
      [8, 0, 7, 0],
      [8, 2, 5, 2],
      [8, 4, 4, 3],
      [8, 8, 3, 4],
    ];
    for (const [n1, n2, k1, k2] of cases) {
      const e = wp.encode(seq(n1), seq(n2), { maxLength: 10, truncation: 'longest_first' });
      const sep = e.tokens.indexOf('[SEP]');
      expect([sep - 1, e.tokens.length - sep - 2]).toEqual([k1, k2]);
    }
  });
  test('padding max_length and batch longest', () => {
    const e = wp.encode('the cat', null, { maxLength: 6, padding: 'max_length' });
    expect([...e.ids]).toEqual([2, 15, 17, 3, 0, 0]);
    expect([...e.attentionMask]).toEqual([1, 1, 1, 1, 0, 0]);
    expect([...e.tokenTypeIds]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(e.tokens).toEqual(['[CLS]', 'the', 'cat', '[SEP]', '[PAD]', '[PAD]']);
    const b = wp.encodeBatch(['cat', ['the cat', 'a dog'], 'hello world the'], { padding: 'longest' });
    expect(b.map((x) => x.ids.length)).toEqual([7, 7, 7]);
    expect([...b[0]!.ids]).toEqual([2, 17, 3, 0, 0, 0, 0]);
    expect([...b[0]!.attentionMask]).toEqual([1, 1, 1, 0, 0, 0, 0]);
    expect([...b[1]!.tokenTypeIds]).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect([...b[2]!.ids]).toEqual([2, 19, 20, 15, 3, 0, 0]);
    // 'longest' on one text is a no-op; max_length with truncation gives a fixed length.
    expect(wp.encode('the cat', null, { padding: 'longest' }).ids.length).toBe(4);
    const f = wp.encodeBatch(['hello world the cat dog', 'a'], {
      maxLength: 5,
      truncation: true,
      padding: 'max_length',
    });
    expect(f.map((x) => x.tokens)).toEqual([
      ['[CLS]', 'hello', 'world', 'the', '[SEP]'],
      ['[CLS]', 'a', '[SEP]', '[PAD]', '[PAD]'],
    ]);
    expect(() => wp.encode('a', null, { padding: 'max_length' })).toThrow(ArgumentError);
    expect(() => wp.encode('a', null, { padding: 'left' as never })).toThrow(ArgumentError);
  });
  test('decode joins ## pieces and cleans spaces before punctuation', () => {
    const e = wp.encode("Hello, world! The cat's unaffable.");
    expect(e.tokens).toEqual([
      '[CLS]',
      'hello',
      ',',
      'world',
      '!',
      'the',
      'cat',
      "'",
      's',
      'un',
      '##aff',
      '##able',
      '.',
      '[SEP]',
    ]);
    expect(wp.decode(e.ids)).toBe("hello, world! the cat's unaffable.");
    expect(wp.decode(e.ids, { skipSpecialTokens: false })).toBe("[CLS] hello, world! the cat's unaffable. [SEP]");
    expect(wp.decode(e.ids, { cleanUpTokenizationSpaces: false })).toBe("hello , world ! the cat ' s unaffable .");
    const round = 'the cat wanted a dog. running, hello world!';
    expect(wp.decode(wp.encode(round).ids)).toBe(round);
    expect(() => wp.decode([99])).toThrow(VocabError);
  });
});

describe('vocab.txt', () => {
  test('round trip: one token per line, id = line index', () => {
    const txt = wp.toVocabTxt();
    expect(txt.split('\n').slice(0, 3)).toEqual(['[PAD]', '[UNK]', '[CLS]']);
    expect(txt.endsWith('##nt\n')).toBe(true);
    const back = WordPiece.fromVocabTxt(txt);
    expect(back.vocab()).toEqual(VOCAB);
    expect(back.encode('unaffable dog').tokens).toEqual(wp.encode('unaffable dog').tokens);
  });
  test('CRLF and a missing final newline are accepted; options pass through', () => {
    const w = WordPiece.fromVocabTxt('[UNK]\r\nHi\r\n##ya', { lowercase: false });
    expect(w.vocab()).toEqual(['[UNK]', 'Hi', '##ya']);
    expect(w.tokenize('Hiya hi')).toEqual(['Hi', '##ya', '[UNK]']);
    expect(w.specialTokens).toEqual(['[UNK]']);
  });
  test('FormatError with line and byte offset on empty or duplicate lines', () => {
    expect(() => WordPiece.fromVocabTxt('[UNK]\n\nb\n')).toThrow(/line 2 \(byte 6\)/);
    expect(() => WordPiece.fromVocabTxt('[UNK]\n\nb\n')).toThrow(FormatError);
    // "é" is 2 bytes in UTF-8: line 3 starts at byte 6 + 3 = 9.
    expect(() => WordPiece.fromVocabTxt('[UNK]\né\né\n')).toThrow(/line 3 \(byte 9\).*already on line 2/);
    expect(() => WordPiece.fromVocabTxt('')).toThrow(FormatError);
  });
});

// A hand-written tokenizer.json in the shape Hugging Face's tokenizers library saves for BERT.
const HF_JSON = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: 0, content: '[PAD]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 1, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 2, content: '[CLS]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 3, content: '[SEP]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 4, content: '[MASK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ],
  normalizer: {
    type: 'BertNormalizer',
    clean_text: true,
    handle_chinese_chars: true,
    strip_accents: null,
    lowercase: true,
  },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4, cafe: 5, '##s': 6, 中: 7, '.': 8 },
  },
};

describe('tokenizer.json', () => {
  test('reads the WordPiece model and BertNormalizer of a Hugging Face file', () => {
    const w = WordPiece.fromTokenizerJson(JSON.stringify(HF_JSON));
    expect(w.size).toBe(9);
    expect(w.specialTokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect([w.lowercase, w.stripAccents, w.handleChineseChars, w.continuingPrefix, w.maxInputCharsPerWord]).toEqual([
      true,
      true,
      true,
      '##',
      100,
    ]);
    expect(w.encode('Cafés 中. [MASK]').tokens).toEqual(['[CLS]', 'cafe', '##s', '中', '.', '[MASK]', '[SEP]']);
    // strip_accents false, lowercase false, chinese off, another prefix and max chars.
    const j2 = structuredClone(HF_JSON) as Record<string, any>;
    j2.normalizer = {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: false,
      strip_accents: false,
      lowercase: false,
    };
    j2.model.continuing_subword_prefix = '@@';
    j2.model.max_input_chars_per_word = 3;
    j2.model.vocab = { '[UNK]': 0, Caf: 1, '@@é': 2 };
    j2.added_tokens = [{ id: 0, content: '[UNK]', special: true }];
    const w2 = WordPiece.fromTokenizerJson(j2);
    expect([w2.lowercase, w2.stripAccents, w2.handleChineseChars, w2.continuingPrefix]).toEqual([
      false,
      false,
      false,
      '@@',
    ]);
    expect(w2.tokenize('Café Cafés')).toEqual(['[UNK]', '[UNK]']); // 4 and 5 code points > 3
    expect(new WordPiece(w2.vocab(), { lowercase: false, continuingPrefix: '@@' }).tokenize('Café')).toEqual([
      'Caf',
      '@@é',
    ]);
  });
  test('round trip through toTokenizerJson', () => {
    const text = wp.toTokenizerJson();
    const obj = JSON.parse(text);
    expect(obj.model.type).toBe('WordPiece');
    expect(obj.model.vocab.cat).toBe(17);
    expect(obj.added_tokens.map((t: { content: string }) => t.content)).toEqual([
      '[PAD]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
    ]);
    expect(obj.post_processor.pair.length).toBe(5);
    const back = WordPiece.fromTokenizerJson(text);
    expect(back.vocab()).toEqual(wp.vocab());
    expect(back.specialTokens).toEqual(wp.specialTokens);
    for (const s of ["Hello, the cat's unaffable [MASK] dog!", 'running wanted xyz']) {
      expect(back.encode(s, 'a dog').tokens).toEqual(wp.encode(s, 'a dog').tokens);
    }
    const cased = new WordPiece(VOCAB, { lowercase: false, stripAccents: true, maxInputCharsPerWord: 7 });
    const c2 = WordPiece.fromTokenizerJson(cased.toTokenizerJson());
    expect([c2.lowercase, c2.stripAccents, c2.maxInputCharsPerWord]).toEqual([false, true, 7]);
  });
  test('FormatError naming the JSON path', () => {
    const bad = (patch: (j: Record<string, any>) => void, path: RegExp) => {
      const j = structuredClone(HF_JSON) as Record<string, any>;
      patch(j);
      expect(() => WordPiece.fromTokenizerJson(j)).toThrow(FormatError);
      expect(() => WordPiece.fromTokenizerJson(j)).toThrow(path);
    };
    bad((j) => (j.model.type = 'BPE'), /\$\.model\.type must be "WordPiece", got "BPE"/);
    bad((j) => delete j.model, /\$\.model must be an object/);
    bad((j) => (j.model.vocab = ['a']), /\$\.model\.vocab must be/);
    bad((j) => (j.model.vocab.cafe = 3), /\$\.model\.vocab\["cafe"\]/);
    bad((j) => (j.model.unk_token = '<unk>'), /\$\.model\.unk_token must be a token/);
    bad((j) => (j.model.max_input_chars_per_word = 0), /\$\.model\.max_input_chars_per_word/);
    bad((j) => (j.normalizer = { type: 'Sequence', normalizers: [] }), /\$\.normalizer\.type must be "BertNormalizer"/);
    bad((j) => (j.normalizer.lowercase = 'yes'), /\$\.normalizer\.lowercase/);
    bad((j) => (j.added_tokens[2].id = 7), /\$\.added_tokens\[2\]\.id/);
    bad((j) => (j.added_tokens[1].content = '<s>'), /\$\.added_tokens\[1\]\.content/);
    expect(() => WordPiece.fromTokenizerJson('{ not json')).toThrow(FormatError);
    expect(() => WordPiece.fromTokenizerJson('[1]')).toThrow(/\$ must be an object/);
  });
});

describe('WordPiece.train (likelihood score)', () => {
  // Word counts: ab ×4, a ×4, cb ×4, xy ×3. Symbols (first char plain, others ##):
  //   a = 4 (ab) + 4 (a) = 8,  ##b = 4 (ab) + 4 (cb) = 8,  c = 4,  x = 3,  ##y = 3.
  // Pairs and scores count(ab) / (count(a) count(b)):
  //   (a, ##b) 4 / (8·8) = 0.0625,  (c, ##b) 4 / (4·8) = 0.125,  (x, ##y) 3 / (3·3) = 0.333.
  // Plain frequency would merge a pair of count 4 first; the score merges xy (count 3).
  // Merge 1: xy. Counts left: a 8, ##b 8, c 4. Merge 2: cb (0.125 > 0.0625); now ##b = 4 (ab only).
  // Merge 3: (a, ##b) 4 / (8·4) = 0.125 → ab.
  // Alphabet in code-unit order: '##b' '##y' 'a' 'c' 'x' ('#' = 35 sorts before letters).
  const TOY = ['ab ab a cb XY', 'ab a a cb cb xy', 'ab a cb xy'];
  test('special tokens first (ids 0–4, given order), alphabet, then merges by score', () => {
    const w = WordPiece.train(TOY, { vocabSize: 13 });
    expect(w.vocab()).toEqual([
      '[PAD]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
      '##b',
      '##y',
      'a',
      'c',
      'x',
      'xy',
      'cb',
      'ab',
    ]);
    expect(w.specialTokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(w.tokenize('XY cb ab abz')).toEqual(['xy', 'cb', 'ab', '[UNK]']);
    // Stopping one merge earlier: only xy and cb.
    expect(WordPiece.train(TOY, { vocabSize: 11 }).vocab().slice(9)).toEqual(['x', 'xy']);
    // Another order of special tokens keeps that order.
    const o = WordPiece.train(TOY, { vocabSize: 9, specialTokens: ['[UNK]', '[PAD]', '[MASK]'] });
    expect(o.vocab().slice(0, 3)).toEqual(['[UNK]', '[PAD]', '[MASK]']);
  });
  test('ties: higher pair count, then the smaller a, then the smaller b; minFrequency stops merging', () => {
    // pq ×2, rs ×2: both 2 / (2·2) = 0.5 with count 2 → 'p' < 'r', pq first.
    // uv ×4 in the second corpus: 4 / (4·4) = 0.25 < 0.5, so still pq, rs, then uv.
    const v = WordPiece.train(['pq rs', 'rs pq', 'uv uv uv uv'], { vocabSize: 100, specialTokens: ['[UNK]'] });
    expect(v.vocab()).toEqual(['[UNK]', '##q', '##s', '##v', 'p', 'r', 'u', 'pq', 'rs', 'uv']);
    // Equal scores, different counts: mn ×6 (m 6, ##n 6): 6 / 36 = 1/6, count 6;
    // ij ×3 plus the word i ×3 (i 6, ##j 3): 3 / 18 = 1/6, count 3.
    const t = WordPiece.train(['mn mn mn mn mn mn ij ij ij i i i'], { vocabSize: 100, specialTokens: ['[UNK]'] });
    // Both 1/6: mn (count 6) before ij (count 3) although 'i' < 'm'.
    expect(t.vocab().slice(-2)).toEqual(['mn', 'ij']);
    // minFrequency 4: ij (count 3) is never merged.
    expect(
      WordPiece.train(['mn mn mn mn mn mn ij ij ij i i i'], {
        vocabSize: 100,
        specialTokens: ['[UNK]'],
        minFrequency: 4,
      })
        .vocab()
        .slice(-2),
    ).toEqual(['m', 'mn']);
  });
  test('merged tokens keep the first piece’s prefix; multi-step merges; cased training and limitAlphabet', () => {
    // "abc" ×3: (a, ##b) and (##b, ##c) both 3 / 9 with count 3; the first pieces compare '##b' < 'a' in code
    // units, so (##b, ##c) → '##bc' first (prefix kept), then (a, ##bc) 3 / 9 → 'abc'.
    const w = WordPiece.train(['abc abc abc'], { vocabSize: 100, specialTokens: ['[UNK]'] });
    expect(w.vocab()).toEqual(['[UNK]', '##b', '##c', 'a', '##bc', 'abc']);
    const cased = WordPiece.train(['Ab Ab ab'], { vocabSize: 100, specialTokens: ['[UNK]'], lowercase: false });
    expect(cased.vocab()).toEqual(['[UNK]', '##b', 'A', 'a', 'Ab']); // ab (count 1) is below minFrequency 2
    expect(cased.tokenize('Ab ab')).toEqual(['Ab', 'a', '##b']);
    // limitAlphabet 2 keeps the two most frequent characters a (5), b (3); words with c are left out.
    const lim = WordPiece.train(['ab ab ab ac ac'], { vocabSize: 100, specialTokens: ['[UNK]'], limitAlphabet: 2 });
    expect(lim.vocab()).toEqual(['[UNK]', '##b', 'a', 'ab']);
    expect(lim.tokenize('ac')).toEqual(['[UNK]']);
  });
  test('the result does not depend on the order of the texts; a generator works; no [UNK] on training words', () => {
    // A small pseudo-random corpus (LCG, fixed seed) over a 6-letter alphabet.
    let x = 12345;
    const rnd = (n: number) => ((x = (x * 1103515245 + 12345) % 2147483648), x % n);
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) {
      const ws: string[] = [];
      for (let j = 0; j < 8; j++) ws.push(Array.from({ length: 1 + rnd(6) }, () => 'abcdef'[rnd(6)]).join(''));
      lines.push(ws.join(' '));
    }
    const w1 = WordPiece.train(lines, { vocabSize: 60 });
    function* reversed() {
      for (let i = lines.length - 1; i >= 0; i--) yield lines[i]!.split(' ').reverse().join(' ');
    }
    const w2 = WordPiece.train(reversed(), { vocabSize: 60 });
    expect(w2.vocab()).toEqual(w1.vocab());
    expect(w1.size).toBe(60);
    for (const l of lines) expect(w1.tokenize(l)).not.toContain('[UNK]');
  });
  test('typed errors', () => {
    expect(() => WordPiece.train(['a'], { vocabSize: 0 })).toThrow(ArgumentError);
    expect(() => WordPiece.train('abc' as never, { vocabSize: 10 })).toThrow(ArgumentError);
    expect(() => WordPiece.train([1 as never], { vocabSize: 10 })).toThrow(ArgumentError);
    expect(() => WordPiece.train(['a'], { vocabSize: 10, specialTokens: ['[PAD]'] })).toThrow(ArgumentError);
    expect(() => WordPiece.train(['a'], { vocabSize: 10, specialTokens: ['[UNK]', '[UNK]'] })).toThrow(ArgumentError);
  });
});
