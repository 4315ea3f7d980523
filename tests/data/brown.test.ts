// Brown parsing, tag normalisation and the canonical splits on small inline files.
import { describe, expect, test } from 'vitest';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import {
  BROWN_GENRES, brownCorpus, brownFileSplit, brownLmSplit, brownText, normalizeBrownTag, parseBrownFile,
} from '../../src/data/brown.js';

const CA01 = "\n\n\tThe/at Fulton/np-tl County/nn-tl said/vbd ./.\n\n\n\t``/`` Only/rb 1/2/cd ''/'' ./.\n  \n";
const CB02 = "\tHe/pps can't/md* go/vb ./.\n\tI'll/ppss+md do/do-hl it/ppo-tl-hl ./.\n";

describe('normalizeBrownTag', () => {
  test('strips -tl, -hl, -nc (repeatedly), keeps fw- and compounds', () => {
    expect(['nn-tl', 'nn-tl-hl', 'jj-hl', 'vbn-tl-nc', 'fw-nn-tl', 'fw-in+at-tl', 'ppss+md', 'np$', '--', 'nn'].map(normalizeBrownTag))
      .toEqual(['nn', 'nn', 'jj', 'vbn', 'fw-nn', 'fw-in+at', 'ppss+md', 'np$', '--', 'nn']);
  });
});

describe('parseBrownFile', () => {
  test('non-blank lines are sentences; word/tag split at the last /', () => {
    const f = parseBrownFile('ca01', CA01);
    expect(f.genre).toBe('a');
    expect(f.sentences.map((s) => s.words)).toEqual([['The', 'Fulton', 'County', 'said', '.'], ['``', 'Only', '1/2', "''", '.']]);
    expect(f.sentences[0]!.tags).toEqual(['at', 'np', 'nn', 'vbd', '.']);
    expect(f.sentences[0]!.rawTags).toEqual(['at', 'np-tl', 'nn-tl', 'vbd', '.']);
    expect(f.sentences[1]!.tags[2]).toBe('cd');
    expect(f.sentences[1]!.file).toBe('ca01');
  });
  test('a token without a tag is a FormatError with its offset', () => {
    expect(() => parseBrownFile('ca01', '\tgood/jj bad\n')).toThrow(FormatError);
    expect(() => parseBrownFile('ca01', '\tgood/jj bad\n')).toThrow(/ca01 at offset 9 must have a token word\/tag, got "bad"/);
    expect(() => parseBrownFile('ca01', 'x/\n')).toThrow(FormatError);
  });
  test('a bad file name is an ArgumentError', () => {
    expect(() => parseBrownFile('README', '')).toThrow(ArgumentError);
  });
});

describe('brownCorpus and splits', () => {
  const corpus = brownCorpus({ cb02: CB02, ca01: CA01 });
  test('files in sorted order, sentences in corpus order, token count', () => {
    expect(corpus.files.map((f) => f.name)).toEqual(['ca01', 'cb02']);
    expect(corpus.sentences.map((s) => s.genre)).toEqual(['a', 'a', 'b', 'b']);
    expect(corpus.ntokens).toBe(18);
    expect(corpus.sentences[3]!.tags).toEqual(['ppss+md', 'do', 'ppo', '.']);
    expect(BROWN_GENRES.b).toBe('editorial');
  });
  test('LM split cuts at exact token counts, across sentences', () => {
    const s = brownLmSplit(corpus, { train: 7, valid: 5 });
    const n = (p: string[][]) => p.reduce((a, x) => a + x.length, 0);
    expect([n(s.train), n(s.valid), n(s.test)]).toEqual([7, 5, 6]);
    expect(s.train).toEqual([['The', 'Fulton', 'County', 'said', '.'], ['``', 'Only']]);
    expect(s.valid).toEqual([['1/2', "''", '.'], ['He', 'can\'t']]);
    expect(s.test[0]).toEqual(['go', '.']);
    expect(s.test.flat()).toEqual(corpus.sentences.flatMap((x) => x.words).slice(12));
  });
  test('LM split of the sentences as word lists (brown.txt lines) = the split of the corpus, lower-cased', () => {
    const lines = brownText(corpus).trimEnd().split('\n').map((l) => l.split(' '));
    const a = brownLmSplit(lines, { train: 7, valid: 5 });
    const b = brownLmSplit(corpus, { train: 7, valid: 5 });
    for (const k of ['train', 'valid', 'test'] as const) expect(a[k]).toEqual(b[k].map((x) => x.map((w) => w.toLowerCase())));
    expect(() => brownLmSplit(null as never)).toThrow(ArgumentError);
    expect(() => brownLmSplit({} as never)).toThrow(/corpus must be a BrownCorpus or an array of sentences/);
  });
  test('file split: i % 10 == 0 test, 1 valid, else train', () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 23; i++) files[`ck${String(i).padStart(2, '0')}`] = 'a/at\n';
    const s = brownFileSplit(brownCorpus(files));
    expect(s.test.map((f) => f.name)).toEqual(['ck01', 'ck11', 'ck21']);
    expect(s.valid.map((f) => f.name)).toEqual(['ck02', 'ck12', 'ck22']);
    expect(s.train.length).toBe(17);
  });
  test('text: one lower-cased sentence per line, punctuation kept', () => {
    expect(brownText(corpus)).toBe("the fulton county said .\n`` only 1/2 '' .\nhe can't go .\ni'll do it .\n");
    expect(brownText([])).toBe('');
  });
  test('duplicate names are rejected', () => {
    expect(() => brownCorpus([['ca01', CA01], ['ca01', CA01]])).toThrow(ArgumentError);
  });
});
