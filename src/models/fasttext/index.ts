// fastText's supervised classifier, and the lookups over a fastText model's data.
export { FastTextClassifier } from './classifier.js';
export type { FastTextSupervisedOptions, Prediction, TestResult } from './classifier.js';
export {
  fastTextWordVector,
  fastTextSentenceVector,
  fastTextWordSubwords,
  fastTextWordId,
  fastTextNumWords,
  fastTextLineIds,
} from './model.js';
export type { FastTextLookupOptions } from './model.js';
export { SupervisedTrainer, supervisedPredict } from './trainer.js';
export type { SupervisedLoss, SupervisedBatch, SupervisedTrainerOptions } from './trainer.js';
