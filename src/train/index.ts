// train: the one training loop, its hooks and batch providers, and the shell the SGD trainers share.
export type { Progress, ProgressUnit } from './progress.js';
export type { FitOptions, FitResult, LoopResult, EpochRecord, EpochMetrics, CheckpointInfo } from './loop.js';
export type { TrainHook, EpochEndContext } from './hooks.js';
export { reduceLrOnPlateau, earlyStopping, restoreBest } from './hooks.js';
export { gradientNorms, parameterGroup, observe, recordActivations } from './diagnostics.js';
export type {
  GroupBy,
  GradientNorms,
  DiagnosticsOptions,
  TrainingDiagnostics,
  RecordActivationsOptions,
  RecordedActivations,
  TensorStats,
} from './diagnostics.js';
