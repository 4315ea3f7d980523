// Train the edge example's models into examples/edge/build/ (see models.mjs).
//   npm run edge:train                          (after `npm run build`)
//   node examples/edge/train.mjs [--out DIR] [--if-missing]
// --if-missing: do nothing when DIR already holds every model file.
import { resolve } from 'node:path';
import { BUILD_DIR, modelsExist, trainEdgeModels } from './models.mjs';

const args = process.argv.slice(2);
let out = BUILD_DIR;
let ifMissing = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out' && args[i + 1] !== undefined) out = resolve(args[++i]);
  else if (args[i] === '--if-missing') ifMissing = true;
  else {
    console.error(
      `unknown argument ${JSON.stringify(args[i])}\nusage: node examples/edge/train.mjs [--out DIR] [--if-missing]`,
    );
    process.exit(2);
  }
}
if (ifMissing && modelsExist(out)) {
  console.log(`models present in ${out} (delete them or run \`npm run edge:train\` to retrain)`);
} else {
  try {
    await trainEdgeModels({ outDir: out });
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
