// optim: SGD, Adam, AdamW, parameter groups, learning-rate schedules, clipping and accumulation.
export { Optimizer, AdamBase, SGD, Adam, AdamW } from './optimizer.js';
export type {
  OptimizerName,
  OptimizerParams,
  StateTensorName,
  BaseConfig,
  SGDConfig,
  AdamConfig,
  ParamGroup,
  OptimizerGroup,
  GroupState,
  ParamStateDict,
  OptimizerStateDict,
} from './optimizer.js';
export { defaultParamGroups, isNoDecay } from './groups.js';
export type { DefaultGroupsOptions } from './groups.js';
export { constantSchedule, linearWarmupDecay, inverseTimeDecay, LRScheduler } from './schedule.js';
export type { Schedule, LRSchedulerState } from './schedule.js';
export { clipGradients, GradAccumulator } from './clip.js';
export type { GradAccumulatorOptions } from './clip.js';
