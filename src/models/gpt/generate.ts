/**
 * Text generation over a causal language model, with the names and semantics of
 * Hugging Face's GenerationConfig (camelCase): greedy search or sampling, the
 * logits processors in Hugging Face's order (repetition penalty, n-gram blocking,
 * the minimum length, then, when sampling, temperature, top-k and top-p) and stop
 * tokens. The model is anything implementing `CausalLM`: it hands out sessions that
 * are fed ids and return the logits of the next token (with or without a KV
 * cache). `generate` returns the new ids at once; `stream` yields them one by one
 * and gives the host a macrotask between tokens. Sampling draws from Philox, so a
 * seed replays a generation exactly. See docs/gpt.md "Generation".
 */
import { checkBool, checkFinite, checkInt, checkOptions, checkNumber, describe } from '../../core/check.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { Philox } from '../../core/rng.js';
import { HostYield, checkAbortSignal } from '../../train/abort.js';

/** One generation's state inside a model: what was fed so far (a KV cache, or the ids). */
export interface CausalLMSession {
  /** Feeds ids (n >= 1, after what was fed so far) and returns the logits [vocabSize] of the token after the last one (a fresh Float32Array the caller owns). */
  feed(ids: Int32Array): Float32Array;
  /** Tokens fed so far. */
  readonly length: number;
  dispose(): void;
}

/** A causal language model over ids in [0, vocabSize): what `generate` and `stream` run. Sessions run in inference mode (no dropout, no gradients). */
export interface CausalLM {
  readonly vocabSize: number;
  /** Longest sequence the model takes (n_positions). */
  readonly maxLength: number;
  /** useCache false: each feed recomputes the whole prefix (the no-cache baseline); default true (KV cache). */
  startSession(options?: { useCache?: boolean }): CausalLMSession;
  /** True when sessions go on past maxLength (they slide their window, as GptLM's): then prompt + maxNewTokens is not bounded by it. */
  readonly slides?: boolean;
}

/** Options of `generate` and `stream`: Hugging Face's GenerationConfig names in camelCase, with its defaults unless said. */
export interface GenerationOptions {
  /** New tokens to generate at most; default 20. Prompt + maxNewTokens must be at most the model's maxLength. */
  maxNewTokens?: number;
  /** The stop tokens are banned (logit −∞) until this many new tokens exist; default 0. */
  minNewTokens?: number;
  /** Sample from the processed distribution; default false: greedy (argmax, ties to the lowest id). */
  doSample?: boolean;
  /** Sampling only: logits are divided by it (finite, > 0); default 1. */
  temperature?: number;
  /** Sampling only: keep the tokens whose logit is at least the k-th largest (ties at the k-th kept); default 50, 0 = off. */
  topK?: number;
  /** Sampling only, in [0, 1]: keep the smallest set of most probable tokens whose probability sums to at least topP (at least one); default 1 = off. */
  topP?: number;
  /** For each id already in prompt + generated: a logit > 0 is divided by it, any other multiplied (finite, > 0); default 1 = off. */
  repetitionPenalty?: number;
  /** Ban any token that would repeat an n-gram of this size already in prompt + generated; default 0 = off. */
  noRepeatNgramSize?: number;
  /** Stop token(s): generation ends after emitting one, which is included in the output; default none (null or []). */
  eosTokenId?: number | readonly number[] | null;
  /** Sampling seed (Philox); default 0. */
  seed?: number;
  /** Checked before each token: once aborted, generation ends and returns (or the stream ends with) the tokens so far. */
  signal?: AbortSignal;
  /** Use the model's KV cache; default true. false recomputes the whole prefix at each token (same tokens, slower). */
  useCache?: boolean;
  /** Token ids never generated (logit −∞), as Hugging Face's suppress_tokens; default none. */
  suppressTokens?: readonly number[];
}

/** The option keys of `GenerationOptions`. */
export const GENERATION_OPTION_KEYS = [
  'maxNewTokens',
  'minNewTokens',
  'doSample',
  'temperature',
  'topK',
  'topP',
  'repetitionPenalty',
  'noRepeatNgramSize',
  'eosTokenId',
  'seed',
  'signal',
  'useCache',
  'suppressTokens',
] as const;

/** A key of `GenerationOptions`. */
export type GenerationOptionKey = (typeof GENERATION_OPTION_KEYS)[number];

/** Checked generation options with their defaults filled in (internal: the pipeline resolves its own option names into it). */
export interface ResolvedGeneration {
  maxNewTokens: number;
  minNewTokens: number;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  /** Distinct stop ids. */
  eos: readonly number[];
  seed: number;
  signal: AbortSignal | undefined;
  useCache: boolean;
  /** Distinct ids never generated. */
  suppress: readonly number[];
}

/** Stream of the sampler ("gene"), as the word-level language models' `generate`. */
const SAMPLE_STREAM = 0x67656e65;

/**
 * Checks generation options (values only: the caller checks the keys) and fills the defaults.
 * `nameOf` gives the name errors use for a key (default `options.<key>`).
 */
export function resolveGenerationOptions(
  fn: string,
  o: Partial<Record<GenerationOptionKey, unknown>>,
  vocabSize: number,
  nameOf: (key: GenerationOptionKey) => string = (k) => `options.${k}`,
): ResolvedGeneration {
  const int = (k: GenerationOptionKey, dflt: number) => checkInt(fn, nameOf(k), o[k] ?? dflt, 0);
  const positive = (k: GenerationOptionKey) =>
    checkNumber(fn, nameOf(k), o[k] ?? 1, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  const flag = (k: GenerationOptionKey, dflt: boolean) => checkBool(fn, nameOf(k), o[k] ?? dflt);
  const e = o.eosTokenId ?? null;
  const list: unknown[] = e === null ? [] : Array.isArray(e) ? (e as unknown[]) : [e];
  if (e !== null && typeof e !== 'number' && !Array.isArray(e))
    throw new ArgumentError(
      `${fn}: ${nameOf('eosTokenId')} must be a token id, an array of them or null, got ${describe(e)}`,
    );
  const eos: number[] = [];
  list.forEach((id, i) => {
    const v = checkInt(
      fn,
      Array.isArray(e) ? `${nameOf('eosTokenId')}[${i}]` : nameOf('eosTokenId'),
      id,
      0,
      vocabSize - 1,
    );
    if (!eos.includes(v)) eos.push(v);
  });
  const sup = o.suppressTokens ?? [];
  if (!Array.isArray(sup))
    throw new ArgumentError(`${fn}: ${nameOf('suppressTokens')} must be an array of token ids, got ${describe(sup)}`);
  const suppress = [
    ...new Set(sup.map((id, i) => checkInt(fn, `${nameOf('suppressTokens')}[${i}]`, id, 0, vocabSize - 1))),
  ];
  return {
    suppress,
    maxNewTokens: int('maxNewTokens', 20),
    minNewTokens: int('minNewTokens', 0),
    doSample: flag('doSample', false),
    temperature: positive('temperature'),
    topK: int('topK', 50),
    topP: checkFinite(fn, nameOf('topP'), o.topP ?? 1, 0, 1, true),
    repetitionPenalty: positive('repetitionPenalty'),
    noRepeatNgramSize: int('noRepeatNgramSize', 0),
    eos,
    seed: checkInt(fn, nameOf('seed'), o.seed ?? 0, 0, Number.MAX_SAFE_INTEGER),
    signal: checkAbortSignal(fn, nameOf('signal'), o.signal),
    useCache: flag('useCache', true),
  };
}

/** Checks that `model` implements CausalLM (duck-typed); returns its vocabSize and maxLength. */
export function checkCausalLM(fn: string, model: unknown): { vocabSize: number; maxLength: number; slides: boolean } {
  const m = model as Partial<CausalLM> | null;
  if (m === null || typeof m !== 'object' || typeof m.startSession !== 'function')
    throw new ArgumentError(
      `${fn}: model must be a CausalLM (with startSession, vocabSize, maxLength), got ${describe(model)}`,
    );
  return {
    vocabSize: checkInt(fn, 'model.vocabSize', m.vocabSize, 1),
    maxLength: checkInt(fn, 'model.maxLength', m.maxLength, 1),
    slides: m.slides === true,
  };
}

/** The prompt as an Int32Array of ids in [0, vocabSize), at least one. */
function checkPrompt(fn: string, prompt: unknown, vocabSize: number): Int32Array {
  if (!(prompt instanceof Int32Array) && !Array.isArray(prompt))
    throw new ArgumentError(`${fn}: prompt must be an Int32Array or an array of token ids, got ${describe(prompt)}`);
  const src = prompt as ArrayLike<unknown>;
  if (src.length === 0) throw new ArgumentError(`${fn}: prompt must hold at least one token id, got none`);
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= vocabSize)
      throw new ArgumentError(`${fn}: prompt[${i}] must be a token id in [0, ${vocabSize}), got ${describe(x)}`);
  }
  return Int32Array.from(src as ArrayLike<number>);
}

// ---------------------------------------------------------------------------
// logits processors (in place on float64 scores; exported for the tests)
// ---------------------------------------------------------------------------

/** Hugging Face's RepetitionPenaltyLogitsProcessor, in place: for each distinct id of `ids`, a score > 0 is divided by `penalty`, any other multiplied by it. */
export function applyRepetitionPenalty(scores: Float64Array, ids: ArrayLike<number>, penalty: number): void {
  if (penalty === 1) return;
  const seen = new Uint8Array(scores.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (seen[id] === 1) continue;
    seen[id] = 1;
    const s = scores[id]!;
    scores[id] = s > 0 ? s / penalty : s * penalty;
  }
}

/**
 * Hugging Face's NoRepeatNGramLogitsProcessor, in place: with `ids` the sequence so far,
 * every token that followed an earlier occurrence of its last n − 1 ids gets −∞ (n = 1:
 * every id already present), so no n-gram occurs twice. Nothing while the sequence is shorter than n − 1.
 */
export function banRepeatedNgrams(scores: Float64Array, ids: ArrayLike<number>, n: number): void {
  const len = ids.length;
  if (n <= 0 || len + 1 < n) return;
  const tail = len - (n - 1);
  for (let i = 0; i + n <= len; i++) {
    let same = true;
    for (let j = 0; j < n - 1 && same; j++) same = ids[i + j] === ids[tail + j];
    if (same) scores[ids[i + n - 1]!] = -Infinity;
  }
}

/** Hugging Face's TemperatureLogitsWarper, in place: scores / t. */
export function applyTemperature(scores: Float64Array, t: number): void {
  if (t === 1) return;
  for (let i = 0; i < scores.length; i++) scores[i]! /= t;
}

/** The k-th largest score (1 <= k <= length). */
function kthLargest(scores: Float64Array, k: number): number {
  if (k * 8 >= scores.length) {
    const sorted = Float64Array.from(scores).sort();
    return sorted[scores.length - k]!;
  }
  // the k best so far, ascending: best[0] is the smallest of them
  const best = new Float64Array(k).fill(-Infinity);
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (!(v > best[0]!)) continue;
    let j = 0;
    while (j + 1 < k && best[j + 1]! < v) {
      best[j] = best[j + 1]!;
      j++;
    }
    best[j] = v;
  }
  return best[0]!;
}

/** Hugging Face's TopKLogitsWarper, in place: scores below the k-th largest get −∞ (ties with it stay); k = 0 or k >= length: nothing. */
export function topKFilter(scores: Float64Array, k: number): void {
  if (k <= 0 || k >= scores.length) return;
  const t = kthLargest(scores, k);
  for (let i = 0; i < scores.length; i++) if (scores[i]! < t) scores[i] = -Infinity;
}

/**
 * Hugging Face's TopPLogitsWarper, in place: over the tokens sorted by score ascending (ties:
 * the higher id first), those whose cumulative softmax probability is at most 1 − p get −∞;
 * the most probable always stays. So the kept set is the smallest run of most probable
 * tokens whose probability sums to at least p (up to rounding). p >= 1: nothing.
 */
export function topPFilter(scores: Float64Array, p: number): void {
  if (p >= 1) return;
  // the finite scores ascending (a native numeric sort); ids are found again by value below
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > -Infinity) n++;
  if (n <= 1) return;
  const sorted = new Float64Array(n);
  for (let i = 0, j = 0; i < scores.length; i++) if (scores[i]! > -Infinity) sorted[j++] = scores[i]!;
  sorted.sort();
  const m = sorted[n - 1]!;
  let total = 0;
  for (let r = 0; r < n; r++) total += Math.exp(sorted[r]! - m);
  // r: the first position kept (cumulative probability > 1 - p), at most the last
  let cum = 0;
  let r = 0;
  for (; r < n - 1; r++) {
    cum += Math.exp(sorted[r]! - m) / total;
    if (cum > 1 - p) break;
  }
  const t = sorted[r]!;
  let first = r;
  while (first > 0 && sorted[first - 1] === t) first--;
  // below t: removed; at t: the r − first that come first (the highest ids) removed
  let drop = r - first;
  for (let i = scores.length - 1; i >= 0; i--) {
    const v = scores[i]!;
    if (v < t) scores[i] = -Infinity;
    else if (v === t && drop > 0) {
      scores[i] = -Infinity;
      drop--;
    }
  }
}

/** The index of the largest score, ties to the lowest (torch.argmax). All −∞: 0. */
export function argmax(scores: Float64Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

/**
 * The id drawn from softmax(scores) with the uniform `u` in [0, 1): the first id whose
 * cumulative probability (ids ascending) exceeds u. Ids at −∞ are never drawn; all at −∞: argmax.
 */
export function sampleIndex(scores: Float64Array, u: number): number {
  let m = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > m) m = scores[i]!;
  if (m === -Infinity) return argmax(scores);
  const w = new Float64Array(scores.length);
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += w[i] = Math.exp(scores[i]! - m);
  let left = u * total;
  let last = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    left -= w[i]!;
    last = i;
    if (left < 0) return i;
  }
  return last;
}

/** A uniform in [0, 1) with 53 bits from two words of `rng`. */
function uniform53(rng: Philox): number {
  const hi = rng.nextU32() >>> 5;
  const lo = rng.nextU32() >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

/**
 * The next id from the model's logits: the processors in Hugging Face's order over a
 * float64 copy, then argmax (greedy) or one draw from `rng` (sampling). `ids` is the
 * sequence so far (prompt + generated) and `generated` how many of them are new.
 */
export function nextToken(
  logits: Float32Array,
  ids: ArrayLike<number>,
  generated: number,
  o: ResolvedGeneration,
  rng: Philox,
): number {
  const s = new Float64Array(logits);
  applyRepetitionPenalty(s, ids, o.repetitionPenalty);
  banRepeatedNgrams(s, ids, o.noRepeatNgramSize);
  for (const id of o.suppress) s[id] = -Infinity;
  if (generated < o.minNewTokens) for (const id of o.eos) s[id] = -Infinity;
  if (!o.doSample) return argmax(s);
  applyTemperature(s, o.temperature);
  topKFilter(s, o.topK);
  topPFilter(s, o.topP);
  return sampleIndex(s, uniform53(rng));
}

// ---------------------------------------------------------------------------
// generate and stream
// ---------------------------------------------------------------------------

/**
 * One generation: a session started at the first `next()`, the ids so far and the sampler.
 * `next()` feeds the previous token (the prompt the first time) and returns the next new id,
 * or −1 once generation is over (maxNewTokens reached, a stop token emitted, the signal
 * aborted). `dispose()` frees the session (idempotent).
 */
export class GenerationRun {
  private session: CausalLMSession | null = null;
  private readonly ids: number[];
  private readonly rng: Philox;
  private produced = 0;
  private done = false;

  /** Checks the model and the prompt (options already resolved; errors call maxNewTokens `maxNewTokensName`); nothing is fed yet. */
  constructor(
    private readonly fn: string,
    private readonly model: CausalLM,
    prompt: unknown,
    private readonly o: ResolvedGeneration,
    maxNewTokensName = 'maxNewTokens',
  ) {
    const { vocabSize, maxLength, slides } = checkCausalLM(fn, model);
    const p = checkPrompt(fn, prompt, vocabSize);
    if (!slides && p.length + o.maxNewTokens > maxLength) {
      const hints: string[] = [];
      if (p.length < maxLength) hints.push(`lower ${maxNewTokensName} to at most ${maxLength - p.length}`);
      if (o.maxNewTokens < maxLength) hints.push(`keep the last ${maxLength - o.maxNewTokens} ids of the prompt`);
      if (hints.length === 0) hints.push(`lower ${maxNewTokensName} below ${maxLength} and truncate the prompt`);
      throw new ArgumentError(
        `${fn}: prompt length + ${maxNewTokensName} must be at most the model's maxLength ${maxLength}, got ${p.length} + ${o.maxNewTokens}. Hint: ${hints.join(' or ')}`,
      );
    }
    this.ids = Array.from(p);
    this.rng = new Philox(o.seed, SAMPLE_STREAM, 0);
  }

  /** The next new id, or −1 when generation is over. */
  next(): number {
    if (this.done) return -1;
    if (this.produced >= this.o.maxNewTokens || (this.o.signal !== undefined && this.o.signal.aborted)) {
      this.dispose();
      return -1;
    }
    const logits = this.feed();
    const id = nextToken(logits, this.ids, this.produced, this.o, this.rng);
    this.ids.push(id);
    this.produced++;
    if (this.o.eos.includes(id)) this.dispose();
    return id;
  }

  /** Frees the session (idempotent). */
  dispose(): void {
    this.done = true;
    const s = this.session;
    this.session = null;
    s?.dispose();
  }

  /** The logits after the prompt (first call) or after the last new id. */
  private feed(): Float32Array {
    const V = this.model.vocabSize;
    let logits: unknown;
    if (this.session === null) {
      this.session = this.model.startSession({ useCache: this.o.useCache });
      logits = this.session.feed(Int32Array.from(this.ids));
    } else logits = this.session.feed(Int32Array.of(this.ids[this.ids.length - 1]!));
    if (!(logits instanceof Float32Array) || logits.length !== V)
      throw new ShapeError(
        `${this.fn}: the logits of model's session.feed must be a Float32Array of ${V} (vocabSize), got ${describe(logits)}`,
      );
    return logits;
  }
}

/** `options` of `fn`: undefined gives {}; only the GenerationOptions keys. */
function generationOptions(fn: string, options: unknown): Partial<Record<GenerationOptionKey, unknown>> {
  return options === undefined ? {} : checkOptions(fn, 'options', options, GENERATION_OPTION_KEYS);
}

/**
 * Generates up to `maxNewTokens` ids after `prompt` (ids in [0, vocabSize), at least one)
 * and returns the new ids only, a stop token included when one ended generation. Greedy
 * unless `doSample`; see `GenerationOptions`. Synchronous: `signal` is checked before each
 * token (use `stream` to let a page, or a timer, abort mid-way). Throws ArgumentError for a
 * bad option (named), a bad prompt, or prompt + maxNewTokens longer than `model.maxLength`.
 */
export function generate(
  model: CausalLM,
  prompt: Int32Array | readonly number[],
  options?: GenerationOptions,
): Int32Array {
  const fn = 'generate';
  const o = generationOptions(fn, options);
  const run = new GenerationRun(fn, model, prompt, resolveGenerationOptions(fn, o, checkCausalLM(fn, model).vocabSize));
  const out: number[] = [];
  try {
    for (let id = run.next(); id >= 0; id = run.next()) out.push(id);
  } finally {
    run.dispose();
  }
  return Int32Array.from(out);
}

/**
 * Yields the ids of a `run` as they are produced, with a macrotask to the host between
 * tokens (so a page repaints and `signal` can abort); the session is freed when the
 * generation ends, on `return()` (a `break` out of `for await`) and on a throw.
 */
export async function* streamRun(run: GenerationRun): AsyncGenerator<number, void, undefined> {
  const host = new HostYield(0);
  try {
    for (let first = true; ; first = false) {
      if (!first) await host.now();
      const id = run.next();
      if (id < 0) return;
      yield id;
    }
  } finally {
    run.dispose();
    host.close();
  }
}

/**
 * `generate` as an async iterator: yields each new id as soon as it is produced, yielding
 * a macrotask to the host between tokens; the same ids as `generate` with the same options.
 * Options and prompt are checked at the call (a typed error is thrown before any iteration).
 * Once `signal` aborts, the stream ends after the tokens so far. The model's session is
 * started at the first `next()` and freed when the stream ends, on `break` (return()) and
 * on a throw.
 */
export function stream(
  model: CausalLM,
  prompt: Int32Array | readonly number[],
  options?: GenerationOptions,
): AsyncGenerator<number, void, undefined> {
  const fn = 'stream';
  const o = generationOptions(fn, options);
  return streamRun(
    new GenerationRun(fn, model, prompt, resolveGenerationOptions(fn, o, checkCausalLM(fn, model).vocabSize)),
  );
}
