#!/usr/bin/env node
// Serves the built demos (examples/web/dist) on localhost:
//   node examples/web/serve.mjs [--port 8080] [--no-isolation]
// With COOP/COEP (the default) the pages are cross-origin isolated and train on
// several threads; --no-isolation serves them without, to see the one-thread path.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../../scripts/lib/runtimes.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve.mjs: --port must be an integer in [0, 65535], got ${args[portAt + 1]}`);
  process.exit(2);
}
if (!existsSync(join(HERE, 'dist', 'index.html'))) {
  console.error('serve.mjs: examples/web/dist is missing; run `npm run demo` (builds, then serves)');
  process.exit(2);
}
const isolated = !args.includes('--no-isolation');
const server = await serveStatic({ mounts: { '/': join(HERE, 'dist') }, port, host: '127.0.0.1', isolated });
console.log(
  `wasm-nlp demos: ${server.url}  (${isolated ? 'cross-origin isolated: threads on' : 'not isolated: one thread'}; Ctrl-C stops)`,
);
