// `wasm-nlp` on the command line (package.json "bin"): the Node platform, the
// .wasm files next to this bundle, and src/cli.ts's main().
import { setPlatform } from '../core/platform.js';
import { nodePlatform } from '../platform/node.js';
import { main } from '../cli.js';
import { wordFromBytes } from '../text/word-bytes.js';

setPlatform(nodePlatform(new URL('./', import.meta.url)));

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return wordFromBytes(Buffer.concat(chunks)); // invalid UTF-8 kept byte for byte, as native fastText reads it
}

main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: readStdin,
  interactive: process.stdin.isTTY === true,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
