// train: the one training loop and the shell the SGD trainers share.
export type { FitOptions, FitProgress, FitResult } from './loop.js';
