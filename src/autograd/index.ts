// autograd: Parameters, Variables and the tape; `F` holds the differentiable ops.
export { Parameter } from './parameter.js';
export { Tape, Variable, tape, backward, noGrad, isGradEnabled, step, variable, param } from './tape.js';
export type { Input } from './tape.js';
/** The differentiable ops (PyTorch's torch.nn.functional): functions of Variables that record on the tape. */
export * as F from './functional.js';
