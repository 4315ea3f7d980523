// io: the file formats, as bytes in and bytes out (every runtime): safetensors, checkpoints,
// fastText .bin, .vec and word2vec binary. Files on disk: wasm-nlp/node.
export { encodeSafetensors, decodeSafetensors } from './safetensors.js';
export type {
  Safetensors,
  SafetensorsTensor,
  SafetensorsInput,
  SafetensorsReadDType,
  SafetensorsWriteDType,
} from './safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_VERSION } from './checkpoint.js';
export type { Checkpoint, CheckpointInput } from './checkpoint.js';
export { readFastTextBin, writeFastTextBin, FASTTEXT_MAGIC, FASTTEXT_VERSION } from './fasttext-bin.js';
export type {
  FastTextArgs,
  FastTextModelData,
  FastTextMatrix,
  FastTextEntry,
  FastTextLoss,
  FastTextModelName,
} from './fasttext-model.js';
export { readVec, writeVec, formatFloat32 } from './vec.js';
export type { WordVectorTable } from './vec.js';
export { readWord2VecBin, writeWord2VecBin } from './word2vec-bin.js';
