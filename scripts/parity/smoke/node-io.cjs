// Node, CommonJS: require('wasm-nlp/node') of the installed package (require(esm), like cjs.cjs).
// argv[2]: the task options as JSON.
const w = require('wasm-nlp');
const n = require('wasm-nlp/node');
const { nodeIoTask } = require('./node-io-task.mjs');

w.init()
  .then(async () => {
    const r = await nodeIoTask(w, n, JSON.parse(process.argv[2]));
    console.log(JSON.stringify({ resolved: require.resolve('wasm-nlp/node'), ...r }));
    w.shutdown();
  })
  .catch((e) => {
    console.error(e);
    process.exitCode = 2;
  });
