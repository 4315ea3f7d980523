/**
 * BERT's configuration: Hugging Face's `config.json` fields in camelCase,
 * validated with defaults (bertConfig), written back (bertConfigJson), and the
 * inputs every BERT forward takes.
 */
import { checkInt, checkNumber, describe } from '../../core/check.js';
import { ArgumentError } from '../../core/errors.js';
import { WASM32_MAX_BYTES } from '../../core/memory.js';
import type { Tensor } from '../../core/tensor.js';

/** A BERT configuration (camelCase of Hugging Face's BertConfig fields). */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** 'gelu' (erf, Hugging Face's 'gelu') or 'gelu_tanh' (its 'gelu_new' / 'gelu_pytorch_tanh'). */
  hiddenAct: 'gelu' | 'gelu_tanh';
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  initializerRange: number;
  /** Classes of the classification heads; default 2 (Hugging Face's num_labels, or the size of id2label). */
  numLabels: number;
  /** Dropout before the classification heads; default hiddenDropoutProb (classifier_dropout). */
  classifierDropout: number;
  /** Class names by index, from id2label (may be empty). */
  id2label: Record<number, string>;
}

/** What the constructors take: a resolved or partial BertConfig (camelCase), or a Hugging Face config.json object or its text. */
export type BertConfigInput = Partial<BertConfig> | Record<string, unknown> | string;

/** Hugging Face's BertConfig defaults (bert-base). */
const DEFAULTS: BertConfig = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  initializerRange: 0.02,
  numLabels: 2,
  classifierDropout: 0.1,
  id2label: {},
};

/** Hugging Face key → our key, for the fields we read. */
const HF_KEYS: Record<string, keyof BertConfig> = {
  vocab_size: 'vocabSize',
  hidden_size: 'hiddenSize',
  num_hidden_layers: 'numHiddenLayers',
  num_attention_heads: 'numAttentionHeads',
  intermediate_size: 'intermediateSize',
  hidden_act: 'hiddenAct',
  hidden_dropout_prob: 'hiddenDropoutProb',
  attention_probs_dropout_prob: 'attentionProbsDropoutProb',
  max_position_embeddings: 'maxPositionEmbeddings',
  type_vocab_size: 'typeVocabSize',
  layer_norm_eps: 'layerNormEps',
  pad_token_id: 'padTokenId',
  initializer_range: 'initializerRange',
  num_labels: 'numLabels',
  classifier_dropout: 'classifierDropout',
  id2label: 'id2label',
};

/** Dropout probabilities: in [0, 1). */
const inRate = (x: number): boolean => x >= 0 && x < 1;
/** initializer_range (the std of the normal init): in (0, 1]; Hugging Face's default is 0.02. */
const inInitRange = (x: number): boolean => x > 0 && x <= 1;
/** layer_norm_eps: in (0, 1); Hugging Face's default is 1e-12. */
const inEps = (x: number): boolean => x > 0 && x < 1;

/**
 * float32 parameters of a BertModel with its pooler and the larger of its heads (masked-LM:
 * transform, LayerNorm and decoder bias, the decoder weight tied; classification: numLabels × H),
 * as a float (no overflow for absurd sizes).
 */
function parameterCount(c: {
  V: number;
  H: number;
  L: number;
  I: number;
  P: number;
  T: number;
  labels: number;
}): number {
  const { V, H, L, I, P, T } = c;
  const embeddings = (V + P + T) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  const pooler = H * H + H;
  const head = Math.max(H * H + H + 2 * H + V, c.labels * H + c.labels);
  return embeddings + L * layer + pooler + head;
}

const ACTIVATIONS: Record<string, 'gelu' | 'gelu_tanh'> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_tanh: 'gelu_tanh',
};

/**
 * A checked BertConfig from a Hugging Face config.json (object or text, snake_case
 * keys; unknown keys such as `architectures` are ignored) or from a partial
 * camelCase BertConfig; missing fields take Hugging Face's defaults (bert-base).
 * ArgumentError on a field out of range and on what this implementation does not
 * do: `position_embedding_type` other than 'absolute', `hidden_act` other than
 * gelu / gelu_new / gelu_pytorch_tanh, `is_decoder` or `add_cross_attention` true,
 * `model_type` other than 'bert'.
 */
export function bertConfig(input: BertConfigInput, fn = 'bertConfig'): BertConfig {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      throw new ArgumentError(
        `${fn}: config must be a JSON object, got text that does not parse (${(e as Error).message})`,
      );
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw new ArgumentError(`${fn}: config must be an object, got ${describe(obj)}`);
  const o = obj as Record<string, unknown>;
  const raw: Partial<Record<keyof BertConfig, unknown>> = {};
  const hf = Object.keys(o).some((k) => k.includes('_'));
  const name = (k: keyof BertConfig): string => (hf ? Object.keys(HF_KEYS).find((h) => HF_KEYS[h] === k)! : k);
  if (hf) {
    if (o.model_type !== undefined && o.model_type !== 'bert')
      throw new ArgumentError(`${fn}: config.model_type must be 'bert', got ${JSON.stringify(o.model_type)}`);
    const pet = o.position_embedding_type;
    if (pet !== undefined && pet !== 'absolute')
      throw new ArgumentError(`${fn}: config.position_embedding_type must be 'absolute', got ${JSON.stringify(pet)}`);
    if (o.is_decoder === true)
      throw new ArgumentError(`${fn}: config.is_decoder must be false (encoder only), got true`);
    if (o.add_cross_attention === true)
      throw new ArgumentError(`${fn}: config.add_cross_attention must be false, got true`);
    for (const [h, k] of Object.entries(HF_KEYS)) if (o[h] !== undefined && o[h] !== null) raw[k] = o[h];
  } else {
    for (const k of Object.keys(o)) {
      if (!(k in DEFAULTS))
        throw new ArgumentError(
          `${fn}: config must have only BertConfig keys (${Object.keys(DEFAULTS).join(', ')}) or Hugging Face config.json keys, got '${k}'`,
        );
      if (o[k] !== undefined) raw[k as keyof BertConfig] = o[k];
    }
  }
  const labels = raw.id2label;
  if (raw.numLabels === undefined && labels !== null && typeof labels === 'object' && Object.keys(labels).length > 0)
    raw.numLabels = Object.keys(labels).length;
  const get = <K extends keyof BertConfig>(k: K): unknown => (raw[k] === undefined ? DEFAULTS[k] : raw[k]);
  const act = get('hiddenAct');
  const hiddenAct = typeof act === 'string' ? ACTIVATIONS[act] : undefined;
  if (hiddenAct === undefined)
    throw new ArgumentError(
      `${fn}: config.${name('hiddenAct')} must be 'gelu', 'gelu_new' or 'gelu_pytorch_tanh', got ${JSON.stringify(act)}`,
    );
  const hiddenSize = checkInt(fn, `config.${name('hiddenSize')}`, get('hiddenSize'), 1);
  const heads = checkInt(fn, `config.${name('numAttentionHeads')}`, get('numAttentionHeads'), 1);
  if (hiddenSize % heads !== 0)
    throw new ArgumentError(
      `${fn}: config.${name('hiddenSize')} must be a multiple of ${name('numAttentionHeads')} (${heads}), got ${hiddenSize}`,
    );
  const vocabSize = checkInt(fn, `config.${name('vocabSize')}`, get('vocabSize'), 1);
  const padTokenId = checkInt(fn, `config.${name('padTokenId')}`, get('padTokenId'), 0);
  if (padTokenId >= vocabSize)
    throw new ArgumentError(
      `${fn}: config.${name('padTokenId')} must be below ${name('vocabSize')} (${vocabSize}), got ${padTokenId}`,
    );
  const hiddenDropoutProb = checkNumber(
    fn,
    `config.${name('hiddenDropoutProb')}`,
    get('hiddenDropoutProb'),
    inRate,
    'a number in [0, 1)',
  );
  const id2 = get('id2label');
  if (id2 === null || typeof id2 !== 'object' || Array.isArray(id2))
    throw new ArgumentError(
      `${fn}: config.${name('id2label')} must be an object of index → name, got ${JSON.stringify(id2)}`,
    );
  const numHiddenLayers = checkInt(fn, `config.${name('numHiddenLayers')}`, get('numHiddenLayers'), 0);
  const intermediateSize = checkInt(fn, `config.${name('intermediateSize')}`, get('intermediateSize'), 1);
  const maxPositionEmbeddings = checkInt(
    fn,
    `config.${name('maxPositionEmbeddings')}`,
    get('maxPositionEmbeddings'),
    1,
  );
  const typeVocabSize = checkInt(fn, `config.${name('typeVocabSize')}`, get('typeVocabSize'), 1);
  const numLabels = checkInt(fn, `config.${name('numLabels')}`, get('numLabels'), 1);
  // Every weight lives in one Wasm32 memory: the float32 parameters alone must fit in its 4 GiB.
  const params = parameterCount({
    V: vocabSize,
    H: hiddenSize,
    L: numHiddenLayers,
    I: intermediateSize,
    P: maxPositionEmbeddings,
    T: typeVocabSize,
    labels: numLabels,
  });
  if (!(params * 4 <= WASM32_MAX_BYTES)) {
    const sizes = (
      [
        'vocabSize',
        'hiddenSize',
        'numHiddenLayers',
        'intermediateSize',
        'maxPositionEmbeddings',
        'typeVocabSize',
        'numLabels',
      ] as const
    )
      .map((k) => `${name(k)} ${String(get(k))}`)
      .join(', ');
    throw new ArgumentError(
      `${fn}: config must describe at most ${WASM32_MAX_BYTES / 4} float32 parameters (the 4 GiB Wasm32 memory), got ${params} (${sizes})`,
    );
  }
  const id2label: Record<number, string> = {};
  for (const [k, v] of Object.entries(id2 as Record<string, unknown>)) {
    const i = Number(k);
    if (!(Number.isInteger(i) && i >= 0 && i < numLabels && String(i) === k))
      throw new ArgumentError(
        `${fn}: config.${name('id2label')} keys must be label indices in [0, ${numLabels}) (${name('numLabels')}), got ${JSON.stringify(k)}`,
      );
    if (typeof v !== 'string')
      throw new ArgumentError(`${fn}: config.${name('id2label')}[${k}] must be a string, got ${describe(v)}`);
    id2label[i] = v;
  }
  return {
    vocabSize,
    hiddenSize,
    numHiddenLayers,
    numAttentionHeads: heads,
    intermediateSize,
    hiddenAct,
    hiddenDropoutProb,
    attentionProbsDropoutProb: checkNumber(
      fn,
      `config.${name('attentionProbsDropoutProb')}`,
      get('attentionProbsDropoutProb'),
      inRate,
      'a number in [0, 1)',
    ),
    maxPositionEmbeddings,
    typeVocabSize,
    layerNormEps: checkNumber(
      fn,
      `config.${name('layerNormEps')}`,
      get('layerNormEps'),
      inEps,
      'a finite number > 0 and < 1',
    ),
    padTokenId,
    initializerRange: checkNumber(
      fn,
      `config.${name('initializerRange')}`,
      get('initializerRange'),
      inInitRange,
      'a finite number > 0 and <= 1',
    ),
    numLabels,
    classifierDropout: checkNumber(
      fn,
      `config.${name('classifierDropout')}`,
      raw.classifierDropout ?? hiddenDropoutProb,
      inRate,
      'a number in [0, 1)',
    ),
    id2label,
  };
}

/**
 * A Hugging Face `config.json` (text) of a config: snake_case keys, `model_type`
 * 'bert', `architectures` when given, `hidden_act` 'gelu' or 'gelu_new'.
 * bertConfig() of the result gives the same config back.
 */
export function bertConfigJson(config: BertConfigInput, architecture?: string): string {
  const c = bertConfig(config, 'bertConfigJson');
  const out: Record<string, unknown> = {};
  if (architecture !== undefined) out.architectures = [architecture];
  out.model_type = 'bert';
  const labelled = Object.keys(c.id2label).length > 0;
  for (const [h, k] of Object.entries(HF_KEYS)) {
    // an empty id2label is left out: Hugging Face would read num_labels 0 from it
    if (k === 'id2label' && !labelled) continue;
    const v = c[k];
    out[h] =
      k === 'hiddenAct'
        ? v === 'gelu'
          ? 'gelu'
          : 'gelu_new'
        : k === 'id2label'
          ? Object.fromEntries(Object.entries(v as Record<number, string>))
          : v;
  }
  if (Object.keys(c.id2label).length > 0)
    out.label2id = Object.fromEntries(Object.entries(c.id2label).map(([i, l]) => [l, Number(i)]));
  return JSON.stringify(out, null, 2) + '\n';
}

/** The inputs of every BERT forward: int32 Tensors [B, S], the caller's, alive until backward(). */
export interface BertInputs {
  /** Token ids in [0, vocabSize). */
  inputIds: Tensor;
  /** Segment ids in [0, typeVocabSize); default all 0. */
  tokenTypeIds?: Tensor;
  /** 1 for real tokens, 0 for padding (int32 or float32); default all 1. */
  attentionMask?: Tensor;
}
