// Serve the edge example in workerd on 127.0.0.1 (npm run edge builds, trains and bundles first).
//   node examples/edge/serve.mjs [--port 8787]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerdPath } from '../../scripts/lib/runtimes.mjs';

const config = fileURLToPath(new URL('./config.capnp', import.meta.url));
const i = process.argv.indexOf('--port');
const port = i >= 0 ? Number(process.argv[i + 1]) : 8787;
if (!(Number.isInteger(port) && port >= 0 && port < 65536)) {
  console.error(`--port must be an integer in [0, 65535], got ${process.argv[i + 1]}`);
  process.exit(2);
}
for (const f of ['worker.js', 'wasm-nlp.wasm', 'spam.bin', 'vectors.bin', 'meta.json']) {
  if (!existsSync(fileURLToPath(new URL(`./build/${f}`, import.meta.url)))) {
    console.error(`examples/edge/build/${f} is missing: run \`npm run edge\` (or npm run build && npm run edge:build)`);
    process.exit(1);
  }
}
const url = `http://127.0.0.1:${port}`;
const child = spawn(workerdPath(), ['serve', config, '--socket-addr', `http=127.0.0.1:${port}`], { stdio: 'inherit' });
console.log(`workerd (pid ${child.pid}) serving examples/edge on ${url}  (Ctrl-C stops it)

  curl -s ${url}/health
  curl -s -X POST ${url}/classify -H 'content-type: application/json' -d '{"text": "Congratulations! You won a FREE cruise, click here to claim $1000"}'
  curl -s -X POST ${url}/classify -H 'content-type: application/json' -d '{"texts": ["Meeting moved to 3pm, see the agenda attached", "Lowest mortgage rates, apply now!!!"]}'
  curl -s '${url}/neighbors?word=money&k=5'
`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
