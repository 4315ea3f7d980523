// Zero-filled gradient buffers for rnnBackward.
import { Tensor } from '../../src/core/tensor.js';
import { type RnnMode, rnnGates } from '../../src/ops/rnn.js';

/** What zeroRnnGrads returns: every gradient of the inputs and parameters, and with `states` those of h0 and c0. */
export interface ZeroRnnGrads {
  /** [B, T, I] */
  dx: Tensor;
  /** [G·H, I] */
  dweightIh: Tensor;
  /** [G·H, H] */
  dweightHh: Tensor;
  /** [G·H] */
  dbiasIh: Tensor;
  /** [G·H] */
  dbiasHh: Tensor;
  /** [B, H], with `states` */
  dh0?: Tensor;
  /** [B, H], with `states` and mode 'lstm' */
  dc0?: Tensor;
}

/**
 * Zeros for every gradient rnnBackward accumulates into for x [B, T, I] and hidden size H
 * (G = rnnGates(mode)): dx, dweightIh, dweightHh, dbiasIh, dbiasHh, then with `states`
 * dh0 and, for the LSTM, dc0 (keys in that order).
 */
export function zeroRnnGrads(mode: RnnMode, B: number, T: number, I: number, H: number, states = false): ZeroRnnGrads {
  const GH = rnnGates(mode) * H;
  const into: ZeroRnnGrads = {
    dx: Tensor.zeros([B, T, I]),
    dweightIh: Tensor.zeros([GH, I]),
    dweightHh: Tensor.zeros([GH, H]),
    dbiasIh: Tensor.zeros([GH]),
    dbiasHh: Tensor.zeros([GH]),
  };
  if (states) {
    into.dh0 = Tensor.zeros([B, H]);
    if (mode === 'lstm') into.dc0 = Tensor.zeros([B, H]);
  }
  return into;
}
