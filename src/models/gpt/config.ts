/**
 * GPT-2's configuration: Hugging Face's `config.json` fields (GPT2Config) in
 * camelCase, validated with defaults (gpt2Config) and written back
 * (gpt2ConfigJson). One extension: `positionEmbeddingType: 'rotary'` replaces the
 * learned position table (`wpe`) by rotary positions in every attention.
 */
import { checkInt, checkNumber, describe } from '../../core/check.js';
import { ArgumentError } from '../../core/errors.js';

/** A GPT-2 configuration (camelCase of Hugging Face's GPT2Config fields). */
export interface GPT2Config {
  vocabSize: number;
  /** Longest sequence (the learned position table's rows; with rotary positions, the longest sequence allowed). */
  nPositions: number;
  /** Width D. */
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Feed-forward width; default 4 D (Hugging Face's n_inner: null). */
  nInner: number;
  /** 'gelu_new' (tanh form, GPT-2's), 'gelu_pytorch_tanh' (the same), 'gelu' (erf) or 'relu'. */
  activationFunction: 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu' | 'relu';
  /** Dropout after the attention and MLP projections. */
  residPdrop: number;
  /** Dropout after the embeddings. */
  embdPdrop: number;
  /** Dropout on the attention probabilities. */
  attnPdrop: number;
  layerNormEpsilon: number;
  /** std of the normal initialisation; the residual projections (`c_proj`) use it / sqrt(2 nLayer), as GPT-2. */
  initializerRange: number;
  bosTokenId: number;
  eosTokenId: number;
  /** 'absolute' (GPT-2: the learned table `wpe`) or 'rotary' (no `wpe`; rotary q/k in every attention). */
  positionEmbeddingType: 'absolute' | 'rotary';
}

/** What the constructors take: a resolved or partial GPT2Config (camelCase), or a Hugging Face config.json object or its text. */
export type GPT2ConfigInput = Partial<GPT2Config> | Record<string, unknown> | string;

/** Hugging Face's GPT2Config defaults (gpt2, the 124M model). */
const DEFAULTS: Omit<GPT2Config, 'nInner'> & { nInner: number | null } = {
  vocabSize: 50257,
  nPositions: 1024,
  nEmbd: 768,
  nLayer: 12,
  nHead: 12,
  nInner: null,
  activationFunction: 'gelu_new',
  residPdrop: 0.1,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  layerNormEpsilon: 1e-5,
  initializerRange: 0.02,
  bosTokenId: 50256,
  eosTokenId: 50256,
  positionEmbeddingType: 'absolute',
};

/** Hugging Face key → our key, for the fields we read. */
const HF_KEYS: Record<string, keyof GPT2Config> = {
  vocab_size: 'vocabSize',
  n_positions: 'nPositions',
  n_embd: 'nEmbd',
  n_layer: 'nLayer',
  n_head: 'nHead',
  n_inner: 'nInner',
  activation_function: 'activationFunction',
  resid_pdrop: 'residPdrop',
  embd_pdrop: 'embdPdrop',
  attn_pdrop: 'attnPdrop',
  layer_norm_epsilon: 'layerNormEpsilon',
  initializer_range: 'initializerRange',
  bos_token_id: 'bosTokenId',
  eos_token_id: 'eosTokenId',
  position_embedding_type: 'positionEmbeddingType',
};

const ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu', 'relu'] as const;
const inRate = (x: number): boolean => x >= 0 && x < 1;

/**
 * A checked GPT2Config from camelCase fields or a Hugging Face config.json
 * (object or text; snake_case keys, `model_type` 'gpt2' when present). Missing
 * fields take GPT2Config's defaults; `fn` names the caller in errors.
 */
export function gpt2Config(input: GPT2ConfigInput = {}, fn = 'gpt2Config'): GPT2Config {
  let raw: unknown = input;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new ArgumentError(`${fn}: config must be a config object or its JSON text, got text that is not JSON`);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ArgumentError(`${fn}: config must be a config object or its JSON text, got ${describe(raw)}`);
  const src = raw as Record<string, unknown>;
  const mt = src.model_type;
  if (mt !== undefined && mt !== 'gpt2')
    throw new ArgumentError(`${fn}: config.model_type must be 'gpt2', got ${describe(mt)}`);
  const v: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(src)) {
    const key = HF_KEYS[k] ?? (k in DEFAULTS ? k : undefined);
    if (key !== undefined) v[key] = x;
  }
  const get = <K extends keyof GPT2Config>(k: K): unknown => (v[k] === undefined ? DEFAULTS[k] : v[k]);
  const pos = (k: keyof GPT2Config) => checkInt(fn, `config.${k}`, get(k), 1, 2 ** 31 - 1);
  const vocabSize = pos('vocabSize');
  const nPositions = pos('nPositions');
  const nEmbd = pos('nEmbd');
  const nLayer = checkInt(fn, 'config.nLayer', get('nLayer'), 0, 1024);
  const nHead = pos('nHead');
  if (nEmbd % nHead !== 0)
    throw new ArgumentError(`${fn}: config.nEmbd must be a multiple of config.nHead (${nHead}), got ${nEmbd}`);
  const inner = get('nInner');
  const nInner = inner === null ? 4 * nEmbd : checkInt(fn, 'config.nInner', inner, 1, 2 ** 31 - 1);
  const act = get('activationFunction');
  if (!ACTIVATIONS.includes(act as GPT2Config['activationFunction']))
    throw new ArgumentError(
      `${fn}: config.activationFunction must be one of ${ACTIVATIONS.join(', ')}, got ${describe(act)}`,
    );
  const rate = (k: keyof GPT2Config) => checkNumber(fn, `config.${k}`, get(k), inRate, 'a number in [0, 1)');
  const pet = get('positionEmbeddingType');
  if (pet !== 'absolute' && pet !== 'rotary')
    throw new ArgumentError(`${fn}: config.positionEmbeddingType must be 'absolute' or 'rotary', got ${describe(pet)}`);
  if (pet === 'rotary' && (nEmbd / nHead) % 2 !== 0)
    throw new ArgumentError(
      `${fn}: config.nEmbd / config.nHead must be even for rotary positions, got ${nEmbd / nHead}`,
    );
  const tokenId = (k: keyof GPT2Config) => checkInt(fn, `config.${k}`, get(k), 0, 2 ** 31 - 1);
  return {
    vocabSize,
    nPositions,
    nEmbd,
    nLayer,
    nHead,
    nInner,
    activationFunction: act as GPT2Config['activationFunction'],
    residPdrop: rate('residPdrop'),
    embdPdrop: rate('embdPdrop'),
    attnPdrop: rate('attnPdrop'),
    layerNormEpsilon: checkNumber(
      fn,
      'config.layerNormEpsilon',
      get('layerNormEpsilon'),
      (x) => x > 0 && x < 1,
      'a number in (0, 1)',
    ),
    initializerRange: checkNumber(
      fn,
      'config.initializerRange',
      get('initializerRange'),
      (x) => x > 0 && x <= 1,
      'a number in (0, 1]',
    ),
    bosTokenId: tokenId('bosTokenId'),
    eosTokenId: tokenId('eosTokenId'),
    positionEmbeddingType: pet,
  };
}

/** config.json text of a config (Hugging Face's snake_case keys, `model_type` 'gpt2', `architectures` [arch]). */
export function gpt2ConfigJson(c: GPT2Config, arch: string): string {
  const out: Record<string, unknown> = { architectures: [arch], model_type: 'gpt2' };
  for (const [hf, k] of Object.entries(HF_KEYS)) {
    if (k === 'positionEmbeddingType' && c.positionEmbeddingType === 'absolute') continue;
    out[hf] = k === 'nInner' && c.nInner === 4 * c.nEmbd ? null : c[k];
  }
  out.tie_word_embeddings = true;
  return JSON.stringify(out, null, 2) + '\n';
}
