// The canonical corpora and splits (docs/data.md): pure functions over file
// contents, for every runtime. Node loaders live in ./node.ts.
export { md5, md5Hex } from './md5.js';
export {
  BROWN_GENRES, BROWN_TOKENS, BROWN_FILES, normalizeBrownTag, parseBrownFile, brownCorpus, brownLmSplit, brownFileSplit, brownText,
} from './brown.js';
export type { BrownSentence, BrownFile, BrownCorpus, Split } from './brown.js';
export { spamKey, spamIsTest, spamLabel, spamText, spamTokens, spamLine, spamSplit, toLines } from './spam.js';
export type { SpamEmail, SpamLabel, SpamSplit } from './spam.js';
