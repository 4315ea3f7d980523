/**
 * Recurrent layers with PyTorch's names, defaults and gate order, batch-first:
 * LSTM, GRU and RNN (tanh or ReLU), stacked and optionally bidirectional, with
 * dropout between layers. Each layer and direction runs `F.rnn` over the whole
 * sequence; the parameters of layer k are `weight_ih_l{k}`, `weight_hh_l{k}`,
 * `bias_ih_l{k}`, `bias_hh_l{k}` (and the same with `_reverse` for the backward
 * direction), registered in PyTorch's order, so `stateDict()` has the keys of
 * `torch.nn.LSTM(...).state_dict()` and PyTorch checkpoints load by name.
 */
import { checkBool, checkFinite, checkInstance, checkOptions, checkPositiveInt } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Parameter } from '../autograd/parameter.js';
import * as F from '../autograd/functional.js';
import { type Input, type Variable, asVariable, tape } from '../autograd/tape.js';
import { Dropout, type Initializer, Module, building, initOutermost } from './module.js';

/** Options of LSTM, GRU and RNN, as PyTorch's (batch-first always). */
export interface RnnModuleOptions {
  /** Stacked layers; layer k > 0 reads the previous layer's output (dirs · hiddenSize wide). Default 1. */
  numLayers?: number;
  /** A second, time-reversed direction per layer, its output concatenated after the forward one; default false. */
  bidirectional?: boolean;
  /** Dropout on the output of every layer but the last (as PyTorch), in [0, 1); default 0. */
  dropout?: number;
  /** The biases `bias_ih_l{k}` and `bias_hh_l{k}`; default true. */
  bias?: boolean;
  /** Initialisation seed when built on its own; default 0. */
  seed?: number;
}

/** Options of RNN: those of LSTM and GRU plus the nonlinearity. */
export interface RnnOptions extends RnnModuleOptions {
  /** h' = act(W_ih x + b_ih + W_hh h + b_hh); default 'tanh'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Per-call options: the padding mask and the initial states. */
export interface RnnForwardOptions {
  /**
   * [B, T] int32 or float32 0/1 (1 = a real step). At a 0 step the state is
   * carried unchanged and the output is the carried h, so with right padding
   * the real outputs equal those of the unpadded sequences and `h` is the state
   * at each row's last real step (reverse direction: the state after step 0).
   */
  mask?: Tensor;
  /** Initial hidden state [numLayers · dirs, B, H] (layer-major, forward then reverse); default zeros. Not differentiated: carried state, as in truncated BPTT. */
  h0?: Tensor;
  /** Initial cell state of the LSTM, as h0. */
  c0?: Tensor;
}

/** What the recurrent modules return. */
export interface RnnOutput {
  /** [B, T, dirs · H]: the last layer's outputs, the forward direction first. */
  output: Variable;
  /** [numLayers · dirs, B, H]: the final hidden state of every layer and direction (PyTorch's h_n), detached, owned by the caller. */
  h: Tensor;
  /** The LSTM's final cell states, as `h`; null for GRU and RNN. */
  c: Tensor | null;
}

/** The parameters of one layer and direction. */
interface Cell {
  weightIh: Parameter;
  weightHh: Parameter;
  biasIh: Parameter | null;
  biasHh: Parameter | null;
}

const GATES: Record<F.RnnMode, number> = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };
const MODULE_KEYS = ['numLayers', 'bidirectional', 'dropout', 'bias', 'seed'];

/**
 * The recurrent stack shared by LSTM, GRU and RNN: per layer k and direction,
 * weight_ih [G·H, in_k], weight_hh [G·H, H], bias_ih and bias_hh [G·H] (G = 4,
 * 3, 1 gates; in_0 = inputSize, in_k = dirs · H), every one initialised
 * U(-1/√H, 1/√H) as PyTorch; a parameter-free Dropout module `dropout` between layers.
 */
export class RNNBase extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly bias: boolean;
  /** The dropout probability between layers. */
  readonly dropout: number;
  private readonly drop: Dropout;
  private readonly cells: Cell[];
  private readonly own: [string, Parameter][] = [];
  private readonly name: string;

  protected constructor(
    name: string,
    readonly mode: F.RnnMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RnnModuleOptions,
    known: readonly string[],
  ) {
    super();
    this.name = name;
    checkPositiveInt(name, 'inputSize', inputSize);
    checkPositiveInt(name, 'hiddenSize', hiddenSize);
    checkOptions(name, 'options', options, known);
    this.numLayers = checkPositiveInt(name, 'numLayers', options.numLayers ?? 1);
    this.bidirectional = checkBool(name, 'bidirectional', options.bidirectional ?? false);
    this.bias = checkBool(name, 'bias', options.bias ?? true);
    this.dropout = checkFinite(name, 'dropout', options.dropout ?? 0, 0, 1);
    const G = GATES[mode] * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const made = building(() => {
      const cells: [string, Cell][] = [];
      for (let k = 0; k < this.numLayers; k++) {
        const width = k === 0 ? inputSize : dirs * hiddenSize;
        for (let d = 0; d < dirs; d++) {
          cells.push([
            `l${k}${d === 1 ? '_reverse' : ''}`,
            {
              weightIh: new Parameter(Tensor.zeros([G, width])),
              weightHh: new Parameter(Tensor.zeros([G, hiddenSize])),
              biasIh: this.bias ? new Parameter(Tensor.zeros([G])) : null,
              biasHh: this.bias ? new Parameter(Tensor.zeros([G])) : null,
            },
          ]);
        }
      }
      return { cells, dropout: new Dropout(this.dropout) };
    });
    this.cells = made.cells.map(([, c]) => c);
    for (const [suffix, c] of made.cells) {
      this.own.push([`weight_ih_${suffix}`, c.weightIh], [`weight_hh_${suffix}`, c.weightHh]);
      if (c.biasIh !== null) this.own.push([`bias_ih_${suffix}`, c.biasIh]);
      if (c.biasHh !== null) this.own.push([`bias_hh_${suffix}`, c.biasHh]);
    }
    for (const [n, p] of this.own) this.addParameter(n, p);
    this.drop = this.addModule('dropout', made.dropout);
    initOutermost(this, options.seed ?? 0);
  }

  /** Directions per layer: 2 when bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  protected override initParameters(init: Initializer, prefix: string): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const [name, p] of this.own) init.uniform(p, `${prefix}${name}`, bound);
  }

  /**
   * x [B, T, inputSize] → output [B, T, dirs · H] (the last layer), and the
   * final states h (and c for the LSTM) [numLayers · dirs, B, H]. Gradients flow
   * to x and every parameter through `output`; h, c, h0 and c0 are detached.
   */
  forward(x: Input, options: RnnForwardOptions = {}): RnnOutput {
    const fn = `${this.name}.forward`;
    checkOptions(fn, 'options', options, ['mask', 'h0', 'c0']);
    const X = asVariable(fn, 'x', x);
    if (X.dtype !== 'float32') throw new DTypeError(`${fn}: x must have dtype float32, got ${X.dtype}`);
    if (X.shape.length !== 3 || X.shape[2] !== this.inputSize)
      throw new ShapeError(`${fn}: x must have shape [batch, seq, ${this.inputSize}], got ${formatShape(X.shape)}`);
    const B = X.shape[0]!;
    const T = X.shape[1]!;
    const H = this.hiddenSize;
    const dirs = this.directions;
    const S = this.numLayers * dirs;
    const { mask } = options;
    if (mask !== undefined) {
      checkInstance(fn, 'mask', mask, Tensor);
      if (mask.dtype !== 'int32' && mask.dtype !== 'float32')
        throw new DTypeError(`${fn}: mask must have dtype int32 or float32, got ${mask.dtype}`);
      if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)
        throw new ShapeError(`${fn}: mask must have shape [${B}, ${T}], got ${formatShape(mask.shape)}`);
    }
    const state = (key: 'h0' | 'c0'): Tensor | undefined => {
      const s = options[key];
      if (s === undefined) return undefined;
      if (key === 'c0' && this.mode !== 'lstm')
        throw new ArgumentError(`${fn}: c0 must be omitted (only the LSTM has a cell state), got ${String(s)}`);
      checkInstance(fn, key, s, Tensor);
      if (s.dtype !== 'float32') throw new DTypeError(`${fn}: ${key} must have dtype float32, got ${s.dtype}`);
      if (s.rank !== 3 || s.shape[0] !== S || s.shape[1] !== B || s.shape[2] !== H)
        throw new ShapeError(`${fn}: ${key} must have shape [${S}, ${B}, ${H}], got ${formatShape(s.shape)}`);
      return s;
    };
    const h0 = state('h0');
    const c0 = state('c0');
    /** Row i of a [S, B, H] state as a step-owned [B, H] Tensor (F.rnn may keep it for the backward). */
    const row = (s: Tensor | undefined, i: number): Tensor | undefined =>
      s === undefined ? undefined : tape.own(Tensor.fromArray(s.view().subarray(i * B * H, (i + 1) * B * H), [B, H]));

    const h = Tensor.empty([S, B, H]);
    const c = this.mode === 'lstm' ? Tensor.empty([S, B, H]) : null;
    try {
      let input: Variable = X;
      for (let k = 0; k < this.numLayers; k++) {
        if (k > 0) input = this.drop.forward(input);
        const outs: Variable[] = [];
        for (let d = 0; d < dirs; d++) {
          const i = k * dirs + d;
          const cell = this.cells[i]!;
          const r = F.rnn(this.mode, input, cell.weightIh, cell.weightHh, cell.biasIh, cell.biasHh, {
            h0: row(h0, i),
            c0: row(c0, i),
            mask,
            reverse: d === 1,
          });
          h.view().set(r.h.view(), i * B * H);
          r.h.dispose();
          if (r.c !== null) {
            if (c !== null) c.view().set(r.c.view(), i * B * H);
            r.c.dispose();
          }
          outs.push(r.output);
        }
        input = dirs === 1 ? outs[0]! : F.concat(outs);
      }
      return { output: input, h, c };
    } catch (e) {
      h.dispose();
      c?.dispose();
      throw e;
    }
  }
}

/**
 * Long short-term memory, as torch.nn.LSTM(batch_first=True): gates i, f, g, o
 * in that order in the rows of weight_ih / weight_hh [4H, ·];
 * c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c').
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RnnModuleOptions = {}) {
    super('LSTM', 'lstm', inputSize, hiddenSize, options, MODULE_KEYS);
  }
}

/**
 * Gated recurrent unit, as torch.nn.GRU(batch_first=True): gates r, z, n in
 * that order in the rows of weight_ih / weight_hh [3H, ·];
 * n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 − z) n + z h.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RnnModuleOptions = {}) {
    super('GRU', 'gru', inputSize, hiddenSize, options, MODULE_KEYS);
  }
}

/** Elman RNN, as torch.nn.RNN(batch_first=True): h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or ReLU. */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RnnOptions = {}) {
    const nl = options?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ArgumentError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${String(nl)}`);
    super('RNN', nl === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize, hiddenSize, options, [
      ...MODULE_KEYS,
      'nonlinearity',
    ]);
    this.nonlinearity = nl;
  }
}
