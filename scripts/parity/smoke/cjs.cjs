// Node, CommonJS: require('wasm-nlp') of the installed package (require(esm): the bundles have no top-level await).
const w = require('wasm-nlp');
const { parityTask } = require('./task.mjs');

w.init().then(
  async (info) => {
    const r = await parityTask(w);
    console.log(
      JSON.stringify({
        platform: w.getPlatform()?.name,
        info,
        resolved: {
          main: require.resolve('wasm-nlp'),
          wasm: require.resolve('wasm-nlp/wasm-nlp.wasm'),
          mt: require.resolve('wasm-nlp/wasm-nlp-mt.wasm'),
          pkg: require.resolve('wasm-nlp/package.json'),
        },
        ...r,
      }),
    );
    w.shutdown();
  },
  (e) => {
    console.error(e);
    process.exitCode = 2;
  },
);
