// autograd: Parameters, Variables and the tape; `F` holds the differentiable ops.
export { Parameter } from './parameter.js';
export { Tape, Variable, tape, backward, noGrad, isGradEnabled, step, variable, param } from './tape.js';
export type { Input } from './tape.js';
export * as F from './functional.js';
