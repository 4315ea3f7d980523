// Child process of tests/node/atomic-save.test.ts: saves one target over and over until it is killed.
//   node save-child.mjs '<json>'   with { lib, mode, target, fixture?, floats?, killAt? }
// lib: a directory holding src/ transpiled to JavaScript (the test makes it, so the child runs the
// sources under test, not the last build). mode 'file': saveSafetensors(target) of version A or B
// (`floats` float32s each, metadata { version }); mode 'dir': saveBertToDirectory(target) of the
// toPretrained() outputs in `fixture` (JSON, { A, B }: file name -> text, or { base64 } for bytes).
// Without killAt: save A, print "ready", then save B, A, B, ... forever (the parent SIGKILLs it at a
// random time). With killAt = k: SIGKILL itself just before the k-th fs call (writeFile, open,
// rename, rm, mkdir) of one save: of B after a save of A, or with create: true, of the first save,
// of A; when that save makes fewer calls, print "done <calls>" and exit 0.
import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const opts = JSON.parse(process.argv[2]);
let armed = false;
let calls = 0;
if (opts.killAt) {
  // Patch the CommonJS object of fs/promises, then sync the ESM bindings the library imports.
  const fsp = createRequire(import.meta.url)('node:fs/promises');
  for (const name of ['writeFile', 'open', 'rename', 'rm', 'mkdir']) {
    const orig = fsp[name];
    fsp[name] = function (...args) {
      if (armed && ++calls === opts.killAt) {
        process.kill(process.pid, 'SIGKILL');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); // never returns: killed
      }
      return orig.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}

const lib = (p) => import(pathToFileURL(join(opts.lib, p)).href);

/** Version A (1) or B (2) of the file payload: the same formula the test checks against. */
function payload(version, floats) {
  const data = new Float32Array(floats);
  let x = version * 0x9e3779b9;
  for (let i = 0; i < floats; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
    data[i] = (x >>> 8) / 16777216;
  }
  return data;
}

let save;
if (opts.mode === 'file') {
  const { saveSafetensors } = await lib('io/node.js');
  const versions = [1, 2].map((v) => ({ w: { shape: [opts.floats], data: payload(v, opts.floats) } }));
  save = (i) => saveSafetensors(opts.target, versions[i], { version: 'AB'[i] });
} else {
  const { saveBertToDirectory } = await lib('models/bert/node.js');
  const fixture = JSON.parse(readFileSync(opts.fixture, 'utf8'));
  const versions = ['A', 'B'].map((v) => {
    const files = {};
    for (const [name, c] of Object.entries(fixture[v]))
      files[name] = typeof c === 'string' ? c : new Uint8Array(Buffer.from(c.base64, 'base64'));
    return { toPretrained: () => files };
  });
  save = (i) => saveBertToDirectory(opts.target, versions[i]);
}

if (opts.killAt) {
  if (!opts.create) await save(0);
  armed = true;
  await save(opts.create ? 0 : 1);
  process.stdout.write(`done ${calls}\n`);
} else {
  await save(0);
  process.stdout.write('ready\n');
  for (let i = 1; ; i ^= 1) await save(i);
}
