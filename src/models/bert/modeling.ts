/**
 * BERT (Devlin et al. 2019) with Hugging Face's module tree and parameter
 * names, so `model.safetensors` of a Hugging Face BERT checkpoint loads by name:
 * BertModel (embeddings, post-norm encoder, pooler), BertForMaskedLM (MLM head,
 * decoder tied to the word embeddings), BertForSequenceClassification and
 * BertForTokenClassification. Config from a Hugging Face `config.json`. Runs in
 * every runtime (no node:*; see bert-node.ts for reading a directory).
 */
import { checkBytes, checkObject, describe } from '../../core/check.js';
import { ArgumentError, ShapeError, formatShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { Parameter } from '../../autograd/parameter.js';
import * as F from '../../autograd/functional.js';
import { tape, type Variable } from '../../autograd/tape.js';
import { decodeSafetensors, encodeSafetensors } from '../../io/safetensors.js';
import { WordPiece } from '../../text/wordpiece.js';
import {
  Dropout,
  Initializer,
  Module,
  building,
  initOutermost,
  type LoadStateDictResult,
  type StateDictValue,
} from '../../nn/module.js';
import { LayerNorm, Linear } from '../../nn/layers.js';
import { TransformerEmbeddings, TransformerEncoder } from '../../nn/transformer.js';
import type { FitOptions, FitResult } from '../../train/loop.js';
import { bertConfig, bertConfigJson, type BertConfig, type BertConfigInput, type BertInputs } from './config.js';
import {
  evaluateMaskedLM,
  evaluateSequenceClassifier,
  evaluateTokenClassifier,
  fitMaskedLM,
  fitSequenceClassifier,
  fitTokenClassifier,
  type MlmEvaluateOptions,
  type MlmEvaluation,
  type MlmExample,
  type MlmFitOptions,
  type SequenceLabelExample,
  type TokenLabelExample,
} from './training.js';

/** A BertModel forward's output: the last hidden state and the pooler output. */
export interface BertOutput {
  /** [B, S, H]. */
  lastHiddenState: Variable;
  /** tanh(pooler.dense(h[:, 0])) [B, H]; null for a BertModel built without its pooler (as inside BertForMaskedLM). */
  poolerOutput: Variable | null;
}

/** Options of the BertModel constructor: the pooler and the seed. */
export interface BertModelOptions {
  /** Build `pooler.dense`; default true (BertForMaskedLM builds its `bert` without, as Hugging Face). */
  addPoolingLayer?: boolean;
  /** Initialisation and dropout seed; default 0. */
  seed?: number;
}

/** Options of `fromPretrained`: the files' contents, read by the caller. */
export interface BertPretrainedFiles {
  /** config.json: its text or the parsed object. */
  config: BertConfigInput;
  /** model.safetensors bytes: a Uint8Array (a Node Buffer too) or an ArrayBuffer. */
  weights: Uint8Array | ArrayBuffer;
  /** vocab.txt text: the model's `tokenizer` becomes WordPiece.fromVocabTxt(vocab, { lowercase }). */
  vocab?: string;
  /** tokenizer.json (text or parsed), used when `vocab` is absent. */
  tokenizer?: string | object;
  /** Lower-casing of a tokenizer read from `vocab` (tokenizer_config.json's do_lower_case); default true. */
  lowercase?: boolean;
  /**
   * Refuse a checkpoint with missing or unexpected weights (StateDictError); default false:
   * as Hugging Face, weights the file lacks (a pooler, a new head) keep BERT's
   * initialisation, and both lists are in `model.loadingInfo`.
   */
  strict?: boolean;
}

/** The files of a Hugging Face model directory, as `toPretrained` gives them (and `fromPretrained` takes them back). */
export interface BertPretrainedOutput {
  'config.json': string;
  'model.safetensors': Uint8Array;
  /** Present when the model has a tokenizer. */
  'vocab.txt'?: string;
  /** do_lower_case of the tokenizer; present with vocab.txt. */
  'tokenizer_config.json'?: string;
}

/** `loadStateDict`'s result plus the checkpoint keys deliberately skipped (tied decoder copies, position_ids buffers, heads this class does not have). */
export interface BertLoadResult extends LoadStateDictResult {
  ignored: string[];
}

function expectIds(fn: string, name: string, t: unknown, shape?: readonly number[]): Tensor {
  if (!(t instanceof Tensor) || t.rank !== 2 || t.dtype !== 'int32') {
    throw new ArgumentError(`${fn}: ${name} must be an int32 Tensor [batch, seq], got ${describe(t)}`);
  }
  if (shape !== undefined && formatShape(t.shape) !== formatShape(shape))
    throw new ShapeError(
      `${fn}: ${name} must have shape ${formatShape(shape)} (as inputIds), got ${formatShape(t.shape)}`,
    );
  return t;
}

/**
 * BERT's initialisation (Hugging Face `_init_weights`) over a module tree:
 * LayerNorm weights 1 and biases 0, every other bias 0, every other weight
 * N(0, std²) from the name-keyed Philox stream of its dotted name, then the
 * padding row of the word embeddings zeroed.
 */
function bertInit(root: Module, seed: number, c: BertConfig): void {
  const init = new Initializer(seed);
  for (const [name, p] of root.namedParameters()) {
    if (name.endsWith('LayerNorm.weight')) init.fill(p, 1);
    else if (name.endsWith('bias')) init.fill(p, 0);
    else {
      init.normal(p, name, c.initializerRange);
      if (name.endsWith('word_embeddings.weight'))
        p.value.view().fill(0, c.padTokenId * c.hiddenSize, (c.padTokenId + 1) * c.hiddenSize);
    }
  }
}

/** Keys of old TF-converted checkpoints: LayerNorm.gamma / .beta. */
function renameKey(k: string): string {
  return k.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

const BASE_PREFIXES = ['embeddings.', 'encoder.', 'pooler.'];

function entriesOf(fn: string, dict: unknown): [string, StateDictValue][] {
  const d = checkObject<object>(fn, 'dict', dict, 'a record or [name, value] pairs');
  if (Symbol.iterator in d) return [...(d as Iterable<readonly [string, StateDictValue]>)].map(([k, v]) => [k, v]);
  return Object.entries(d as Record<string, StateDictValue>);
}

/**
 * Map Hugging Face checkpoint keys onto a module's names: `base` is the path of
 * the BertModel inside it ('' for BertModel itself, 'bert' for the heads). Keys
 * with or without the `bert.` prefix both land; the tied decoder copy
 * (`cls.predictions.decoder.weight`), `*.position_ids` buffers and keys of parts
 * this module lacks (pooler, other heads) are set aside as `ignored`.
 */
function mapCheckpoint(
  fn: string,
  m: Module,
  base: '' | 'bert',
  dict: unknown,
): { mapped: [string, StateDictValue][]; ignored: string[] } {
  const own = new Set(m.namedParameters().map(([n]) => n));
  const mapped = new Map<string, StateDictValue>();
  const ignored: string[] = [];
  let decoderBias: StateDictValue | undefined;
  for (const [k0, v] of entriesOf(fn, dict)) {
    let k = renameKey(k0);
    if (base === '' && k.startsWith('bert.')) k = k.slice(5);
    else if (base === 'bert' && BASE_PREFIXES.some((p) => k.startsWith(p))) k = `bert.${k}`;
    if (k.endsWith('position_ids') || k === 'cls.predictions.decoder.weight') {
      ignored.push(k0);
      continue;
    }
    if (k === 'cls.predictions.decoder.bias') {
      decoderBias = v;
      ignored.push(k0);
      continue;
    }
    // Parts of a checkpoint this class does not have: the pooler, other heads.
    const foreign =
      !own.has(k) &&
      (k.startsWith('cls.') ||
        k.startsWith('classifier.') ||
        k.startsWith('qa_outputs.') ||
        /^(bert\.)?pooler\./.test(k));
    if (foreign) {
      ignored.push(k0);
      continue;
    }
    mapped.set(k, v);
  }
  // Hugging Face ties decoder.bias to predictions.bias; a file may hold only one of them.
  if (decoderBias !== undefined && own.has('cls.predictions.bias') && !mapped.has('cls.predictions.bias'))
    mapped.set('cls.predictions.bias', decoderBias);
  return { mapped: [...mapped], ignored };
}

/**
 * What BertModel and its heads share: BERT's initialisation over the whole tree
 * (`resetParameters`) and the loading of Hugging Face checkpoints
 * (`loadStateDict` through mapCheckpoint, with the BertModel at `base`). `className`
 * (the class name) prefixes errors.
 */
abstract class BertModule extends Module {
  abstract readonly config: BertConfig;
  /** The model's tokenizer: set by fromPretrained when the files hold a vocabulary, or by the user; used by pipelines and saved by toPretrained. */
  tokenizer: WordPiece | null = null;
  /** What fromPretrained loaded: the weights the file lacked (left at BERT's initialisation), its unexpected and ignored keys; null otherwise. */
  loadingInfo: BertLoadResult | null = null;
  /** The seed of the last resetParameters (initialisation, dropout; the training loops' shuffling and masking); 0 for a loaded model. */
  seed = 0;
  /** The class name (written as `architectures` in config.json). */
  get kind(): string {
    return this.className;
  }

  protected constructor(
    private readonly className: string,
    private readonly base: '' | 'bert',
  ) {
    super();
  }

  /** Every parameter and dropout from `seed`, with BERT's initialisation (N(0, initializerRange) weights, zero biases, LayerNorm 1 / 0). */
  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    bertInit(this, seed, this.config);
    this.seed = seed;
    return this;
  }

  /**
   * Load Hugging Face weights by name (keys with or without `bert.`, old
   * LayerNorm gamma/beta names; a `{ shape, data }` record as decodeSafetensors'
   * `tensors`). position_ids buffers, the tied decoder copy and parts this class
   * lacks (other heads, the pooler) are returned as `ignored`. Strict by
   * default: StateDictError when a parameter is missing.
   */
  override loadStateDict(
    dict: Record<string, StateDictValue> | Iterable<readonly [string, StateDictValue]>,
    options: { strict?: boolean } = {},
  ): BertLoadResult {
    const { mapped, ignored } = mapCheckpoint(`${this.className}.loadStateDict`, this, this.base, dict);
    return { ...super.loadStateDict(mapped, options), ignored };
  }

  /** The config as JSON (camelCase), for checkpoints. */
  configJson(): string {
    return JSON.stringify(this.config);
  }

  /**
   * The files of a Hugging Face model directory: config.json, model.safetensors
   * (Hugging Face names; the tied decoder is stored once, as Hugging Face's
   * save_pretrained does) and, with a tokenizer, vocab.txt and tokenizer_config.json.
   */
  toPretrained(): BertPretrainedOutput {
    const out: BertPretrainedOutput = {
      'config.json': bertConfigJson(this.config, this.className),
      'model.safetensors': encodeSafetensors(this.stateDict(), { format: 'pt' }),
    };
    if (this.tokenizer !== null) {
      out['vocab.txt'] = this.tokenizer.toVocabTxt();
      out['tokenizer_config.json'] =
        JSON.stringify({ do_lower_case: this.tokenizer.lowercase, tokenizer_class: 'BertTokenizer' }, null, 2) + '\n';
    }
    return out;
  }
}

/**
 * The BERT encoder: `embeddings` (word + learned position + token type, LayerNorm,
 * dropout), `encoder.layer.{i}` (post-norm, GELU feed-forward, attention
 * dropout) and `pooler.dense`. Parameter names are Hugging Face BertModel's.
 */
export class BertModel extends BertModule {
  readonly config: BertConfig;
  readonly embeddings: TransformerEmbeddings;
  readonly encoder: TransformerEncoder;
  /** `pooler.dense`; null when built with addPoolingLayer false. */
  readonly pooler: Linear | null;

  constructor(config: BertConfigInput, options: BertModelOptions = {}) {
    super('BertModel', '');
    const c = bertConfig(config, 'BertModel');
    this.config = c;
    const pool = options.addPoolingLayer ?? true;
    const p = c.hiddenDropoutProb;
    [this.embeddings, this.encoder, this.pooler] = building(
      () =>
        [
          new TransformerEmbeddings(c.vocabSize, c.hiddenSize, {
            positions: 'learned',
            maxPositions: c.maxPositionEmbeddings,
            paddingIdx: c.padTokenId,
            typeVocabSize: c.typeVocabSize,
            layerNorm: true,
            layerNormEps: c.layerNormEps,
            dropout: p,
          }),
          new TransformerEncoder({
            layers: c.numHiddenLayers,
            dim: c.hiddenSize,
            heads: c.numAttentionHeads,
            ffnDim: c.intermediateSize,
            dropout: p,
            attentionDropout: c.attentionProbsDropoutProb,
            activation: c.hiddenAct,
            norm: 'post',
            layerNormEps: c.layerNormEps,
            finalNorm: false,
          }),
          pool ? new Linear(c.hiddenSize, c.hiddenSize) : null,
        ] as const,
    );
    this.addModule('embeddings', this.embeddings);
    this.addModule('encoder', this.encoder);
    if (this.pooler !== null) this.addModule('pooler', new Module()).addModule('dense', this.pooler);
    initOutermost(this, options.seed ?? 0);
  }

  /** inputIds [B, S] (+ tokenTypeIds, attentionMask) → last hidden state [B, S, H] and pooler output [B, H]. */
  forward(inputs: BertInputs): BertOutput {
    const fn = 'BertModel.forward';
    checkObject(fn, 'inputs', inputs, '{ inputIds, tokenTypeIds?, attentionMask? }');
    const ids = expectIds(fn, 'inputs.inputIds', inputs.inputIds);
    const types =
      inputs.tokenTypeIds === undefined
        ? undefined
        : expectIds(fn, 'inputs.tokenTypeIds', inputs.tokenTypeIds, ids.shape);
    const mask = inputs.attentionMask;
    if (mask !== undefined && (!(mask instanceof Tensor) || formatShape(mask.shape) !== formatShape(ids.shape))) {
      throw new ArgumentError(
        `${fn}: inputs.attentionMask must be an int32 or float32 Tensor ${formatShape(ids.shape)} (as inputIds), got ${mask instanceof Tensor ? mask.toString() : typeof mask}`,
      );
    }
    const h = this.encoder.forward(this.embeddings.forward(ids, { tokenTypes: types }), { mask });
    const poolerOutput = this.pooler === null ? null : F.tanh(this.pooler.forward(F.firstPool(h)));
    return { lastHiddenState: h, poolerOutput };
  }

  /** A BertModel from config.json and model.safetensors contents. */
  static fromPretrained(files: BertPretrainedFiles): BertModel {
    return pretrained('BertModel.fromPretrained', files, (c) => new BertModel(c));
  }
}

function pretrained<
  M extends BertModule & {
    loadStateDict: (d: Record<string, StateDictValue>, o: { strict?: boolean }) => BertLoadResult;
  },
>(fn: string, files: BertPretrainedFiles, make: (c: BertConfig) => M): M {
  checkObject(fn, 'files', files, '{ config, weights }');
  const weights = checkBytes(fn, 'files.weights', files.weights);
  const c = bertConfig(files.config, fn);
  let tokenizer: WordPiece | null = null;
  if (files.vocab !== undefined) {
    if (typeof files.vocab !== 'string')
      throw new ArgumentError(`${fn}: files.vocab must be the text of vocab.txt, got ${typeof files.vocab}`);
    tokenizer = WordPiece.fromVocabTxt(files.vocab, { lowercase: files.lowercase ?? true });
  } else if (files.tokenizer !== undefined) {
    tokenizer = WordPiece.fromTokenizerJson(files.tokenizer);
  }
  if (tokenizer !== null && tokenizer.size > c.vocabSize) {
    throw new ArgumentError(
      `${fn}: files.${files.vocab !== undefined ? 'vocab' : 'tokenizer'} must have at most config.vocab_size (${c.vocabSize}) tokens, got ${tokenizer.size}`,
    );
  }
  const st = decodeSafetensors(weights);
  const m = make(c);
  try {
    m.loadingInfo = m.loadStateDict(st.tensors, { strict: files.strict ?? false });
  } catch (e) {
    m.dispose();
    throw e;
  }
  m.tokenizer = tokenizer;
  return m.eval() as M;
}

/** Hugging Face's BertPredictionHeadTransform: `dense`, activation, `LayerNorm`. */
class PredictionTransform extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  constructor(
    c: BertConfig,
    readonly act: 'gelu' | 'gelu_tanh',
  ) {
    super();
    [this.dense, this.layerNorm] = building(
      () => [new Linear(c.hiddenSize, c.hiddenSize), new LayerNorm(c.hiddenSize, { eps: c.layerNormEps })] as const,
    );
    this.addModule('dense', this.dense);
    this.addModule('LayerNorm', this.layerNorm);
  }

  forward(h: Variable): Variable {
    return this.layerNorm.forward(
      F.gelu(this.dense.forward(h), { approximate: this.act === 'gelu_tanh' ? 'tanh' : 'none' }),
    );
  }
}

/**
 * BERT with the masked-LM head: `bert` (no pooler, as Hugging Face) and
 * `cls.predictions` = transform (`dense`, GELU, `LayerNorm`), then the decoder,
 * whose weight IS the word-embedding Parameter (tied), plus `cls.predictions.bias`.
 */
export class BertForMaskedLM extends BertModule {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly transform: PredictionTransform;
  /** `cls.predictions.bias` [vocabSize]. */
  readonly decoderBias: Parameter;

  constructor(config: BertConfigInput, options: { seed?: number } = {}) {
    super('BertForMaskedLM', 'bert');
    const c = bertConfig(config, 'BertForMaskedLM');
    this.config = c;
    [this.bert, this.transform, this.decoderBias] = building(
      () =>
        [
          new BertModel(c, { addPoolingLayer: false }),
          new PredictionTransform(c, c.hiddenAct),
          new Parameter(Tensor.zeros([c.vocabSize])),
        ] as const,
    );
    this.addModule('bert', this.bert);
    const predictions = this.addModule('cls', new Module()).addModule('predictions', new Module());
    predictions.addParameter('bias', this.decoderBias);
    predictions.addModule('transform', this.transform);
    initOutermost(this, options.seed ?? 0);
  }

  /** The decoder weight [vocabSize, hiddenSize]: the same Parameter as `bert.embeddings.word_embeddings.weight`. */
  get decoderWeight(): Parameter {
    return this.bert.embeddings.wordEmbeddings.weight;
  }

  /**
   * The MLM logits [B, S, vocabSize]; with `positions` (int32 [N], flat indices
   * b·S + s, alive until backward()) only those rows: [N, vocabSize] — the head
   * and the V-wide decoder then run on N positions instead of B·S.
   */
  forward(inputs: BertInputs, options: { positions?: Tensor } = {}): Variable {
    const h = this.bert.forward(inputs).lastHiddenState;
    const pos = options.positions;
    if (pos === undefined) return this.head(h);
    const fn = 'BertForMaskedLM.forward';
    const [B, S, H] = h.shape as [number, number, number];
    if (!(pos instanceof Tensor) || pos.dtype !== 'int32' || pos.rank !== 1)
      throw new ArgumentError(
        `${fn}: options.positions must be an int32 Tensor [N], got ${pos instanceof Tensor ? pos.toString() : typeof pos}`,
      );
    // a gather of rows of h [B·S, H] is an embedding lookup with h as the table (the backward scatter-adds)
    return this.head(F.embedding(F.reshape(h, [B * S, H]), pos));
  }

  private head(h: Variable): Variable {
    return F.linear(this.transform.forward(h), this.decoderWeight, this.decoderBias);
  }

  /**
   * Mean cross-entropy over the positions whose label is not -100; labels int32
   * [B, S], alive until backward(). A scalar Variable. Only the labelled
   * positions go through the head and decoder (the result is the same as
   * cross-entropy over `forward(inputs)`, within float rounding).
   */
  loss(inputs: BertInputs, labels: Tensor): Variable {
    const fn = 'BertForMaskedLM.loss';
    expectIds(fn, 'labels', labels, inputs?.inputIds?.shape);
    const lv = labels.view();
    const idx: number[] = [];
    for (let i = 0; i < lv.length; i++) if (lv[i] !== -100) idx.push(i);
    if (idx.length === 0) return F.crossEntropy(this.forward(inputs), labels, { ignoreIndex: -100 });
    const positions = tape.own(Tensor.fromArray(Int32Array.from(idx), [idx.length], 'int32'));
    const targets = tape.own(
      Tensor.fromArray(
        Int32Array.from(idx, (i) => lv[i]!),
        [idx.length],
        'int32',
      ),
    );
    return F.crossEntropy(this.forward(inputs, { positions }), targets);
  }

  /**
   * Masked-LM pre-training on sequences with special tokens (packMaskedLMExamples
   * makes them from documents): AdamW, linear warm-up and decay, clipping,
   * checkpoints and bit-identical resumption (FitOptions); `masking` defaults to
   * BERT's 15% / 80-10-10 with the ids of the model's tokenizer. With `valid`,
   * each epoch reports its masked-LM accuracy.
   */
  fit(train: readonly MlmExample[], options: MlmFitOptions = {}): Promise<FitResult> {
    return fitMaskedLM('BertForMaskedLM.fit', this, train, options);
  }

  /** Masked-LM loss and top-1 accuracy on `data` under a fixed, seeded masking (eval mode). */
  evaluate(data: readonly MlmExample[], options: MlmEvaluateOptions = {}): MlmEvaluation {
    return evaluateMaskedLM('BertForMaskedLM.evaluate', this, data, options);
  }

  static fromPretrained(files: BertPretrainedFiles): BertForMaskedLM {
    return pretrained('BertForMaskedLM.fromPretrained', files, (c) => new BertForMaskedLM(c));
  }
}

/** BERT + `dropout` + `classifier` (Linear H → numLabels): the two classification heads, on the pooler output or on every token. */
abstract class BertClassifierModel extends BertModule {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  protected constructor(name: string, config: BertConfigInput, seed: number, pooler: boolean) {
    super(name, 'bert');
    const c = bertConfig(config, name);
    this.config = c;
    [this.bert, this.dropout, this.classifier] = building(
      () =>
        [
          new BertModel(c, { addPoolingLayer: pooler }),
          new Dropout(c.classifierDropout),
          new Linear(c.hiddenSize, c.numLabels),
        ] as const,
    );
    this.addModule('bert', this.bert);
    this.addModule('dropout', this.dropout);
    this.addModule('classifier', this.classifier);
    initOutermost(this, seed);
  }
}

/** BERT + `dropout` + `classifier` (Linear H → numLabels) on the pooler output. */
export class BertForSequenceClassification extends BertClassifierModel {
  constructor(config: BertConfigInput, options: { seed?: number } = {}) {
    super('BertForSequenceClassification', config, options.seed ?? 0, true);
  }

  /** Logits [B, numLabels]. */
  forward(inputs: BertInputs): Variable {
    return this.classifier.forward(this.dropout.forward(this.bert.forward(inputs).poolerOutput!));
  }

  /** Mean cross-entropy; labels int32 [B] (-100 ignored). */
  loss(inputs: BertInputs, labels: Tensor): Variable {
    const fn = 'BertForSequenceClassification.loss';
    if (!(labels instanceof Tensor) || labels.dtype !== 'int32' || labels.rank !== 1)
      throw new ArgumentError(
        `${fn}: labels must be an int32 Tensor [batch], got ${labels instanceof Tensor ? labels.toString() : typeof labels}`,
      );
    return F.crossEntropy(this.forward(inputs), labels, { ignoreIndex: -100 });
  }

  /** Fine-tuning (FitOptions: AdamW, warm-up and decay, checkpoints, resume); with `valid`, each epoch reports its accuracy. */
  fit(train: readonly SequenceLabelExample[], options: FitOptions<SequenceLabelExample> = {}): Promise<FitResult> {
    return fitSequenceClassifier('BertForSequenceClassification.fit', this, train, options);
  }

  /** Accuracy and mean cross-entropy on labelled sequences (eval mode). */
  evaluate(
    data: readonly SequenceLabelExample[],
    options: { batchSize?: number } = {},
  ): { accuracy: number; loss: number; n: number } {
    return evaluateSequenceClassifier('BertForSequenceClassification.evaluate', this, data, options);
  }

  static fromPretrained(files: BertPretrainedFiles): BertForSequenceClassification {
    return pretrained(
      'BertForSequenceClassification.fromPretrained',
      files,
      (c) => new BertForSequenceClassification(c),
    );
  }
}

/** BERT (no pooler) + `dropout` + `classifier` (Linear H → numLabels) on every token. */
export class BertForTokenClassification extends BertClassifierModel {
  constructor(config: BertConfigInput, options: { seed?: number } = {}) {
    super('BertForTokenClassification', config, options.seed ?? 0, false);
  }

  /** Logits [B, S, numLabels]. */
  forward(inputs: BertInputs): Variable {
    return this.classifier.forward(this.dropout.forward(this.bert.forward(inputs).lastHiddenState));
  }

  /** Mean cross-entropy over tokens whose label is not -100; labels int32 [B, S]. */
  loss(inputs: BertInputs, labels: Tensor): Variable {
    expectIds('BertForTokenClassification.loss', 'labels', labels, inputs?.inputIds?.shape);
    return F.crossEntropy(this.forward(inputs), labels, { ignoreIndex: -100 });
  }

  /** Fine-tuning on per-token labels (-100 = none); with `valid`, each epoch reports its token accuracy. */
  fit(train: readonly TokenLabelExample[], options: FitOptions<TokenLabelExample> = {}): Promise<FitResult> {
    return fitTokenClassifier('BertForTokenClassification.fit', this, train, options);
  }

  /** Token accuracy and mean cross-entropy over labelled tokens (eval mode). */
  evaluate(
    data: readonly TokenLabelExample[],
    options: { batchSize?: number } = {},
  ): { accuracy: number; loss: number; n: number } {
    return evaluateTokenClassifier('BertForTokenClassification.evaluate', this, data, options);
  }

  static fromPretrained(files: BertPretrainedFiles): BertForTokenClassification {
    return pretrained('BertForTokenClassification.fromPretrained', files, (c) => new BertForTokenClassification(c));
  }
}
