// Node, ES module: 'wasm-nlp' and 'wasm-nlp/node' of the installed package, files from disk
// (node-io-task.mjs). argv[2]: the task options as JSON.
import * as w from 'wasm-nlp';
import * as n from 'wasm-nlp/node';
import { nodeIoTask } from './node-io-task.mjs';

await w.init();
const r = await nodeIoTask(w, n, JSON.parse(process.argv[2]));
console.log(JSON.stringify({ resolved: import.meta.resolve('wasm-nlp/node'), ...r }));
w.shutdown();
