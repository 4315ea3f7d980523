/**
 * WordPiece (BERT) tokenization: Hugging Face's BasicTokenizer / BertNormalizer +
 * BertPreTokenizer, greedy longest-match-first sub-words with a continuing prefix
 * (`##`), BERT inputs (`[CLS] a [SEP] b [SEP]`, token types, attention mask,
 * truncation, padding), decoding, `vocab.txt` and `tokenizer.json` I/O, and a
 * trainer that merges the pair with the highest likelihood score
 * count(ab) / (count(a) · count(b)). Browser-safe, no dependencies. See docs/wordpiece.md.
 */
import { checkPositiveInt } from '../core/check.js';
import { ArgumentError, FormatError, VocabError } from '../core/errors.js';

// ---------------------------------------------------------------------------
// Basic tokenization
// ---------------------------------------------------------------------------

/** Options of {@link basicTokenize}. */
export interface BasicTokenizeOptions {
  /** Lower-case the text (default true). */
  lowercase?: boolean;
  /** Strip accents (NFD, drop Mn). Default: follows `lowercase`, as Hugging Face does. */
  stripAccents?: boolean;
  /** Put spaces around CJK ideographs (default true). */
  handleChineseChars?: boolean;
  /** Drop control characters, U+0000, U+FFFD and map whitespace to ' ' (default true). */
  cleanText?: boolean;
}

const RE_CONTROL = /^\p{C}$/u;
const RE_ZS = /^\p{Zs}$/u;
const RE_PUNCT = /^\p{P}$/u;
const RE_MN = /\p{Mn}/gu;

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || RE_ZS.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return RE_CONTROL.test(ch);
}

/** BERT's punctuation: the ASCII ranges 33–47, 58–64, 91–96, 123–126, and Unicode P*. */
export function isBertPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return RE_PUNCT.test(ch);
}

/** The CJK Unified Ideograph blocks of BERT's `_is_chinese_char`. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** NFD, then drop the non-spacing marks (Mn). */
export function stripAccents(text: string): string {
  return text.normalize('NFD').replace(RE_MN, '');
}

/**
 * BERT basic tokenization: clean, CJK spacing, whitespace split, lower-case /
 * strip accents, punctuation split. `"Don't!"` → `['don', "'", 't', '!']`.
 */
export function basicTokenize(text: string, options: BasicTokenizeOptions = {}): string[] {
  if (typeof text !== 'string') throw new ArgumentError(`basicTokenize: text must be a string, got ${typeof text}`);
  const lowercase = options.lowercase ?? true;
  const strip = options.stripAccents ?? lowercase;
  const cjk = options.handleChineseChars ?? true;
  const clean = options.cleanText ?? true;
  // Clean and CJK spacing in one pass.
  let s = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (clean) {
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch)) {
        s += ' ';
        continue;
      }
    }
    if (cjk && isChineseChar(cp)) s += ` ${ch} `;
    else s += ch;
  }
  const out: string[] = [];
  for (let word of s.split(/[ \t\n\r]+|\p{Zs}+/u)) {
    if (word === '') continue;
    if (lowercase) word = word.toLowerCase();
    if (strip) word = stripAccents(word);
    let cur = '';
    for (const ch of word) {
      if (isBertPunctuation(ch)) {
        if (cur !== '') out.push(cur);
        out.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur !== '') out.push(cur);
  }
  return out;
}

// ---------------------------------------------------------------------------
// WordPiece
// ---------------------------------------------------------------------------

/** Options of the {@link WordPiece} constructor. */
export interface WordPieceOptions {
  /** Token for words without a segmentation (default '[UNK]'); must be in the vocabulary. */
  unkToken?: string;
  /** Prefix of non-initial pieces (default '##'). */
  continuingPrefix?: string;
  /** Longer words (in code points) become the unknown token (default 100). */
  maxInputCharsPerWord?: number;
  /** Lower-case input (default true). */
  lowercase?: boolean;
  /** Strip accents; default follows `lowercase`. */
  stripAccents?: boolean;
  /** Space CJK ideographs (default true). */
  handleChineseChars?: boolean;
  /** Special tokens: never split, skipped by decode. Default: those of [PAD] [UNK] [CLS] [SEP] [MASK] in the vocabulary. */
  specialTokens?: string[];
  /** Default '[CLS]'. */
  clsToken?: string;
  /** Default '[SEP]'. */
  sepToken?: string;
  /** Default '[PAD]'. */
  padToken?: string;
  /** Default '[MASK]'. */
  maskToken?: string;
}

/** Truncation strategy of {@link WordPieceEncodeOptions}; `true` means 'longest_first'. */
export type WordPieceTruncation = boolean | 'longest_first' | 'only_first' | 'only_second';

/** Options of {@link WordPiece.encode} / {@link WordPiece.encodeBatch}. */
export interface WordPieceEncodeOptions {
  /** Maximum length including special tokens; used by truncation and by padding 'max_length'. */
  maxLength?: number;
  /** Truncate to `maxLength` (default false). */
  truncation?: WordPieceTruncation;
  /** 'max_length' pads to `maxLength`; 'longest' pads to the longest of the batch (a no-op for one text). */
  padding?: false | 'max_length' | 'longest';
  /** Add [CLS] / [SEP] (default true). */
  addSpecialTokens?: boolean;
}

/** One encoded input. All arrays have the same length. */
export interface Encoding {
  ids: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  tokens: string[];
}

/** Options of {@link WordPiece.decode}. */
export interface WordPieceDecodeOptions {
  /** Leave the special tokens out (default true). */
  skipSpecialTokens?: boolean;
  /** Remove the spaces before punctuation and contractions, as Hugging Face's clean_up_tokenization (default true). */
  cleanUpTokenizationSpaces?: boolean;
}

/** Options of {@link WordPiece.train}. */
export interface WordPieceTrainOptions {
  /** Target vocabulary size, special tokens included. */
  vocabSize: number;
  /** Pairs seen fewer times are never merged (default 2). */
  minFrequency?: number;
  /** First tokens, ids 0.. in order (default [PAD] [UNK] [CLS] [SEP] [MASK]). */
  specialTokens?: string[];
  /** Lower-case (default true); accents are stripped when lower-casing unless `stripAccents` says otherwise. */
  lowercase?: boolean;
  stripAccents?: boolean;
  /** Keep only the most frequent characters (ties: code-unit order); words with others are left out. */
  limitAlphabet?: number;
  /** Default '##'. */
  continuingPrefix?: string;
  /** Unknown token (default '[UNK]'); must be among the special tokens. */
  unkToken?: string;
}

const DEFAULT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

function cleanUpTokenization(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** A WordPiece tokenizer over a fixed vocabulary (token id = index). */
export class WordPiece {
  readonly unkToken: string;
  readonly continuingPrefix: string;
  readonly maxInputCharsPerWord: number;
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  readonly handleChineseChars: boolean;
  readonly specialTokens: readonly string[];
  readonly clsToken: string;
  readonly sepToken: string;
  readonly padToken: string;
  readonly maskToken: string;
  private readonly tokens: string[];
  private readonly ids: Map<string, number>;
  private readonly specialSet: Set<string>;
  private readonly specialIds: Set<number>;
  /** Special tokens, longest first, for the splitting of raw text. */
  private readonly specialOrder: string[];
  private readonly stripExplicit: boolean | undefined;

  constructor(vocab: string[] | Map<string, number>, options: WordPieceOptions = {}) {
    const fn = 'WordPiece';
    let tokens: string[];
    if (Array.isArray(vocab)) {
      tokens = vocab.slice();
    } else if (vocab instanceof Map) {
      tokens = new Array<string>(vocab.size);
      for (const [tok, id] of vocab) {
        if (!Number.isInteger(id) || id < 0 || id >= vocab.size || tokens[id] !== undefined) {
          throw new ArgumentError(
            `${fn}: vocab ids must be 0..${vocab.size - 1}, each once, got ${id} for ${JSON.stringify(tok)}`,
          );
        }
        tokens[id] = tok;
      }
    } else {
      throw new ArgumentError(`${fn}: vocab must be a string[] or a Map<string, number>, got ${typeof vocab}`);
    }
    if (tokens.length === 0) throw new ArgumentError(`${fn}: vocab must not be empty, got 0 tokens`);
    const ids = new Map<string, number>();
    tokens.forEach((t, i) => {
      if (typeof t !== 'string' || t === '')
        throw new ArgumentError(`${fn}: vocab tokens must be non-empty strings, got ${JSON.stringify(t)} at id ${i}`);
      if (ids.has(t))
        throw new ArgumentError(
          `${fn}: vocab tokens must be unique, got ${JSON.stringify(t)} at ids ${ids.get(t)} and ${i}`,
        );
      ids.set(t, i);
    });
    this.tokens = tokens;
    this.ids = ids;
    this.unkToken = options.unkToken ?? '[UNK]';
    if (!ids.has(this.unkToken))
      throw new VocabError(`${fn}: unkToken must be in the vocabulary, got ${JSON.stringify(this.unkToken)}`);
    this.continuingPrefix = options.continuingPrefix ?? '##';
    if (typeof this.continuingPrefix !== 'string')
      throw new ArgumentError(`${fn}: continuingPrefix must be a string, got ${typeof this.continuingPrefix}`);
    this.maxInputCharsPerWord = checkPositiveInt(fn, 'maxInputCharsPerWord', options.maxInputCharsPerWord ?? 100);
    this.lowercase = options.lowercase ?? true;
    this.stripExplicit = options.stripAccents;
    this.stripAccents = options.stripAccents ?? this.lowercase;
    this.handleChineseChars = options.handleChineseChars ?? true;
    this.clsToken = options.clsToken ?? '[CLS]';
    this.sepToken = options.sepToken ?? '[SEP]';
    this.padToken = options.padToken ?? '[PAD]';
    this.maskToken = options.maskToken ?? '[MASK]';
    let specials: string[];
    if (options.specialTokens !== undefined) {
      specials = options.specialTokens.slice();
      for (const s of specials) {
        if (!ids.has(s))
          throw new VocabError(`${fn}: specialTokens must be in the vocabulary, got ${JSON.stringify(s)}`);
      }
    } else {
      const named = [this.padToken, this.unkToken, this.clsToken, this.sepToken, this.maskToken];
      specials = [...new Set(named)].filter((s) => ids.has(s));
    }
    this.specialTokens = specials;
    this.specialSet = new Set(specials);
    this.specialIds = new Set(specials.map((s) => ids.get(s)!));
    this.specialOrder = [...this.specialSet].sort((a, b) => b.length - a.length);
  }

  /** Number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token; VocabError if absent. */
  idOf(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined)
      throw new VocabError(`WordPiece.idOf: token must be in the vocabulary, got ${JSON.stringify(token)}`);
    return id;
  }

  /** Whether a token is in the vocabulary. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** Token of an id; VocabError if out of range. */
  tokenOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new VocabError(`WordPiece.tokenOf: id must be an integer in [0, ${this.tokens.length}), got ${id}`);
    }
    return this.tokens[id]!;
  }

  /** The vocabulary in id order (a copy). */
  vocab(): string[] {
    return this.tokens.slice();
  }

  /** Whether an id is one of the special tokens. */
  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** Greedy longest-match-first pieces of one (already normalised) word. */
  wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.maxInputCharsPerWord) return [this.unkToken];
    const out: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        let sub = chars.slice(start, end).join('');
        if (start > 0) sub = this.continuingPrefix + sub;
        if (this.ids.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) return [this.unkToken];
      out.push(found);
      start = end;
    }
    return out;
  }

  /** Split raw text around special tokens (exact matches, longest first, leftmost). */
  private splitSpecials(text: string): { text: string; special: boolean }[] {
    if (this.specialOrder.length === 0) return [{ text, special: false }];
    const out: { text: string; special: boolean }[] = [];
    let last = 0;
    let i = 0;
    while (i < text.length) {
      let hit: string | undefined;
      if (text.charCodeAt(i) === this.specialFirst(text, i)) {
        for (const s of this.specialOrder) {
          if (text.startsWith(s, i)) {
            hit = s;
            break;
          }
        }
      }
      if (hit !== undefined) {
        if (i > last) out.push({ text: text.slice(last, i), special: false });
        out.push({ text: hit, special: true });
        i += hit.length;
        last = i;
      } else i++;
    }
    if (last < text.length) out.push({ text: text.slice(last), special: false });
    return out;
  }

  private firstChars?: Set<number>;
  private specialFirst(text: string, i: number): number {
    if (this.firstChars === undefined) this.firstChars = new Set(this.specialOrder.map((s) => s.charCodeAt(0)));
    const c = text.charCodeAt(i);
    return this.firstChars.has(c) ? c : -1;
  }

  /** Basic tokenization then sub-words; special tokens in the text stay whole. */
  tokenize(text: string): string[] {
    if (typeof text !== 'string')
      throw new ArgumentError(`WordPiece.tokenize: text must be a string, got ${typeof text}`);
    const opts = {
      lowercase: this.lowercase,
      stripAccents: this.stripAccents,
      handleChineseChars: this.handleChineseChars,
    };
    const out: string[] = [];
    for (const part of this.splitSpecials(text)) {
      if (part.special) {
        out.push(part.text);
        continue;
      }
      for (const w of basicTokenize(part.text, opts)) {
        for (const p of this.wordPieces(w)) out.push(p);
      }
    }
    return out;
  }

  /** Ids of tokens (the unknown id for tokens not in the vocabulary). */
  convertTokensToIds(tokens: readonly string[]): number[] {
    const unk = this.ids.get(this.unkToken)!;
    return tokens.map((t) => this.ids.get(t) ?? unk);
  }

  private specialId(fn: string, name: string, tok: string): number {
    const id = this.ids.get(tok);
    if (id === undefined)
      throw new VocabError(
        `${fn}: ${name} must be in the vocabulary to add special tokens, got ${JSON.stringify(tok)}`,
      );
    return id;
  }

  /** Encode one text or a pair into BERT inputs. */
  encode(text: string, pair?: string | null, options: WordPieceEncodeOptions = {}): Encoding {
    return this.encodeOne('WordPiece.encode', text, pair ?? undefined, options, undefined);
  }

  private encodeOne(
    fn: string,
    text: string,
    pair: string | undefined,
    options: WordPieceEncodeOptions,
    padTo: number | undefined,
  ): Encoding {
    if (typeof text !== 'string') throw new ArgumentError(`${fn}: text must be a string, got ${typeof text}`);
    if (pair !== undefined && typeof pair !== 'string')
      throw new ArgumentError(`${fn}: pair must be a string, got ${typeof pair}`);
    const addSpecial = options.addSpecialTokens ?? true;
    const maxLength =
      options.maxLength === undefined ? undefined : checkPositiveInt(fn, 'maxLength', options.maxLength);
    const truncation = options.truncation ?? false;
    if (![false, true, 'longest_first', 'only_first', 'only_second'].includes(truncation as never)) {
      throw new ArgumentError(
        `${fn}: truncation must be a boolean, 'longest_first', 'only_first' or 'only_second', got ${JSON.stringify(truncation)}`,
      );
    }
    const padding = options.padding ?? false;
    if (![false, 'max_length', 'longest'].includes(padding as never)) {
      throw new ArgumentError(
        `${fn}: padding must be false, 'max_length' or 'longest', got ${JSON.stringify(padding)}`,
      );
    }
    if (truncation !== false && maxLength === undefined)
      throw new ArgumentError(`${fn}: maxLength must be set when truncation is on, got undefined`);
    if (padding === 'max_length' && maxLength === undefined)
      throw new ArgumentError(`${fn}: maxLength must be set for padding 'max_length', got undefined`);
    let a = this.tokenize(text);
    let b = pair === undefined ? undefined : this.tokenize(pair);
    if (truncation !== false && maxLength !== undefined) {
      const nSpecial = addSpecial ? (b === undefined ? 2 : 3) : 0;
      const target = maxLength - nSpecial;
      const total = a.length + (b?.length ?? 0);
      if (total > target) {
        if (target < 0)
          throw new ArgumentError(
            `${fn}: maxLength must leave room for the ${nSpecial} special tokens, got ${maxLength}`,
          );
        const strategy = truncation === true ? 'longest_first' : truncation;
        if (b === undefined && strategy === 'only_second') {
          throw new ArgumentError(
            `${fn}: truncation 'only_second' must have a second sequence to truncate, got none (as Hugging Face's tokenizers)`,
          );
        }
        if (b === undefined || strategy === 'only_first') {
          const keep = target - (b?.length ?? 0);
          if (keep < 0)
            throw new ArgumentError(
              `${fn}: maxLength must allow truncating only the first sequence, got ${maxLength} with a second sequence of ${b!.length} tokens`,
            );
          a = a.slice(0, keep);
        } else if (strategy === 'only_second') {
          const keep = target - a.length;
          if (keep < 0)
            throw new ArgumentError(
              `${fn}: maxLength must allow truncating only the second sequence, got ${maxLength} with a first sequence of ${a.length} tokens`,
            );
          b = b.slice(0, keep);
        } else {
          // longest_first, as the Rust tokenizers: the shorter keeps its length up to half the budget; an odd remainder goes to the second.
          const swap = a.length > b.length;
          let n1 = swap ? b.length : a.length;
          let n2 = n1 > Math.floor(target / 2) ? n1 : Math.max(n1, target - n1);
          if (n1 + n2 > target) {
            n1 = Math.floor(target / 2);
            n2 = n1 + (target % 2);
          }
          if (swap) [n1, n2] = [n2, n1];
          a = a.slice(0, n1);
          b = b.slice(0, n2);
        }
      }
    }
    const tokens: string[] = [];
    const types: number[] = [];
    if (addSpecial) {
      this.specialId(fn, 'clsToken', this.clsToken);
      this.specialId(fn, 'sepToken', this.sepToken);
      tokens.push(this.clsToken);
      for (const t of a) tokens.push(t);
      tokens.push(this.sepToken);
    } else for (const t of a) tokens.push(t);
    for (let i = 0; i < tokens.length; i++) types.push(0);
    if (b !== undefined) {
      const start = tokens.length;
      for (const t of b) tokens.push(t);
      if (addSpecial) tokens.push(this.sepToken);
      for (let i = start; i < tokens.length; i++) types.push(1);
    }
    const n = tokens.length;
    const len = padding === 'max_length' ? Math.max(n, maxLength!) : padTo !== undefined ? Math.max(n, padTo) : n;
    const ids = new Int32Array(len);
    const tokenTypeIds = new Int32Array(len);
    const attentionMask = new Int32Array(len);
    const tokIds = this.convertTokensToIds(tokens);
    for (let i = 0; i < n; i++) {
      ids[i] = tokIds[i]!;
      tokenTypeIds[i] = types[i]!;
      attentionMask[i] = 1;
    }
    if (len > n) {
      const pad = this.specialId(fn, 'padToken', this.padToken);
      ids.fill(pad, n);
      for (let i = n; i < len; i++) tokens.push(this.padToken);
    }
    return { ids, tokenTypeIds, attentionMask, tokens };
  }

  /** Encode several texts (strings, or [text, pair] tuples); padding 'longest' pads to the longest. */
  encodeBatch(
    texts: readonly (string | readonly [string, string])[],
    options: WordPieceEncodeOptions = {},
  ): Encoding[] {
    const fn = 'WordPiece.encodeBatch';
    if (!Array.isArray(texts)) throw new ArgumentError(`${fn}: texts must be an array, got ${typeof texts}`);
    const unpadded = {
      ...options,
      padding: options.padding === 'max_length' ? ('max_length' as const) : (false as const),
    };
    const encs = texts.map((t) =>
      typeof t === 'string'
        ? this.encodeOne(fn, t, undefined, unpadded, undefined)
        : this.encodeOne(fn, t[0], t[1], unpadded, undefined),
    );
    if (options.padding !== 'longest') return encs;
    const longest = encs.reduce((m, e) => Math.max(m, e.ids.length), 0);
    return encs.map((e) => {
      if (e.ids.length === longest) return e;
      const pad = this.specialId(fn, 'padToken', this.padToken);
      const ids = new Int32Array(longest).fill(pad);
      ids.set(e.ids);
      const tokenTypeIds = new Int32Array(longest);
      tokenTypeIds.set(e.tokenTypeIds);
      const attentionMask = new Int32Array(longest);
      attentionMask.set(e.attentionMask);
      const tokens = e.tokens.concat(new Array<string>(longest - e.ids.length).fill(this.padToken));
      return { ids, tokenTypeIds, attentionMask, tokens };
    });
  }

  /** Ids back to text: pieces joined, '##' pieces glued, spaces before punctuation removed. */
  decode(ids: ArrayLike<number>, options: WordPieceDecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const cleanup = options.cleanUpTokenizationSpaces ?? true;
    let s = '';
    const p = this.continuingPrefix;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const tok = this.tokenOf(id);
      if (skip && this.specialIds.has(id)) continue;
      if (p !== '' && tok.startsWith(p) && s !== '') s += tok.slice(p.length);
      else s += s === '' ? tok : ` ${tok}`;
    }
    return cleanup ? cleanUpTokenization(s) : s;
  }

  /** `vocab.txt`: one token per line, id = line index. */
  toVocabTxt(): string {
    return this.tokens.join('\n') + '\n';
  }

  /** Read a `vocab.txt` (LF or CRLF; a final newline is optional). FormatError on empty or duplicate lines. */
  static fromVocabTxt(text: string, options: WordPieceOptions = {}): WordPiece {
    const fn = 'WordPiece.fromVocabTxt';
    if (typeof text !== 'string') throw new ArgumentError(`${fn}: text must be a string, got ${typeof text}`);
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const tokens: string[] = [];
    const seen = new Map<string, number>();
    const enc = new TextEncoder();
    let byte = 0;
    for (let i = 0; i < lines.length; i++) {
      let t = lines[i]!;
      const lineBytes = enc.encode(t).length + 1;
      if (t.endsWith('\r')) t = t.slice(0, -1);
      if (t === '') throw new FormatError(`${fn}: line ${i + 1} (byte ${byte}) must hold a token, got an empty line`);
      const prev = seen.get(t);
      if (prev !== undefined)
        throw new FormatError(
          `${fn}: line ${i + 1} (byte ${byte}) must hold a new token, got ${JSON.stringify(t)} already on line ${prev + 1}`,
        );
      seen.set(t, i);
      tokens.push(t);
      byte += lineBytes;
    }
    if (tokens.length === 0) throw new FormatError(`${fn}: text must hold at least one token, got none`);
    return new WordPiece(tokens, options);
  }

  /** Read the WordPiece model of a Hugging Face `tokenizer.json`. FormatError naming the JSON path on anything else. */
  static fromTokenizerJson(json: string | object, overrides: WordPieceOptions = {}): WordPiece {
    const fn = 'WordPiece.fromTokenizerJson';
    let root: unknown = json;
    if (typeof json === 'string') {
      try {
        root = JSON.parse(json);
      } catch (e) {
        throw new FormatError(`${fn}: json must be valid JSON, got ${(e as Error).message}`);
      }
    }
    const isObj = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    const bad = (path: string, expect: string, got: unknown): never => {
      throw new FormatError(
        `${fn}: ${path} must be ${expect}, got ${JSON.stringify(got)?.slice(0, 80) ?? String(got)}`,
      );
    };
    if (!isObj(root)) bad('$', 'an object', root);
    const r = root as Record<string, unknown>;
    const model = r.model;
    if (!isObj(model)) return bad('$.model', 'an object', model);
    if (model.type !== 'WordPiece') bad('$.model.type', '"WordPiece"', model.type);
    if (!isObj(model.vocab)) bad('$.model.vocab', 'an object of token → id', model.vocab);
    const vocab = new Map<string, number>();
    const n = Object.keys(model.vocab as object).length;
    const tokens = new Array<string>(n);
    for (const [tok, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n || tokens[id] !== undefined) {
        bad(`$.model.vocab[${JSON.stringify(tok)}]`, `a unique integer id in [0, ${n})`, id);
      }
      tokens[id as number] = tok;
      vocab.set(tok, id as number);
    }
    const opts: WordPieceOptions = {};
    if (model.unk_token !== undefined) {
      if (typeof model.unk_token !== 'string') bad('$.model.unk_token', 'a string', model.unk_token);
      if (!vocab.has(model.unk_token as string)) bad('$.model.unk_token', 'a token of $.model.vocab', model.unk_token);
      opts.unkToken = model.unk_token as string;
    }
    if (model.continuing_subword_prefix !== undefined && model.continuing_subword_prefix !== null) {
      if (typeof model.continuing_subword_prefix !== 'string')
        bad('$.model.continuing_subword_prefix', 'a string', model.continuing_subword_prefix);
      opts.continuingPrefix = model.continuing_subword_prefix as string;
    }
    if (model.max_input_chars_per_word !== undefined) {
      const m = model.max_input_chars_per_word;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1)
        bad('$.model.max_input_chars_per_word', 'a positive integer', m);
      opts.maxInputCharsPerWord = m as number;
    }
    const norm = r.normalizer;
    if (norm === undefined || norm === null) {
      opts.lowercase = false;
      opts.stripAccents = false;
      opts.handleChineseChars = false;
    } else {
      if (!isObj(norm)) return bad('$.normalizer', 'null or a BertNormalizer object', norm);
      if (norm.type !== 'BertNormalizer') bad('$.normalizer.type', '"BertNormalizer"', norm.type);
      const lc = norm.lowercase ?? true;
      if (typeof lc !== 'boolean') bad('$.normalizer.lowercase', 'a boolean', lc);
      const sa = norm.strip_accents ?? null;
      if (sa !== null && typeof sa !== 'boolean') bad('$.normalizer.strip_accents', 'null or a boolean', sa);
      const hc = norm.handle_chinese_chars ?? true;
      if (typeof hc !== 'boolean') bad('$.normalizer.handle_chinese_chars', 'a boolean', hc);
      opts.lowercase = lc as boolean;
      if (sa !== null) opts.stripAccents = sa as boolean;
      opts.handleChineseChars = hc as boolean;
    }
    const added = r.added_tokens ?? [];
    if (!Array.isArray(added)) bad('$.added_tokens', 'an array', added);
    const specials: string[] = [];
    (added as unknown[]).forEach((t, i) => {
      const path = `$.added_tokens[${i}]`;
      if (!isObj(t)) return bad(path, 'an object', t);
      if (typeof t.content !== 'string') bad(`${path}.content`, 'a string', t.content);
      const id = vocab.get(t.content as string);
      if (id === undefined) bad(`${path}.content`, 'a token of $.model.vocab', t.content);
      if (t.id !== undefined && t.id !== id)
        bad(`${path}.id`, `${id} (the id of ${JSON.stringify(t.content)} in $.model.vocab)`, t.id);
      if (t.special === true) specials.push(t.content as string);
    });
    if (specials.length > 0) opts.specialTokens = specials;
    return new WordPiece(tokens, { ...opts, ...overrides });
  }

  /** A minimal Hugging Face `tokenizer.json` (BertNormalizer, BertPreTokenizer, BERT template, WordPiece decoder). */
  toTokenizerJson(): string {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, i) => (vocab[t] = i));
    const addedTokens = this.specialTokens.map((t) => ({
      id: this.ids.get(t)!,
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
    addedTokens.sort((x, y) => x.id - y.id);
    const hasTemplate = this.ids.has(this.clsToken) && this.ids.has(this.sepToken);
    const cls = this.clsToken;
    const sep = this.sepToken;
    const postProcessor = hasTemplate
      ? {
          type: 'TemplateProcessing',
          single: [
            { SpecialToken: { id: cls, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: sep, type_id: 0 } },
          ],
          pair: [
            { SpecialToken: { id: cls, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: sep, type_id: 0 } },
            { Sequence: { id: 'B', type_id: 1 } },
            { SpecialToken: { id: sep, type_id: 1 } },
          ],
          special_tokens: {
            [cls]: { id: cls, ids: [this.ids.get(cls)!], tokens: [cls] },
            [sep]: { id: sep, ids: [this.ids.get(sep)!], tokens: [sep] },
          },
        }
      : null;
    const obj = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: this.handleChineseChars,
        strip_accents: this.stripExplicit ?? null,
        lowercase: this.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: postProcessor,
      decoder: { type: 'WordPiece', prefix: this.continuingPrefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: this.unkToken,
        continuing_subword_prefix: this.continuingPrefix,
        max_input_chars_per_word: this.maxInputCharsPerWord,
        vocab,
      },
    };
    return JSON.stringify(obj, null, 2);
  }

  /**
   * Train a vocabulary: special tokens (ids 0..), the alphabet (every character,
   * plain as a word's first, `##`-prefixed otherwise; sorted by code units), then
   * merges in order. Each step merges the adjacent pair (a, b) with the highest
   * count(ab) / (count(a) · count(b)) among pairs seen at least `minFrequency`
   * times; ties go to the higher count(ab), then the smaller a, then the smaller b
   * (code-unit order). The merged token is a + b without b's prefix.
   */
  static train(texts: Iterable<string>, options: WordPieceTrainOptions): WordPiece {
    const fn = 'WordPiece.train';
    if (
      texts === null ||
      typeof texts !== 'object' ||
      typeof (texts as Iterable<string>)[Symbol.iterator] !== 'function'
    ) {
      throw new ArgumentError(`${fn}: texts must be an iterable of strings, got ${typeof texts}`);
    }
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError(`${fn}: options must be an object with vocabSize, got ${String(options)}`);
    const vocabSize = checkPositiveInt(fn, 'vocabSize', options.vocabSize);
    const minFrequency = checkPositiveInt(fn, 'minFrequency', options.minFrequency ?? 2);
    const specials = (options.specialTokens ?? DEFAULT_SPECIALS).slice();
    if (new Set(specials).size !== specials.length)
      throw new ArgumentError(`${fn}: specialTokens must be unique, got ${JSON.stringify(specials)}`);
    const unkToken = options.unkToken ?? '[UNK]';
    if (!specials.includes(unkToken))
      throw new ArgumentError(
        `${fn}: specialTokens must include the unkToken ${JSON.stringify(unkToken)}, got ${JSON.stringify(specials)}`,
      );
    const lowercase = options.lowercase ?? true;
    const prefix = options.continuingPrefix ?? '##';
    const limitAlphabet =
      options.limitAlphabet === undefined ? undefined : checkPositiveInt(fn, 'limitAlphabet', options.limitAlphabet);
    const basic = { lowercase, stripAccents: options.stripAccents };

    // 1. Word counts.
    const wordCounts = new Map<string, number>();
    for (const text of texts) {
      if (typeof text !== 'string') throw new ArgumentError(`${fn}: texts must hold strings, got ${typeof text}`);
      for (const w of basicTokenize(text, basic)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    }
    // 2. Alphabet.
    const charCounts = new Map<string, number>();
    for (const [w, c] of wordCounts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
    let chars = [...charCounts.keys()];
    if (limitAlphabet !== undefined && chars.length > limitAlphabet) {
      chars.sort((x, y) => charCounts.get(y)! - charCounts.get(x)! || (x < y ? -1 : x > y ? 1 : 0));
      chars = chars.slice(0, limitAlphabet);
    }
    const kept = new Set(chars);
    // Symbols: strings ↔ ids (symbol ids are independent of vocabulary ids).
    const symStr: string[] = [];
    const symId = new Map<string, number>();
    const intern = (s: string): number => {
      let id = symId.get(s);
      if (id === undefined) {
        id = symStr.length;
        symStr.push(s);
        symId.set(s, id);
      }
      return id;
    };
    const words: number[][] = [];
    const freqs: number[] = [];
    const alphabet = new Set<string>();
    for (const [w, c] of wordCounts) {
      const cs = Array.from(w);
      if (!cs.every((ch) => kept.has(ch))) continue;
      const syms = cs.map((ch, i) => (i === 0 ? ch : prefix + ch));
      for (const s of syms) alphabet.add(s);
      words.push(syms.map(intern));
      freqs.push(c);
    }
    const vocab: string[] = specials.slice();
    const inVocab = new Set(vocab);
    for (const s of [...alphabet].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
      if (!inVocab.has(s)) {
        vocab.push(s);
        inVocab.add(s);
      }
    }
    // 3. Counts. Pairs live in growable arrays indexed through a Map keyed by a*2^21+b.
    const SHIFT = 2097152;
    const symCount: number[] = [];
    const pairIndex = new Map<number, number>();
    let pairA = new Int32Array(1024);
    let pairB = new Int32Array(1024);
    let pairCount = new Float64Array(1024);
    const pairWords: number[][] = [];
    let npairs = 0;
    const pairSlot = (a: number, b: number): number => {
      const key = a * SHIFT + b;
      let p = pairIndex.get(key);
      if (p === undefined) {
        p = npairs++;
        if (p >= pairA.length) {
          const grow = <T extends Int32Array | Float64Array>(arr: T, make: (n: number) => T): T => {
            const next = make(arr.length * 2);
            next.set(arr);
            return next;
          };
          pairA = grow(pairA, (n) => new Int32Array(n));
          pairB = grow(pairB, (n) => new Int32Array(n));
          pairCount = grow(pairCount, (n) => new Float64Array(n));
        }
        pairA[p] = a;
        pairB[p] = b;
        pairCount[p] = 0;
        pairWords.push([]);
        pairIndex.set(key, p);
      }
      return p;
    };
    const addWord = (wi: number, sign: number, track: boolean): void => {
      const syms = words[wi]!;
      const f = freqs[wi]! * sign;
      for (let i = 0; i < syms.length; i++) {
        const s = syms[i]!;
        symCount[s] = (symCount[s] ?? 0) + f;
        if (i + 1 < syms.length) {
          const p = pairSlot(s, syms[i + 1]!);
          pairCount[p]! += f;
          if (track) pairWords[p]!.push(wi);
        }
      }
    };
    for (let wi = 0; wi < words.length; wi++) addWord(wi, 1, true);
    // 4. Merges.
    const mark = new Int32Array(words.length).fill(-1);
    let step = 0;
    while (vocab.length < vocabSize) {
      let best = -1;
      let bestScore = -1;
      let bestCount = 0;
      for (let p = 0; p < npairs; p++) {
        const c = pairCount[p]!;
        if (c < minFrequency) continue;
        const pa = pairA[p]!;
        const pb = pairB[p]!;
        const score = c / (symCount[pa]! * symCount[pb]!);
        if (
          score > bestScore ||
          (score === bestScore &&
            (c > bestCount || (c === bestCount && WordPiece.pairLess(symStr, pa, pb, pairA[best]!, pairB[best]!))))
        ) {
          best = p;
          bestScore = score;
          bestCount = c;
        }
      }
      if (best < 0) break;
      const a = pairA[best]!;
      const b = pairB[best]!;
      const bs = symStr[b]!;
      const merged = symStr[a]! + (bs.startsWith(prefix) ? bs.slice(prefix.length) : bs);
      const m = intern(merged);
      if (!inVocab.has(merged)) {
        vocab.push(merged);
        inVocab.add(merged);
      }
      const affected = pairWords[best]!;
      pairWords[best] = [];
      for (const wi of affected) {
        if (mark[wi] === step) continue;
        mark[wi] = step;
        const syms = words[wi]!;
        let has = false;
        for (let i = 0; i + 1 < syms.length; i++) {
          if (syms[i] === a && syms[i + 1] === b) {
            has = true;
            break;
          }
        }
        if (!has) continue;
        addWord(wi, -1, false);
        const next: number[] = [];
        for (let i = 0; i < syms.length; i++) {
          if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
            next.push(m);
            i++;
          } else next.push(syms[i]!);
        }
        words[wi] = next;
        addWord(wi, 1, true);
      }
      step++;
    }
    return new WordPiece(vocab, {
      unkToken,
      continuingPrefix: prefix,
      lowercase,
      stripAccents: options.stripAccents,
      specialTokens: specials,
    });
  }

  private static pairLess(symStr: string[], a1: number, b1: number, a2: number, b2: number): boolean {
    const x = symStr[a1]!;
    const y = symStr[a2]!;
    if (x !== y) return x < y;
    return symStr[b1]! < symStr[b2]!;
  }
}
