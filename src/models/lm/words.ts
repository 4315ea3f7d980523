/**
 * What the word-level language models (NeuralLM, LstmLM) share, written once: the
 * vocabulary (words by id, `encode`), the checks of id streams and contexts, the
 * summaries of per-token losses (`tokenProbs`, `evaluate`, `perplexity`), the word API
 * over a model's distribution of the next word (`nextWordProbs`, `topNext`, seeded
 * `generate`), and the single-file save with the vocabulary in its metadata. A model
 * supplies its per-token losses (`tokenLosses`) and how it continues a context
 * (`continuation`).
 */
import { describe } from '../../core/check.js';
import { ArgumentError, FormatError, VocabError } from '../../core/errors.js';
import { Philox } from '../../core/rng.js';
import { Module } from '../../nn/module.js';
import { encodeSafetensors } from '../../io/safetensors.js';
import { CONFIG_KEY, MODEL_KEY, loadSaved } from '../../io/saved-model.js';

/** A candidate next word and its probability. */
export interface NextWord {
  word: string;
  id: number;
  prob: number;
}

/** Options of `NeuralLM.generate`: length, temperature, top-k and seed. `LstmLM.generate` takes the same. */
export interface GenerateOptions {
  /** Words to generate; default 20. */
  length?: number;
  /** Softmax temperature > 0; default 1. */
  temperature?: number;
  /** Sample among the k most probable words only; 0 = all (default). */
  topK?: number;
  /** Sampling seed; default 0. */
  seed?: number;
  /** Allow the unknown-word token in the output; default false. */
  allowUnk?: boolean;
}

/** Metadata key of saved files holding the vocabulary (JSON array of the words by id). */
const VOCAB_KEY = 'wasm-nlp.vocab';
/** Stream of `generate`'s sampler ("gene"). */
const SAMPLE_STREAM = 0x67656e65;

/** An integer in [lo, hi] (typed error naming `name` of `fn`). */
export function intIn(fn: string, name: string, v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || (v as number) < lo || (v as number) > hi) {
    throw new ArgumentError(
      `${fn}: ${name} must be an integer in [${lo}, ${hi === Number.MAX_SAFE_INTEGER ? '2^53' : hi}], got ${String(v)}`,
    );
  }
  return v as number;
}

/** A boolean (typed error naming `name` of `fn`). */
export function bool(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(`${fn}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/** A softmax temperature: a finite number > 0 (`options.temperature` of `fn`). */
function checkTemperature(fn: string, t: unknown): number {
  if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t))
    throw new ArgumentError(`${fn}: options.temperature must be a finite number > 0, got ${String(t)}`);
  return t;
}

/** A model's vocabulary: the words by id and the index word → id. */
export interface LMWords {
  vocab: string[];
  index: Map<string, number>;
}

/** The index word → id of a vocabulary (an array of `V` distinct strings), or what is wrong with it (`vocab` + must, got). */
function checkVocab(vocab: unknown, V: number): Map<string, number> | { must: string; got: string } {
  if (!Array.isArray(vocab) || vocab.length !== V)
    return {
      must: ` must be an array of ${V} words (config.vocabSize)`,
      got: Array.isArray(vocab) ? `${vocab.length} words` : describe(vocab),
    };
  const index = new Map<string, number>();
  for (let i = 0; i < vocab.length; i++) {
    const w: unknown = vocab[i];
    if (typeof w !== 'string') return { must: `[${i}] must be a string`, got: describe(w) };
    const j = index.get(w);
    if (j !== undefined) return { must: ' must not repeat a word', got: `${JSON.stringify(w)} at ${j} and ${i}` };
    index.set(w, i);
  }
  return index;
}

/** A checked copy of `vocab` (V distinct words) with its index; an ArgumentError naming `vocab` of `fn` otherwise. */
export function vocabIndex(fn: string, vocab: unknown, V: number): LMWords {
  const r = checkVocab(vocab, V);
  if (!(r instanceof Map)) throw new ArgumentError(`${fn}: vocab${r.must}, got ${r.got}`);
  return { vocab: [...(vocab as string[])], index: r };
}

/** Splits text on white space (strings) or takes words as they are. */
function wordsOf(text: string | readonly string[]): string[] {
  return typeof text === 'string' ? text.split(/\s+/).filter((w) => w.length > 0) : [...text];
}

/** Checks a stream of ids in [0, V) (typed error naming `arg` of `fn`). */
export function checkStream(fn: string, arg: string, s: unknown, V: number): Int32Array {
  if (!(s instanceof Int32Array))
    throw new ArgumentError(`${fn}: ${arg} must be an Int32Array of word ids, got ${describe(s)}`);
  for (let i = 0; i < s.length; i++) {
    const x = s[i]!;
    if (x < 0 || x >= V) throw new ArgumentError(`${fn}: ${arg}[${i}] must be a word id in [0, ${V}), got ${x}`);
  }
  return s;
}

/** Draws an id from `p` (unnormalised; among its `topK` most probable ids when topK > 0) with one uniform of `rng`. */
function sample(p: Float32Array, topK: number, rng: Philox): number {
  let cand = [...p.keys()];
  if (topK > 0) cand = cand.sort((a, b) => p[b]! - p[a]! || a - b).slice(0, topK);
  let total = 0;
  for (const i of cand) total += p[i]!;
  let u = rng.nextFloat() * total;
  for (const i of cand) {
    u -= p[i]!;
    if (u < 0) return i;
  }
  return cand[cand.length - 1]!;
}

/** The config fields the shared methods read. */
export interface LMConfig {
  /** Word ids are in [0, vocabSize). */
  vocabSize: number;
  /** Id of unknown words. */
  unk: number;
  /** Padding / first input of a stream; never a target, never generated. */
  bos: number;
}

/**
 * A word-level language model over ids in [0, config.vocabSize): the vocabulary, the
 * stream checks, evaluation summaries, the next-word API and saving, over the model's
 * `tokenLosses` and `continuation`. Error messages name `<kind>.<method>`.
 */
export abstract class WordLM extends Module {
  /** The class name saved files and checkpoints record (and errors name). */
  abstract readonly kind: string;
  abstract readonly config: LMConfig;
  /** The vocabulary (constructor or setVocab), when the model has one. */
  protected words: LMWords | null = null;
  /** The batch size of `perplexity`'s evaluation; undefined = `tokenLosses`' default. */
  protected readonly perplexityBatch: number | undefined = undefined;

  /** The constructor's last step: the weights from `seed` (all freed if that fails: out of memory) and the checked vocabulary. */
  protected initialise(seed: number, words: LMWords | null): void {
    try {
      this.resetParameters(seed);
    } catch (e) {
      this.dispose();
      throw e;
    }
    this.words = words;
  }

  /** The words by id, when the model has them. */
  get vocab(): readonly string[] | null {
    return this.words?.vocab ?? null;
  }

  /** Attach the words by id (length vocabSize, distinct). */
  setVocab(vocab: readonly string[]): void {
    this.words = vocabIndex(`${this.kind}.setVocab`, vocab, this.config.vocabSize);
  }

  protected needVocab(fn: string): LMWords {
    if (this.words === null)
      throw new VocabError(`${fn}: the model must have a vocabulary (constructor or setVocab) to take words, got none`);
    return this.words;
  }

  /** Word ids of words or white-space separated text; unknown words → `config.unk`. */
  encode(text: string | readonly string[]): Int32Array {
    const { index } = this.needVocab(`${this.kind}.encode`);
    const words = wordsOf(text);
    const out = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = index.get(words[i]!) ?? this.config.unk;
    return out;
  }

  /** Checks a stream of ids (typed error naming `arg`). */
  protected checkStream(fn: string, arg: string, s: unknown): Int32Array {
    return checkStream(fn, arg, s, this.config.vocabSize);
  }

  /** Ids of a context given as text, words (both need the vocabulary) or ids (checked). */
  protected contextIds(fn: string, context: string | readonly string[] | ArrayLike<number>): Int32Array {
    if (
      typeof context === 'string' ||
      (Array.isArray(context) && context.length > 0 && context.every((w) => typeof w === 'string'))
    )
      return this.encode(context as string | string[]);
    const src = context as ArrayLike<number>;
    for (let i = 0; i < src.length; i++) {
      const x = src[i]!;
      if (!Number.isInteger(x) || x < 0 || x >= this.config.vocabSize)
        throw new ArgumentError(`${fn}: context[${i}] must be a word id in [0, ${this.config.vocabSize}), got ${x}`);
    }
    return Int32Array.from(src);
  }

  /** −ln P of every token of `stream` given the ids before it (eval mode, no gradients). */
  abstract tokenLosses(stream: Int32Array, options?: { batchSize?: number }): Float64Array;

  /** P of every token of `stream` (as `tokenLosses`), aligned with `KneserNey.tokenProbs` for `mixtureProbs`. */
  tokenProbs(stream: Int32Array, options: { batchSize?: number } = {}): Float64Array {
    const l = this.tokenLosses(stream, options);
    for (let i = 0; i < l.length; i++) l[i] = Math.exp(-l[i]!);
    return l;
  }

  /** Mean cross-entropy (nats) over every token of the stream (`tokenLosses`) and its perplexity exp(loss). */
  evaluate(stream: Int32Array, options: { batchSize?: number } = {}): { loss: number; perplexity: number; n: number } {
    const l = this.tokenLosses(stream, options);
    let s = 0;
    for (let i = 0; i < l.length; i++) s += l[i]!;
    const loss = l.length > 0 ? s / l.length : NaN;
    return { loss, perplexity: Math.exp(loss), n: l.length };
  }

  /** Perplexity of text (words, white-space separated; needs the vocabulary) or of a stream of ids (LstmLM: in one pass, batch 1). */
  perplexity(text: string | readonly string[] | Int32Array): number {
    const ids = text instanceof Int32Array ? text : this.encode(text);
    if (ids.length === 0)
      throw new ArgumentError(`${this.kind}.perplexity: text must hold at least one word, got none`);
    return this.evaluate(ids, this.perplexityBatch === undefined ? {} : { batchSize: this.perplexityBatch }).perplexity;
  }

  /**
   * Runs `use` (eval mode, no gradients) with `next`: `next()` is the distribution of the
   * word after `context` [V] at `temperature`, and each `next(id)` the one after `id` is
   * appended (ids checked by the caller).
   */
  protected abstract continuation<T>(
    context: Int32Array,
    temperature: number,
    use: (next: (id?: number) => Float32Array) => T,
  ): T;

  /**
   * The distribution of the next word [V] (sums to 1) after `context` (words, text or ids).
   * NeuralLM reads its last `config.context` ids (bos-padded); LstmLM all of it, from `bos`.
   */
  nextWordProbs(
    context: string | readonly string[] | ArrayLike<number>,
    options: { temperature?: number } = {},
  ): Float32Array {
    const fn = `${this.kind}.nextWordProbs`;
    const ctx = this.contextIds(fn, context);
    const temperature = checkTemperature(fn, options.temperature ?? 1);
    return this.continuation(ctx, temperature, (next) => next());
  }

  /** The k most probable next words after `context` (bos never), best first. */
  topNext(context: string | readonly string[] | ArrayLike<number>, k = 10): NextWord[] {
    const fn = `${this.kind}.topNext`;
    const { vocab } = this.needVocab(fn);
    intIn(fn, 'k', k, 1);
    const p = this.nextWordProbs(context);
    const order = [...p.keys()]
      .filter((i) => i !== this.config.bos)
      .sort((a, b) => p[b]! - p[a]! || a - b)
      .slice(0, k);
    return order.map((id) => ({ word: vocab[id]!, id, prob: p[id]! }));
  }

  /**
   * Sample `length` words after `prompt` (words, text or ids), seeded (Philox): each word is
   * drawn from the next-word distribution at `temperature` (among the `topK` most probable
   * when > 0), never `bos`, `unk` only with `allowUnk`, and is then the context of the next.
   */
  generate(prompt: string | readonly string[] | ArrayLike<number>, options: GenerateOptions = {}): string[] {
    const fn = `${this.kind}.generate`;
    const { vocab } = this.needVocab(fn);
    const length = intIn(fn, 'options.length', options.length ?? 20, 0);
    const topK = intIn(fn, 'options.topK', options.topK ?? 0, 0);
    const seed = intIn(fn, 'options.seed', options.seed ?? 0, 0);
    const allowUnk = bool(fn, 'options.allowUnk', options.allowUnk ?? false);
    const temperature = checkTemperature(fn, options.temperature ?? 1);
    const ctx = this.contextIds(fn, prompt);
    const rng = new Philox(seed, SAMPLE_STREAM, 0);
    const out: string[] = [];
    if (length === 0) return out;
    return this.continuation(ctx, temperature, (next) => {
      let p = next();
      for (let t = 0; t < length; t++) {
        p[this.config.bos] = 0;
        if (!allowUnk) p[this.config.unk] = 0;
        const pick = sample(p, topK, rng);
        out.push(vocab[pick]!);
        if (t + 1 < length) p = next(pick);
      }
      return out;
    });
  }

  /** The config as checkpoints record it. */
  configJson(): string {
    return JSON.stringify(this.config);
  }

  /** Weights as safetensors bytes, with the class, config and vocabulary (when set) in the metadata. */
  toSafetensors(): Uint8Array {
    const meta: Record<string, string> = { format: 'pt', [MODEL_KEY]: this.kind, [CONFIG_KEY]: this.configJson() };
    if (this.words !== null) meta[VOCAB_KEY] = JSON.stringify(this.words.vocab);
    return encodeSafetensors(this.stateDict(), meta);
  }
}

/**
 * A model of class `kind` from `toSafetensors` bytes (in eval mode): the saved config through
 * `resolve` and the vocabulary are checked before `make` allocates the weights.
 */
export function loadWordLM<C extends { vocabSize: number }, M extends WordLM>(
  fn: string,
  bytes: Uint8Array,
  kind: string,
  resolve: (config: Record<string, unknown>) => C,
  make: (config: C, vocab: string[] | undefined) => M,
): M {
  return loadSaved(fn, bytes, kind, (config, metadata) => {
    const v = metadata[VOCAB_KEY];
    let vocab: string[] | undefined;
    try {
      vocab = v === undefined ? undefined : (JSON.parse(v) as string[]);
    } catch {
      throw new FormatError(
        `${fn}: bytes at offset 8 must be a header whose "${VOCAB_KEY}" is JSON, got ${JSON.stringify(v)}`,
      );
    }
    const c = resolve(config);
    const r = vocab === undefined ? null : checkVocab(vocab, c.vocabSize);
    if (r !== null && !(r instanceof Map))
      throw new FormatError(
        `${fn}: bytes at offset 8 must be a header whose "${VOCAB_KEY}" is the model's vocabulary: vocab${r.must}, got ${r.got}`,
      );
    return make(c, vocab);
  });
}
