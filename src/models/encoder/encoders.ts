/**
 * The sequence encoders an EncoderModel can put after its embeddings, the lecture's
 * three ways to contextualise embedded words: self-attention (TransformerEncoder),
 * a recurrent network (LSTM or GRU, one or both directions: "an information
 * pipeline") and a convolutional one (stacked 1-D convolutions: information
 * combined in a tree over neighbouring positions). Each maps [B, S, dim] and the
 * padding mask to [B, S, outputDim].
 */
import { Tensor } from '../../core/tensor.js';
import { type Input, type Variable, asVariable } from '../../autograd/tape.js';
import * as F from '../../autograd/functional.js';
import { Dropout, Module, ModuleList, building, initOutermost } from '../../nn/module.js';
import { Conv1d } from '../../nn/conv.js';
import { GRU, LSTM } from '../../nn/rnn.js';

/** Which encoder follows the embeddings. */
export type EncoderKind = 'transformer' | 'lstm' | 'gru' | 'cnn';

/**
 * `layers` recurrent layers (LSTM or GRU, PyTorch's names under `encoder`:
 * `encoder.weight_ih_l0`, `encoder.weight_hh_l0_reverse`, ...), dropout between
 * layers and on the output. A padded step leaves the state unchanged, so with
 * right padding the forward direction's state at the last real token is the
 * output at position S - 1 and the reverse direction starts at the last real token.
 */
export class RecurrentEncoder extends Module {
  readonly rnn: LSTM | GRU;
  readonly dropout: Dropout;
  readonly outputDim: number;

  constructor(
    readonly cell: 'lstm' | 'gru',
    inputDim: number,
    readonly hidden: number,
    options: { layers: number; bidirectional: boolean; dropout: number },
  ) {
    super();
    const o = { numLayers: options.layers, bidirectional: options.bidirectional, dropout: options.dropout };
    [this.rnn, this.dropout] = building(
      () =>
        [
          cell === 'lstm' ? new LSTM(inputDim, hidden, o) : new GRU(inputDim, hidden, o),
          new Dropout(options.dropout),
        ] as const,
    );
    this.outputDim = (options.bidirectional ? 2 : 1) * hidden;
    this.addModule('rnn', this.rnn);
    this.addModule('dropout', this.dropout);
    initOutermost(this, 0);
  }

  get bidirectional(): boolean {
    return this.outputDim === 2 * this.hidden;
  }

  /** x [B, S, in] → [B, S, dirs · hidden] (directions concatenated, forward first). */
  forward(x: Input, options: { mask?: Tensor } = {}): Variable {
    const r = this.rnn.forward(x, { mask: options.mask });
    r.h.dispose();
    r.c?.dispose();
    return this.dropout.forward(r.output);
  }

  /**
   * The recurrent "last state" of each sequence from the encoder's output [B, S, dirs · hidden]:
   * the forward direction's state at the last real token, and the reverse direction's state
   * after reading the whole sequence back to position 0, concatenated → [B, dirs · hidden].
   */
  lastState(out: Variable, mask: Tensor): Variable {
    const H = this.hidden;
    if (!this.bidirectional) return F.lastPool(out, { mask });
    return F.concat([F.lastPool(F.slice(out, 0, H), { mask }), F.firstPool(F.slice(out, H, H))]);
  }
}

/**
 * `layers` 1-D convolutions of width `kernelSize` over the sequence (`layer.{i}`,
 * PyTorch Conv1d weights [out, in, k]), 'same' padding so every position keeps an
 * output, padding tokens read as zero, each followed by ReLU and dropout, with a
 * residual connection around every layer whose input and output widths agree. Layer l
 * (1-based) sees a window of l · (kernelSize − 1) + 1 tokens around each position.
 */
export class ConvEncoder extends Module {
  readonly layer: ModuleList<Conv1d>;
  readonly dropout: Dropout;
  readonly outputDim: number;

  constructor(
    inputDim: number,
    readonly hidden: number,
    readonly kernelSize: number,
    options: { layers: number; dropout: number },
  ) {
    super();
    [this.layer, this.dropout] = building(() => {
      const list = new ModuleList<Conv1d>();
      for (let l = 0; l < options.layers; l++)
        list.push(new Conv1d(l === 0 ? inputDim : hidden, hidden, kernelSize, { padding: 'same' }));
      return [list, new Dropout(options.dropout)] as const;
    });
    this.outputDim = options.layers === 0 ? inputDim : hidden;
    this.addModule('layer', this.layer);
    this.addModule('dropout', this.dropout);
    initOutermost(this, 0);
  }

  /** x [B, S, in] → [B, S, hidden]. */
  forward(x: Input, options: { mask?: Tensor } = {}): Variable {
    let h = asVariable('ConvEncoder.forward', 'x', x);
    for (const conv of this.layer) {
      const y = this.dropout.forward(F.relu(conv.forward(h, { mask: options.mask })));
      h = conv.inChannels === conv.outChannels ? F.add(h, y) : y;
    }
    return h;
  }
}
