// models, one folder per family.
export * from './vectors/index.js';
export * from './fasttext/index.js';
export * from './lm/index.js';
export * from './encoder/index.js';
export * from './bert/index.js';
export * from './gpt/index.js';
