/**
 * Byte-level BPE (GPT-2, RoBERTa): Hugging Face's `ByteLevel` pre-tokenizer, `BPE`
 * model, `ByteLevel` decoder and post-processors, with the same ids, tokens and
 * offsets as the `tokenizers` library; `tokenizer.json` and GPT-2's
 * `vocab.json` + `merges.txt` I/O; and the BPE trainer with Hugging Face's
 * merge order. Browser-safe, no dependencies. See docs/tokenizers.md.
 */
import { checkFunction, checkInt, checkOptions, describe } from '../core/check.js';
import { ArgumentError, FormatError, VocabError } from '../core/errors.js';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, byteLevelAlphabet, gpt2Split, toByteLevel, utf8Bytes } from './byte-level.js';

/** One encoded text. All arrays have one entry per token. */
export interface BPEEncoding {
  ids: Int32Array;
  tokens: string[];
  /**
   * `[start, end)` of each token in the input, in Unicode code points (not UTF-16
   * code units), as Hugging Face's `encoding.getOffsets()`. A token made of some
   * bytes of a character covers that whole character; added special tokens of a
   * post-processor (`<s>`, `</s>`) get `[0, 0]`.
   */
  offsets: [number, number][];
}

/** Options of {@link ByteLevelBPE.train}. */
export interface ByteLevelBPETrainOptions {
  /** Target vocabulary size, special tokens and the 256 byte characters included (default 30000). */
  vocabSize?: number;
  /** Pairs seen fewer times are never merged (default 2; 0 and 1 merge every pair). */
  minFrequency?: number;
  /** First tokens, ids 0.. in order (default `['<|endoftext|>']`). */
  specialTokens?: string[];
  /** Put a space before the first word of every text, as RoBERTa (default false). */
  addPrefixSpace?: boolean;
  /** Called every 100 merges and at the end. */
  onProgress?: (p: { merges: number; total: number }) => void;
}

/** Options of {@link ByteLevelBPE.fromVocabMerges}. */
export interface ByteLevelBPEVocabMergesOptions {
  /** Default false (GPT-2). */
  addPrefixSpace?: boolean;
  /** Special tokens; those missing from vocab.json get the next ids. Default: `<|endoftext|>` when in vocab.json. */
  specialTokens?: string[];
}

/** Options of {@link ByteLevelBPE.decode}. */
export interface ByteLevelBPEDecodeOptions {
  /** Leave the special tokens out (default false, as Hugging Face). */
  skipSpecialTokens?: boolean;
}

interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A post-processor: what it adds around the tokens and whether it trims the offsets. */
interface PostProcessor {
  json: unknown;
  trimOffsets: boolean;
  addPrefixSpace: boolean;
  /** Token ids / strings around the sequence ('A'); undefined: nothing added. */
  template?: ({ ids: number[]; tokens: string[] } | 'A')[];
}

interface Config {
  vocab: Map<string, number>;
  merges: [string, string][];
  added: AddedToken[];
  addPrefixSpace: boolean;
  useRegex: boolean;
  unkToken: string | null;
  fuseUnk: boolean;
  ignoreMerges: boolean;
  decoder: boolean;
  post: PostProcessor | null;
}

/** Pair key of two ids below 2^21. */
const SHIFT = 2097152;
const MAX_ID = SHIFT - 1;
const CACHE_MAX = 100_000;
const CACHE_WORD_CHARS = 256;

/** One word after BPE: ids and `[start, end)` of each in the word's normalized bytes. */
interface WordTokens {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
}

const RE_WS_CHAR = /^\p{White_Space}$/u;
const RE_WORD_END = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const RE_WORD_START = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const RE_WS_END = /\p{White_Space}*$/u;
const RE_WS_START = /^\p{White_Space}*/u;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `name` of `fn`: JSON text (parsed; FormatError when it does not parse) or an object as it is (ArgumentError otherwise). */
function jsonArg(fn: string, name: string, v: unknown): unknown {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v);
    } catch (e) {
      throw new FormatError(`${fn}: ${name} must be valid JSON, got ${(e as Error).message}`);
    }
  }
  if (!isObj(v)) throw new ArgumentError(`${fn}: ${name} must be a string or an object, got ${describe(v)}`);
  return v;
}

/**
 * A byte-level BPE tokenizer over a fixed vocabulary and merge list: special and
 * added tokens are split out first (exact, leftmost-longest), the rest goes through
 * GPT-2's pre-tokenizer regex, each word's UTF-8 bytes become characters of the
 * byte-level alphabet and are merged by rank. Ids, tokens and offsets equal those
 * of Hugging Face's `tokenizers` on the same `tokenizer.json`.
 */
export class ByteLevelBPE {
  /** Added tokens with `special: true`, in id order. */
  readonly specialTokens: readonly string[];
  /** Id of `<|endoftext|>` when present. */
  readonly eosTokenId: number | undefined;
  private readonly cfg: Config;
  private readonly idTok: (string | undefined)[];
  private readonly tokId: Map<string, number>;
  private readonly specialIds: Set<number>;
  private readonly mergeRank: Map<number, number>;
  private readonly mergeNew: Int32Array;
  private readonly byteId: Int32Array;
  private readonly unkId: number;
  private readonly addedFirst: [AddedToken[], AddedToken[]];
  private readonly cache = new Map<string, WordTokens>();

  private constructor(cfg: Config, fn: string) {
    this.cfg = cfg;
    const idTok: (string | undefined)[] = [];
    for (const [t, id] of cfg.vocab) idTok[id] = t;
    const tokId = new Map(cfg.vocab);
    for (const a of cfg.added) {
      idTok[a.id] = a.content;
      tokId.set(a.content, a.id);
    }
    this.idTok = idTok;
    this.tokId = tokId;
    const specials = cfg.added.filter((a) => a.special).sort((x, y) => x.id - y.id);
    this.specialTokens = specials.map((a) => a.content);
    this.specialIds = new Set(specials.map((a) => a.id));
    this.eosTokenId = tokId.get('<|endoftext|>');
    // Merges: rank = position (a repeated pair keeps its last rank, as Hugging Face).
    this.mergeRank = new Map();
    this.mergeNew = new Int32Array(cfg.merges.length);
    cfg.merges.forEach(([a, b], rank) => {
      const ia = cfg.vocab.get(a);
      const ib = cfg.vocab.get(b);
      const m = cfg.vocab.get(a + b);
      if (ia === undefined || ib === undefined)
        throw new FormatError(
          `${fn}: merge ${rank} must join two tokens of the vocabulary, got ${JSON.stringify(ia === undefined ? a : b)}`,
        );
      if (m === undefined)
        throw new FormatError(
          `${fn}: merge ${rank} must produce a token of the vocabulary, got ${JSON.stringify(a + b)} for ${JSON.stringify([a, b])}`,
        );
      this.mergeRank.set(ia * SHIFT + ib, rank);
      this.mergeNew[rank] = m;
    });
    this.byteId = new Int32Array(256).map((_, b) => cfg.vocab.get(BYTE_TO_CHAR[b]!) ?? -1);
    this.unkId = cfg.unkToken === null ? -1 : cfg.vocab.get(cfg.unkToken)!;
    this.addedFirst = [cfg.added.filter((a) => !a.normalized), cfg.added.filter((a) => a.normalized)];
  }

  /** Number of ids: one more than the largest id of the vocabulary and the added tokens. */
  get size(): number {
    return this.idTok.length;
  }

  /** Id of a token (model vocabulary or added token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokId.get(token);
  }

  /** Token of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.idTok[id] : undefined;
  }

  // -------------------------------------------------------------------------
  // Encoding
  // -------------------------------------------------------------------------

  /**
   * Encode one text: added tokens split out, GPT-2 pre-tokenization, bytes to the
   * byte-level alphabet, merges by rank, then the post-processor (offset trimming,
   * `<s> … </s>` for RoBERTa). Offsets count Unicode code points.
   */
  encode(text: string): BPEEncoding {
    return this.encodeOne('ByteLevelBPE.encode', text);
  }

  /** {@link encode} on each text. */
  encodeBatch(texts: string[]): BPEEncoding[] {
    const fn = 'ByteLevelBPE.encodeBatch';
    if (!Array.isArray(texts))
      throw new ArgumentError(`${fn}: texts must be an array of strings, got ${describe(texts)}`);
    return texts.map((t, i) => this.encodeOne(`${fn}: texts[${i}]`, t));
  }

  private encodeOne(fn: string, text: string): BPEEncoding {
    if (typeof text !== 'string') throw new ArgumentError(`${fn}: text must be a string, got ${describe(text)}`);
    // Code-point index of every UTF-16 position.
    const cpAt = new Int32Array(text.length + 1);
    let cp = 0;
    for (let i = 0; i < text.length; i++) {
      cpAt[i] = cp;
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) cpAt[++i] = cp;
      }
      cp++;
    }
    cpAt[text.length] = cp;
    const ids: number[] = [];
    const tokens: string[] = [];
    const offsets: [number, number][] = [];
    const [first, second] = this.addedFirst;
    for (const p of this.splitAdded(text, 0, text.length, first)) {
      if (p.added !== undefined) {
        ids.push(p.added.id);
        tokens.push(text.slice(p.start, p.end));
        offsets.push([cpAt[p.start]!, cpAt[p.end]!]);
        continue;
      }
      for (const q of this.splitAdded(text, p.start, p.end, second)) {
        if (q.added !== undefined) {
          ids.push(q.added.id);
          tokens.push(text.slice(q.start, q.end));
          offsets.push([cpAt[q.start]!, cpAt[q.end]!]);
        } else this.encodeSegment(text, q.start, q.end, cpAt, ids, tokens, offsets);
      }
    }
    const post = this.cfg.post;
    if (post !== null && post.trimOffsets) trimOffsets(tokens, offsets, post.addPrefixSpace);
    if (post?.template !== undefined) {
      const outIds: number[] = [];
      const outTokens: string[] = [];
      const outOffsets: [number, number][] = [];
      for (const piece of post.template) {
        if (piece === 'A') {
          for (let i = 0; i < ids.length; i++) {
            outIds.push(ids[i]!);
            outTokens.push(tokens[i]!);
            outOffsets.push(offsets[i]!);
          }
        } else {
          piece.ids.forEach((id, i) => {
            outIds.push(id);
            outTokens.push(piece.tokens[i]!);
            outOffsets.push([0, 0]);
          });
        }
      }
      return { ids: Int32Array.from(outIds), tokens: outTokens, offsets: outOffsets };
    }
    return { ids: Int32Array.from(ids), tokens, offsets };
  }

  /** Split text[start, end) around the given added tokens (Hugging Face's `find_matches`). */
  private splitAdded(
    text: string,
    start: number,
    end: number,
    added: AddedToken[],
  ): { start: number; end: number; added?: AddedToken }[] {
    if (added.length === 0 || start === end) return start === end ? [] : [{ start, end }];
    const out: { start: number; end: number; added?: AddedToken }[] = [];
    let startOffset = start;
    let i = start;
    while (i < end) {
      let hit: AddedToken | undefined;
      for (const a of added) {
        if (
          a.content.length > 0 &&
          i + a.content.length <= end &&
          (hit === undefined || a.content.length > hit.content.length) &&
          text.startsWith(a.content, i)
        )
          hit = a;
      }
      if (hit === undefined) {
        i++;
        continue;
      }
      let s = i;
      let e = i + hit.content.length;
      i = e;
      if (hit.singleWord) {
        const startSpace = s === start || !RE_WORD_END.test(text.slice(start, s));
        const stopSpace = e === end || !RE_WORD_START.test(text.slice(e, end));
        if (!startSpace || !stopSpace) continue;
      }
      if (hit.lstrip) {
        const before = text.slice(start, s);
        s = Math.max(start + RE_WS_END.exec(before)!.index, startOffset);
      }
      if (hit.rstrip) {
        e += RE_WS_START.exec(text.slice(e, end))![0].length;
        i = e;
      }
      if (startOffset < s) out.push({ start: startOffset, end: s });
      out.push({ start: s, end: e, added: hit });
      startOffset = e;
    }
    if (startOffset < end) out.push({ start: startOffset, end });
    return out;
  }

  /** Pre-tokenize and BPE-encode text[start, end) (no added tokens inside). */
  private encodeSegment(
    text: string,
    start: number,
    end: number,
    cpAt: Int32Array,
    ids: number[],
    tokens: string[],
    offsets: [number, number][],
  ): void {
    const prefix = this.cfg.addPrefixSpace && text.charCodeAt(start) !== 32;
    const seg = prefix ? ' ' + text.slice(start, end) : text.slice(start, end);
    const shift = prefix ? 1 : 0;
    const words: [number, number][] = this.cfg.useRegex ? gpt2Split(seg) : [[0, seg.length]];
    const bytes: number[] = [];
    const charCp: number[] = [];
    const charByte: number[] = [];
    for (const [ws, we] of words) {
      const word = seg.slice(ws, we);
      // The word's byte-level characters, each with its source code point and its start in normalized bytes.
      bytes.length = 0;
      charCp.length = 0;
      charByte.length = 0;
      let nb = 0;
      for (let k = ws; k < we;) {
        const c = seg.codePointAt(k)!;
        const width = c > 0xffff ? 2 : 1;
        // The prefix space takes the place of the segment's first character.
        const src = cpAt[k < shift ? start : start + k - shift]!;
        const n0 = bytes.length;
        utf8Bytes(c, bytes);
        for (let j = n0; j < bytes.length; j++) {
          charCp.push(src);
          charByte.push(nb);
          nb += byteWidth(bytes[j]!);
        }
        k += width;
      }
      charByte.push(nb);
      let wt = word.length <= CACHE_WORD_CHARS ? this.cache.get(word) : undefined;
      if (wt === undefined) {
        wt = this.bpeWord(bytes, charByte);
        if (word.length <= CACHE_WORD_CHARS) {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          this.cache.set(word, wt);
        }
      }
      for (let t = 0; t < wt.ids.length; t++) {
        const id = wt.ids[t]!;
        ids.push(id);
        tokens.push(this.idTok[id]!);
        const c0 = charAtByte(charByte, wt.starts[t]!);
        const c1 = charAtByte(charByte, wt.ends[t]! - 1);
        offsets.push([charCp[c0]!, charCp[c1]! + 1]);
      }
    }
  }

  /** BPE of one word given as bytes: Hugging Face's `merge_word` + `merge_all`. */
  private bpeWord(bytes: number[], charByte: number[]): WordTokens {
    const n = bytes.length;
    if (this.cfg.ignoreMerges) {
      let s = '';
      for (const b of bytes) s += BYTE_TO_CHAR[b]!;
      const id = this.cfg.vocab.get(s);
      if (id !== undefined)
        return { ids: Int32Array.of(id), starts: Int32Array.of(0), ends: Int32Array.of(charByte[n]!) };
    }
    // Symbols: id and length in normalized bytes; unknown characters become the unk token (fused if asked) or vanish.
    const c: number[] = [];
    const len: number[] = [];
    let unk = -1;
    for (let k = 0; k < n; k++) {
      const id = this.byteId[bytes[k]!]!;
      const bl = charByte[k + 1]! - charByte[k]!;
      if (id >= 0) {
        if (unk >= 0) {
          c.push(this.unkId);
          len.push(unk);
          unk = -1;
        }
        c.push(id);
        len.push(bl);
      } else if (this.unkId >= 0) {
        if (unk >= 0 && this.cfg.fuseUnk) unk += bl;
        else {
          if (unk >= 0) {
            c.push(this.unkId);
            len.push(unk);
          }
          unk = bl;
        }
      }
    }
    if (unk >= 0) {
      c.push(this.unkId);
      len.push(unk);
    }
    const m = c.length;
    const prev = new Int32Array(m);
    const next = new Int32Array(m);
    for (let k = 0; k < m; k++) {
      prev[k] = k - 1;
      next[k] = k + 1 < m ? k + 1 : -1;
    }
    // Min-heap of rank * 2^26 + pos (rank, then the leftmost position).
    const heap: number[] = [];
    const POS = 67108864;
    const push = (rank: number, pos: number): void => heapPush(heap, rank * POS + pos);
    for (let k = 0; k + 1 < m; k++) {
      const r = this.mergeRank.get(c[k]! * SHIFT + c[k + 1]!);
      if (r !== undefined) push(r, k);
    }
    while (heap.length > 0) {
      const top = heapPop(heap);
      const rank = Math.floor(top / POS);
      const pos = top - rank * POS;
      if (len[pos] === 0 || next[pos] === -1) continue;
      const right = next[pos]!;
      const newId = this.mergeNew[rank]!;
      const r = this.mergeRank.get(c[pos]! * SHIFT + c[right]!);
      if (r === undefined || this.mergeNew[r] !== newId) continue;
      c[pos] = newId;
      len[pos]! += len[right]!;
      next[pos] = next[right]!;
      len[right] = 0;
      if (next[right]! >= 0) prev[next[right]!] = pos;
      if (prev[pos]! >= 0) {
        const r2 = this.mergeRank.get(c[prev[pos]!]! * SHIFT + newId);
        if (r2 !== undefined) push(r2, prev[pos]!);
      }
      if (next[pos]! >= 0) {
        const r2 = this.mergeRank.get(newId * SHIFT + c[next[pos]!]!);
        if (r2 !== undefined) push(r2, pos);
      }
    }
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let at = 0;
    for (let k = 0; k < m; k++) {
      if (len[k] === 0) continue;
      ids.push(c[k]!);
      starts.push(at);
      at += len[k]!;
      ends.push(at);
    }
    return { ids: Int32Array.from(ids), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
  }

  // -------------------------------------------------------------------------
  // Decoding
  // -------------------------------------------------------------------------

  /**
   * Ids back to text: each token's byte-level characters back to bytes (a token
   * with other characters, such as an added token, contributes its own UTF-8),
   * then UTF-8 decoded; invalid sequences become U+FFFD, as Hugging Face.
   */
  decode(ids: ArrayLike<number>, options: ByteLevelBPEDecodeOptions = {}): string {
    const fn = 'ByteLevelBPE.decode';
    if (ids === null || typeof ids !== 'object' || typeof (ids as ArrayLike<number>).length !== 'number')
      throw new ArgumentError(`${fn}: ids must be an array of token ids, got ${describe(ids)}`);
    checkOptions(fn, 'options', options, ['skipSpecialTokens']);
    const skip = options.skipSpecialTokens ?? false;
    if (typeof skip !== 'boolean')
      throw new ArgumentError(`${fn}: options.skipSpecialTokens must be a boolean, got ${describe(skip)}`);
    const toks: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (typeof id !== 'number' || !Number.isInteger(id))
        throw new ArgumentError(`${fn}: ids[${i}] must be an integer, got ${describe(id)}`);
      const tok = id >= 0 ? this.idTok[id] : undefined;
      if (tok === undefined)
        throw new VocabError(`${fn}: ids[${i}] must be a token id in [0, ${this.size}), got ${id}`);
      if (skip && this.specialIds.has(id)) continue;
      toks.push(tok);
    }
    if (!this.cfg.decoder) return toks.join(' ');
    const bytes: number[] = [];
    for (const tok of toks) {
      const n0 = bytes.length;
      let ok = true;
      for (const ch of tok) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b === undefined) {
          ok = false;
          break;
        }
        bytes.push(b);
      }
      if (!ok) {
        bytes.length = n0;
        for (const ch of tok) utf8Bytes(ch.codePointAt(0)!, bytes);
      }
    }
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(bytes));
  }

  // -------------------------------------------------------------------------
  // I/O
  // -------------------------------------------------------------------------

  /** A Hugging Face `tokenizer.json` (BPE model, ByteLevel pre-tokenizer and decoder, the post-processor). */
  toTokenizerJson(): string {
    const vocab: Record<string, number> = {};
    [...this.cfg.vocab].sort((x, y) => x[1] - y[1]).forEach(([t, id]) => (vocab[t] = id));
    const obj = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.cfg.added
        .slice()
        .sort((x, y) => x.id - y.id)
        .map((a) => ({
          id: a.id,
          content: a.content,
          single_word: a.singleWord,
          lstrip: a.lstrip,
          rstrip: a.rstrip,
          normalized: a.normalized,
          special: a.special,
        })),
      normalizer: null,
      pre_tokenizer: {
        type: 'ByteLevel',
        add_prefix_space: this.cfg.addPrefixSpace,
        trim_offsets: true,
        use_regex: this.cfg.useRegex,
      },
      post_processor: this.cfg.post?.json ?? null,
      decoder: this.cfg.decoder
        ? { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }
        : null,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: this.cfg.unkToken,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: this.cfg.fuseUnk,
        byte_fallback: false,
        ignore_merges: this.cfg.ignoreMerges,
        vocab,
        merges: this.cfg.merges,
      },
    };
    return JSON.stringify(obj);
  }

  /**
   * Read a Hugging Face `tokenizer.json` with a BPE model and a ByteLevel
   * pre-tokenizer (the GPT-2 and RoBERTa layouts): no normalizer, decoder
   * ByteLevel or none, post-processor none, ByteLevel, RobertaProcessing or
   * TemplateProcessing. FormatError naming the JSON path on anything else.
   */
  static fromTokenizerJson(json: string | object): ByteLevelBPE {
    const fn = 'ByteLevelBPE.fromTokenizerJson';
    const root = jsonArg(fn, 'json', json);
    const bad = (path: string, expect: string, got: unknown): never => {
      throw new FormatError(
        `${fn}: ${path} must be ${expect}, got ${JSON.stringify(got)?.slice(0, 80) ?? String(got)}`,
      );
    };
    const bool = (o: Record<string, unknown>, path: string, key: string, dflt: boolean): boolean => {
      const v = o[key] ?? dflt;
      if (typeof v !== 'boolean') bad(`${path}.${key}`, 'a boolean', v);
      return v as boolean;
    };
    if (!isObj(root)) return bad('$', 'an object', root);
    for (const key of ['normalizer', 'truncation', 'padding'] as const)
      if (root[key] !== undefined && root[key] !== null) bad(`$.${key}`, 'null', root[key]);
    const model = root.model;
    if (!isObj(model)) return bad('$.model', 'an object', model);
    if (model.type !== undefined && model.type !== 'BPE') bad('$.model.type', '"BPE"', model.type);
    for (const key of ['dropout', 'continuing_subword_prefix', 'end_of_word_suffix'] as const)
      if (model[key] !== undefined && model[key] !== null) bad(`$.model.${key}`, 'null', model[key]);
    if (model.byte_fallback !== undefined && model.byte_fallback !== false)
      bad('$.model.byte_fallback', 'false', model.byte_fallback);
    const vocab = readVocab(fn, '$.model.vocab', model.vocab, FormatError);
    const merges = readMerges(fn, '$.model.merges', model.merges);
    const unk = model.unk_token ?? null;
    if (unk !== null && (typeof unk !== 'string' || !vocab.has(unk)))
      bad('$.model.unk_token', 'null or a token of $.model.vocab', unk);
    const pre = root.pre_tokenizer;
    if (!isObj(pre)) return bad('$.pre_tokenizer', 'a ByteLevel pre-tokenizer object', pre);
    if (pre.type !== 'ByteLevel') bad('$.pre_tokenizer.type', '"ByteLevel"', pre.type);
    const dec = root.decoder ?? null;
    if (dec !== null && (!isObj(dec) || dec.type !== 'ByteLevel')) bad('$.decoder', 'null or a ByteLevel decoder', dec);
    const addedRaw = root.added_tokens ?? [];
    if (!Array.isArray(addedRaw)) bad('$.added_tokens', 'an array', addedRaw);
    const added: AddedToken[] = [];
    const seen = new Set<number>();
    const vocabIds = new Set(vocab.values());
    (addedRaw as unknown[]).forEach((t, i) => {
      const path = `$.added_tokens[${i}]`;
      if (!isObj(t)) return bad(path, 'an object', t);
      if (typeof t.content !== 'string' || t.content === '') bad(`${path}.content`, 'a non-empty string', t.content);
      const id = t.id;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID || seen.has(id))
        bad(`${path}.id`, `a new integer id in [0, ${MAX_ID}]`, id);
      const inVocab = vocab.get(t.content as string);
      if (inVocab !== undefined && inVocab !== id)
        bad(`${path}.id`, `${inVocab} (the id of ${JSON.stringify(t.content)} in $.model.vocab)`, id);
      if (inVocab === undefined && vocabIds.has(id as number))
        bad(`${path}.id`, 'an id not used by another token of $.model.vocab', id);
      seen.add(id as number);
      added.push({
        id: id as number,
        content: t.content as string,
        singleWord: bool(t, path, 'single_word', false),
        lstrip: bool(t, path, 'lstrip', false),
        rstrip: bool(t, path, 'rstrip', false),
        normalized: bool(t, path, 'normalized', !(t.special === true)),
        special: bool(t, path, 'special', false),
      });
    });
    const post = readPostProcessor(root.post_processor ?? null, bad, bool);
    // A post-processor's special token must be a token of the vocabulary, by its own id.
    const idOf = (token: string): number | undefined => vocab.get(token) ?? added.find((a) => a.content === token)?.id;
    post?.template?.forEach((piece, i) => {
      if (piece === 'A') return;
      piece.tokens.forEach((token, j) => {
        const id = idOf(token);
        if (id !== piece.ids[j])
          bad(
            `$.post_processor's special token ${JSON.stringify(token)} (template piece ${i})`,
            id === undefined ? 'a token of $.model.vocab or $.added_tokens' : `given its id ${id}`,
            piece.ids[j],
          );
      });
    });
    return new ByteLevelBPE(
      {
        vocab,
        merges,
        added,
        addPrefixSpace: bool(pre, '$.pre_tokenizer', 'add_prefix_space', true),
        useRegex: bool(pre, '$.pre_tokenizer', 'use_regex', true),
        unkToken: unk as string | null,
        fuseUnk: bool(model, '$.model', 'fuse_unk', false),
        ignoreMerges: bool(model, '$.model', 'ignore_merges', false),
        decoder: dec !== null,
        post,
      },
      fn,
    );
  }

  /**
   * GPT-2's `vocab.json` (token → id) and `merges.txt` (an optional `#version`
   * line, then one `a b` pair per line in rank order). Pre-tokenizer and decoder
   * ByteLevel, no post-processor.
   */
  static fromVocabMerges(
    vocabJson: string | object,
    mergesTxt: string,
    options: ByteLevelBPEVocabMergesOptions = {},
  ): ByteLevelBPE {
    const fn = 'ByteLevelBPE.fromVocabMerges';
    checkOptions(fn, 'options', options, ['addPrefixSpace', 'specialTokens']);
    const v = jsonArg(fn, 'vocabJson', vocabJson);
    const vocab = readVocab(fn, 'vocabJson', v, FormatError);
    if (typeof mergesTxt !== 'string')
      throw new ArgumentError(`${fn}: mergesTxt must be a string, got ${describe(mergesTxt)}`);
    const merges: [string, string][] = [];
    const lines = mergesTxt.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((line0, i) => {
      const line = line0.endsWith('\r') ? line0.slice(0, -1) : line0;
      if (line.startsWith('#version')) return;
      const parts = line.split(' ');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
        throw new FormatError(
          `${fn}: mergesTxt line ${i + 1} must hold two tokens separated by one space, got ${JSON.stringify(line.slice(0, 80))}`,
        );
      merges.push([parts[0]!, parts[1]!]);
    });
    const addPrefixSpace = options.addPrefixSpace ?? false;
    if (typeof addPrefixSpace !== 'boolean')
      throw new ArgumentError(`${fn}: options.addPrefixSpace must be a boolean, got ${describe(addPrefixSpace)}`);
    const specials = options.specialTokens ?? (vocab.has('<|endoftext|>') ? ['<|endoftext|>'] : []);
    checkTokenList(fn, 'options.specialTokens', specials);
    let next = Math.max(-1, ...vocab.values()) + 1;
    const added = specials.map((s) => ({
      id: vocab.get(s) ?? next++,
      content: s,
      singleWord: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
    return new ByteLevelBPE(
      {
        vocab,
        merges,
        added,
        addPrefixSpace,
        useRegex: true,
        unkToken: null,
        fuseUnk: false,
        ignoreMerges: false,
        decoder: true,
        post: null,
      },
      fn,
    );
  }

  // -------------------------------------------------------------------------
  // Training
  // -------------------------------------------------------------------------

  /**
   * Train on texts (each string is one sequence, as a line of a file for Hugging
   * Face; a single string is one sequence). Vocabulary: the special tokens (ids
   * 0..), the 256 byte characters sorted by code point, then one token per merge.
   * Merges follow Hugging Face's BpeTrainer exactly: words are the pre-tokenized
   * pieces (special tokens are not split out of training text), each step merges
   * the pair with the highest count, ties to the smaller (left id, right id),
   * with its lazily updated priority queue, until `vocabSize` tokens or no pair
   * of at least `minFrequency` remains.
   */
  static train(texts: string | Iterable<string>, options: ByteLevelBPETrainOptions = {}): ByteLevelBPE {
    const fn = 'ByteLevelBPE.train';
    if (
      typeof texts !== 'string' &&
      (texts === null ||
        typeof texts !== 'object' ||
        typeof (texts as Iterable<string>)[Symbol.iterator] !== 'function')
    )
      throw new ArgumentError(`${fn}: texts must be a string or an iterable of strings, got ${describe(texts)}`);
    checkOptions(fn, 'options', options, [
      'vocabSize',
      'minFrequency',
      'specialTokens',
      'addPrefixSpace',
      'onProgress',
    ]);
    const vocabSize = checkInt(fn, 'options.vocabSize', options.vocabSize ?? 30000, 1, MAX_ID);
    const minFrequency = checkInt(fn, 'options.minFrequency', options.minFrequency ?? 2, 0);
    const specials = options.specialTokens ?? ['<|endoftext|>'];
    checkTokenList(fn, 'options.specialTokens', specials);
    const addPrefixSpace = options.addPrefixSpace ?? false;
    if (typeof addPrefixSpace !== 'boolean')
      throw new ArgumentError(`${fn}: options.addPrefixSpace must be a boolean, got ${describe(addPrefixSpace)}`);
    const onProgress =
      options.onProgress === undefined
        ? undefined
        : checkFunction<(p: { merges: number; total: number }) => void>(fn, 'options.onProgress', options.onProgress);

    // 1. Word counts over the pre-tokenized, byte-level pieces.
    const wordCounts = new Map<string, number>();
    const seqs = typeof texts === 'string' ? [texts] : texts;
    for (const text of seqs) {
      if (typeof text !== 'string') throw new ArgumentError(`${fn}: texts must hold strings, got ${describe(text)}`);
      if (text === '') continue;
      const seg = addPrefixSpace && text.charCodeAt(0) !== 32 ? ' ' + text : text;
      for (const [s, e] of gpt2Split(seg)) {
        const w = toByteLevel(seg.slice(s, e));
        wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      }
    }
    // 2. Vocabulary: specials, then the alphabet.
    const idToWord: string[] = [];
    const wordToId = new Map<string, number>();
    const addTok = (t: string): void => {
      if (!wordToId.has(t)) {
        wordToId.set(t, idToWord.length);
        idToWord.push(t);
      }
    };
    for (const s of specials) addTok(s);
    for (const ch of byteLevelAlphabet()) addTok(ch);
    const initial = idToWord.length;
    // 3. Words as symbol ids; pair counts and the words holding each pair.
    const words: number[][] = [];
    const counts: number[] = [];
    for (const [w, n] of wordCounts) {
      words.push(Array.from(w, (ch) => wordToId.get(ch)!));
      counts.push(n);
    }
    const pairCounts = new Map<number, number>();
    let where = new Map<number, number[]>();
    for (let wi = 0; wi < words.length; wi++) {
      const syms = words[wi]!;
      for (let k = 0; k + 1 < syms.length; k++) {
        const key = syms[k]! * SHIFT + syms[k + 1]!;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[wi]!);
        const list = where.get(key);
        if (list === undefined) where.set(key, [wi]);
        else if (list[list.length - 1] !== wi) list.push(wi);
      }
    }
    const queue = new MergeQueue();
    const flush = (): void => {
      for (const [key, pos] of where) {
        const count = pairCounts.get(key)!;
        if (count > 0) queue.push({ key, count, pos });
      }
      where = new Map();
    };
    flush();
    // 4. Merges.
    const total = Math.max(0, vocabSize - initial);
    const merges: [number, number][] = [];
    while (idToWord.length < vocabSize) {
      const top = queue.pop();
      if (top === undefined) break;
      const current = pairCounts.get(top.key)!;
      if (top.count !== current) {
        top.count = current;
        queue.push(top);
        continue;
      }
      if (top.count < 1 || minFrequency > top.count) break;
      const a = Math.floor(top.key / SHIFT);
      const b = top.key - a * SHIFT;
      const newToken = idToWord[a]! + idToWord[b]!;
      addTok(newToken);
      const m = wordToId.get(newToken)!;
      merges.push([a, b]);
      for (const wi of top.pos) {
        const syms = words[wi]!;
        const f = counts[wi]!;
        for (let k = 0; k < syms.length; k++) {
          if (syms[k] !== a || k + 1 >= syms.length || syms[k + 1] !== b) continue;
          // As the Rust trainer: the merged pair itself is not decremented.
          if (k > 0) {
            bump(pairCounts, syms[k - 1]! * SHIFT + a, -f);
            bump(pairCounts, syms[k - 1]! * SHIFT + m, f);
            track(where, syms[k - 1]! * SHIFT + m, wi);
          }
          syms.splice(k, 2, m);
          if (k < syms.length - 1) {
            bump(pairCounts, b * SHIFT + syms[k + 1]!, -f);
            bump(pairCounts, m * SHIFT + syms[k + 1]!, f);
            track(where, m * SHIFT + syms[k + 1]!, wi);
          }
        }
      }
      flush();
      if (onProgress !== undefined && merges.length % 100 === 0) onProgress({ merges: merges.length, total });
    }
    if (onProgress !== undefined) onProgress({ merges: merges.length, total });
    // A pair merged twice keeps its last rank, as Hugging Face's model.
    const last = new Map<number, number>();
    merges.forEach(([a, b], i) => last.set(a * SHIFT + b, i));
    const mergeList: [string, string][] = [];
    merges.forEach(([a, b], i) => {
      if (last.get(a * SHIFT + b) === i) mergeList.push([idToWord[a]!, idToWord[b]!]);
    });
    return new ByteLevelBPE(
      {
        vocab: wordToId,
        merges: mergeList,
        added: specials.map((s) => ({
          id: wordToId.get(s)!,
          content: s,
          singleWord: false,
          lstrip: false,
          rstrip: false,
          normalized: false,
          special: true,
        })),
        addPrefixSpace,
        useRegex: true,
        unkToken: null,
        fuseUnk: false,
        ignoreMerges: false,
        decoder: true,
        post: null,
      },
      fn,
    );
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** UTF-8 length of a byte's byte-level character (printable ASCII: 1, the rest: 2). */
function byteWidth(b: number): number {
  return b >= 0x21 && b <= 0x7e ? 1 : 2;
}

/** Index of the character whose normalized bytes contain byte `b` (charByte: starts, then the total). */
function charAtByte(charByte: number[], b: number): number {
  let lo = 0;
  let hi = charByte.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (charByte[mid]! <= b) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Hugging Face's `process_offsets`: leading / trailing spaces of each token leave its offsets. */
function trimOffsets(tokens: string[], offsets: [number, number][], addPrefixSpace: boolean): void {
  const isSpace = (ch: string): boolean => ch === 'Ġ' || RE_WS_CHAR.test(ch);
  for (let i = 0; i < tokens.length; i++) {
    const chars = Array.from(tokens[i]!);
    let lead = 0;
    while (lead < chars.length && isSpace(chars[lead]!)) lead++;
    let trail = 0;
    while (trail < chars.length && isSpace(chars[chars.length - 1 - trail]!)) trail++;
    const o = offsets[i]!;
    if (lead > 0) {
      if ((i === 0 || o[0] === 0) && addPrefixSpace && lead === 1) lead = 0;
      o[0] = Math.min(o[0] + lead, o[1]);
    }
    if (trail > 0 && o[1] >= trail) o[1] = Math.max(o[1] - trail, o[0]);
  }
}

function heapPush(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    const n = h.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]! < h[c]!) c++;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}

function bump(m: Map<number, number>, key: number, d: number): void {
  m.set(key, (m.get(key) ?? 0) + d);
}

function track(where: Map<number, number[]>, key: number, wi: number): void {
  const list = where.get(key);
  if (list === undefined) where.set(key, [wi]);
  else if (list[list.length - 1] !== wi) list.push(wi);
}

interface MergeEntry {
  key: number;
  count: number;
  pos: number[];
}

/** Max-heap of pair entries: the higher count first, ties to the smaller pair (left id, then right id). */
class MergeQueue {
  private readonly h: MergeEntry[] = [];
  private static before(x: MergeEntry, y: MergeEntry): boolean {
    return x.count > y.count || (x.count === y.count && x.key < y.key);
  }
  push(e: MergeEntry): void {
    const h = this.h;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!MergeQueue.before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }
  pop(): MergeEntry | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && MergeQueue.before(h[c + 1]!, h[c]!)) c++;
        if (!MergeQueue.before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function checkTokenList(fn: string, name: string, v: unknown): void {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === ''))
    throw new ArgumentError(`${fn}: ${name} must be an array of non-empty strings, got ${describe(v)}`);
  if (new Set(v).size !== v.length) throw new ArgumentError(`${fn}: ${name} must be unique, got ${JSON.stringify(v)}`);
}

function readVocab(fn: string, path: string, v: unknown, E: typeof FormatError): Map<string, number> {
  if (!isObj(v)) throw new E(`${fn}: ${path} must be an object of token → id, got ${describe(v)}`);
  const vocab = new Map<string, number>();
  const used = new Set<number>();
  for (const [tok, id] of Object.entries(v)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID || used.has(id))
      throw new E(
        `${fn}: ${path}[${JSON.stringify(tok)}] must be a unique integer id in [0, ${MAX_ID}], got ${JSON.stringify(id)}`,
      );
    used.add(id);
    vocab.set(tok, id);
  }
  return vocab;
}

function readMerges(fn: string, path: string, v: unknown): [string, string][] {
  if (!Array.isArray(v)) throw new FormatError(`${fn}: ${path} must be an array, got ${describe(v)}`);
  return v.map((m: unknown, i) => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length === 2) return [parts[0]!, parts[1]!] as [string, string];
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
      return [m[0], m[1]] as [string, string];
    throw new FormatError(`${fn}: ${path}[${i}] must be "a b" or ["a", "b"], got ${JSON.stringify(m)?.slice(0, 80)}`);
  });
}

function readPostProcessor(
  p: unknown,
  bad: (path: string, expect: string, got: unknown) => never,
  bool: (o: Record<string, unknown>, path: string, key: string, dflt: boolean) => boolean,
): PostProcessor | null {
  const path = '$.post_processor';
  if (p === null) return null;
  if (!isObj(p)) return bad(path, 'null or an object', p);
  if (p.type === 'ByteLevel')
    return {
      json: p,
      trimOffsets: bool(p, path, 'trim_offsets', true),
      addPrefixSpace: bool(p, path, 'add_prefix_space', true),
    };
  if (p.type === 'RobertaProcessing') {
    const special = (key: 'cls' | 'sep'): { ids: number[]; tokens: string[] } => {
      const v = p[key];
      if (
        !Array.isArray(v) ||
        v.length !== 2 ||
        typeof v[0] !== 'string' ||
        typeof v[1] !== 'number' ||
        !Number.isInteger(v[1])
      )
        return bad(`${path}.${key}`, '[token, id]', v);
      return { ids: [v[1] as number], tokens: [v[0] as string] };
    };
    const cls = special('cls');
    const sep = special('sep');
    return {
      json: p,
      trimOffsets: bool(p, path, 'trim_offsets', true),
      addPrefixSpace: bool(p, path, 'add_prefix_space', true),
      template: [cls, 'A', sep],
    };
  }
  if (p.type === 'TemplateProcessing') {
    if (!Array.isArray(p.single)) return bad(`${path}.single`, 'an array', p.single);
    const specials = p.special_tokens ?? {};
    if (!isObj(specials)) return bad(`${path}.special_tokens`, 'an object', specials);
    const template = (p.single as unknown[]).map((piece, i): { ids: number[]; tokens: string[] } | 'A' => {
      const at = `${path}.single[${i}]`;
      if (isObj(piece) && isObj(piece.Sequence)) {
        if (piece.Sequence.id !== 'A') bad(`${at}.Sequence.id`, '"A"', piece.Sequence.id);
        return 'A';
      }
      if (isObj(piece) && isObj(piece.SpecialToken)) {
        const name = piece.SpecialToken.id;
        const sp = typeof name === 'string' ? specials[name] : undefined;
        if (!isObj(sp) || !Array.isArray(sp.ids) || !Array.isArray(sp.tokens) || sp.ids.length !== sp.tokens.length)
          return bad(
            `${path}.special_tokens[${JSON.stringify(name)}]`,
            'an object with ids and tokens of one length',
            sp,
          );
        return { ids: (sp.ids as unknown[]).map(Number), tokens: (sp.tokens as unknown[]).map(String) };
      }
      return bad(at, 'a {Sequence} or {SpecialToken} piece', piece);
    });
    return { json: p, trimOffsets: false, addPrefixSpace: false, template };
  }
  return bad(`${path}.type`, 'null, "ByteLevel", "RobertaProcessing" or "TemplateProcessing"', p.type);
}
