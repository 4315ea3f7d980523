/**
 * Convolution over the sequence axis: Conv1d, PyTorch's nn.Conv1d on
 * channels-last activations [batch, seq, channels].
 */
import { checkBool, checkOptions, checkPositiveInt } from '../core/check.js';
import { Tensor } from '../core/tensor.js';
import { Parameter } from '../autograd/parameter.js';
import * as F from '../autograd/functional.js';
import type { Input, Variable } from '../autograd/tape.js';
import { conv1dParams } from '../ops/conv.js';
import { Initializer, Module, building, initOutermost } from './module.js';

/** Options of the Conv1d module: padding, dilation, stride, bias and seed. */
export interface Conv1dOptions {
  /** An integer >= 0 (zeros on each side), 'valid' (= 0) or 'same' (stride 1, Tout = T); default 0. */
  padding?: 'same' | 'valid' | number;
  /** Spacing of the taps; default 1. */
  dilation?: number;
  /** Step between output positions; default 1. */
  stride?: number;
  /** Add a bias [out]; default true. */
  bias?: boolean;
  /** Initialisation seed when built on its own; default 0. */
  seed?: number;
}

const KEYS = ['padding', 'dilation', 'stride', 'bias', 'seed'];

/**
 * 1-D convolution over the sequence: x [B, T, in] → [B, Tout, out] with weight
 * [out, in, K] and bias [out] (PyTorch's names and layout, so a PyTorch Conv1d
 * state_dict loads as it is). Initialisation as PyTorch's default: weight and
 * bias U(−1/√(in·K), 1/√(in·K)).
 */
export class Conv1d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly padding: 'same' | 'valid' | number;
  readonly dilation: number;
  readonly stride: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    const fn = 'Conv1d';
    checkPositiveInt(fn, 'inChannels', inChannels);
    checkPositiveInt(fn, 'outChannels', outChannels);
    checkPositiveInt(fn, 'kernelSize', kernelSize);
    const o = checkOptions<Conv1dOptions>(fn, 'options', options ?? {}, KEYS);
    const p = conv1dParams(fn, o);
    const bias = o.bias === undefined ? true : checkBool(fn, 'bias', o.bias);
    this.padding = o.padding ?? 0;
    this.dilation = p.dilation;
    this.stride = p.stride;
    [this.weight, this.bias] = building(
      () =>
        [
          new Parameter(Tensor.zeros([outChannels, inChannels, kernelSize])),
          bias ? new Parameter(Tensor.zeros([outChannels])) : null,
        ] as const,
    );
    this.addParameter('weight', this.weight);
    if (this.bias !== null) this.addParameter('bias', this.bias);
    initOutermost(this, o.seed ?? 0);
  }

  protected override initParameters(init: Initializer, prefix: string): void {
    const bound = 1 / Math.sqrt(this.inChannels * this.kernelSize);
    init.uniform(this.weight, `${prefix}weight`, bound);
    if (this.bias !== null) init.uniform(this.bias, `${prefix}bias`, bound);
  }

  /**
   * x [B, T, in] → [B, Tout, out]; `mask` [B, T] (0/1, int32 or float32, alive until
   * backward) zeroes padding positions of the input, as `F.conv1d`.
   */
  forward(x: Input, options: { mask?: Tensor } = {}): Variable {
    checkOptions('Conv1d.forward', 'options', options ?? {}, ['mask']);
    return F.conv1d(x, this.weight, this.bias, {
      padding: this.padding,
      dilation: this.dilation,
      stride: this.stride,
      mask: options.mask,
    });
  }
}
