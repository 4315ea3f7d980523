// Registers tfjs-core's gradient functions (tf.grad of softmaxCrossEntropy,
// batched matMul, ...) in plain Node. tfjs-core's CommonJS bundle leaves them out
// and its ES build imports files without extensions, which Node's ESM loader
// refuses; a resolve hook retries such relative imports with ".js" (or
// "/index.js" for a directory). Both builds
// share tfjs's engine and registries through globalThis.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const missing = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'ERR_UNSUPPORTED_DIR_IMPORT';
    if (!missing || !specifier.startsWith('.') || !context.parentURL?.includes('/@tensorflow/')) throw e;
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`),
);

await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
