// Our unsupervised fastText (skipgram / cbow with subwords) against the native
// binary (/usr/bin/fasttext): native reads the .bin we write and prints our
// vectors (OOV words included) and neighbours, and on a slice of the Brown
// corpus our neighbours agree with native's as much as two native runs with
// different seeds agree with each other (docs/fasttext.md, "Quality").
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { FastText } from '../../src/models/vectors/fasttext.js';
import { readVec, type WordVectorTable } from '../../src/io/vec.js';
import { formatG } from '../../src/cli.js';
import { loadBrown } from '../../src/data/node.js';
import { brownText } from '../../src/data/brown.js';

const CLI = fileURLToPath(new URL('../../dist/wasm-nlp.cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-ftu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first `bytes` of data/brown.txt, cut at a line end (~200k tokens for 1.1 MB). */
let brown = '';
beforeAll(async () => {
  await initForTests();
  // The canonical Brown text (what `npm run data` writes to data/brown.txt), made here so a fresh clone needs no data step.
  const all = brownText(loadBrown());
  brown = all.slice(0, all.lastIndexOf('\n', 1_100_000) + 1);
  writeFileSync(join(dir, 'brown.txt'), brown);
});

const native = (args: string[], input?: string) =>
  execFileSync('fasttext', args, { cwd: dir, input, encoding: 'utf8', maxBuffer: 1 << 28 });

/** Run a command in `dir` without blocking (so runs overlap); rejects on a non-zero exit. */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

// Function words and other high-frequency tokens whose neighbours say little.
const STOP = new Set(
  (
    'the of and to a in that is was he for it with as his on be at by i had not are but from or have an they which one you ' +
    'were her all she there would their we him been has when who will more no if out so said what up its about into than ' +
    'them can only other new some could these two may then do first any my now such like our over me even most made after ' +
    'also did many before must through back where much your way well down should because each just those how too very ' +
    'make still own see here between both being under never same another know while might us off come since against go came ' +
    'used take three upon however without yet though around why am shall does whether several either rather'
  ).split(' '),
);

/** Unit rows and top-k neighbour sets by cosine (the query and `</s>` excluded). */
function neighbours(wv: WordVectorTable, queries: string[], k: number): Map<string, Set<string>> {
  const { dim, words } = wv;
  const u = new Float32Array(wv.data);
  for (let i = 0; i < words.length; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += u[i * dim + j]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) u[i * dim + j]! *= inv;
  }
  const index = new Map(words.map((w, i) => [w, i]));
  const out = new Map<string, Set<string>>();
  for (const q of queries) {
    const qi = index.get(q)!;
    const scored: [number, number][] = [];
    for (let i = 0; i < words.length; i++) {
      if (i === qi || words[i] === '</s>') continue;
      let s = 0;
      for (let j = 0; j < dim; j++) s += u[qi * dim + j]! * u[i * dim + j]!;
      scored.push([s, i]);
    }
    scored.sort((a, b) => b[0] - a[0]);
    out.set(q, new Set(scored.slice(0, k).map(([, i]) => words[i]!)));
  }
  return out;
}

function overlap(a: Map<string, Set<string>>, b: Map<string, Set<string>>): number {
  let shared = 0,
    total = 0;
  for (const [q, s] of a) {
    const t = b.get(q)!;
    for (const w of s) if (t.has(w)) shared++;
    total += s.size;
  }
  return shared / total;
}

describe('unsupervised fastText vs native fastText', () => {
  test('native print-word-vectors on our .bin prints our vectors (OOV words included); native nn reads it', async () => {
    const text = brown.slice(0, brown.lastIndexOf('\n', 200_000) + 1);
    const m = await FastText.train(text, { model: 'cbow', dim: 20, epoch: 2, minCount: 3, bucket: 20_000 });
    try {
      writeFileSync(join(dir, 'api.bin'), m.toBytes());
      const words = ['the', 'jury', 'election', 'county', 'xylophonist', 'unelectable', 'jury-room', 'naïveté'];
      const printed = native(['print-word-vectors', 'api.bin'], words.join('\n') + '\n')
        .trim()
        .split('\n');
      expect(printed).toHaveLength(words.length);
      for (let i = 0; i < words.length; i++) {
        const toks = printed[i]!.trim().split(' ');
        expect(toks[0]).toBe(words[i]);
        const v = m.vector(words[i]!);
        // fastText prints %.5g of the same float32 values
        expect(toks.slice(1)).toEqual(Array.from(v, (x) => formatG(x)));
      }
      const nn = native(['nn', 'api.bin', '5'], 'election\n')
        .split('\n')
        .map((l) => l.replace(/^Query word\? /, ''))
        .filter((l) => l.includes(' '));
      expect(nn.map((l) => l.split(' ')[0])).toEqual(m.mostSimilar('election', 5).map((n) => n.word));
    } finally {
      m.dispose();
    }
  }, 60_000);

  test('quality: on ~200k Brown tokens, our neighbours agree with native as well as two native seeds agree (within 0.05)', async () => {
    const flags = [
      '-input',
      'brown.txt',
      '-dim',
      '50',
      '-epoch',
      '5',
      '-minCount',
      '5',
      '-bucket',
      '200000',
      '-thread',
      '1',
      '-verbose',
      '0',
    ];
    // The three runs overlap in time (each is single-threaded); all three are deterministic (one thread, fixed
    // seeds), so the figures below are the same on every run: 0.304 (native 1 vs 2) and 0.291 (ours vs native).
    await Promise.all([
      // Not seeds 0 and 1: native seeds std::minstd_rand with them, which maps 0 to 1 (identical runs).
      run('fasttext', ['skipgram', ...flags, '-output', 'nat0', '-seed', '1']),
      run('fasttext', ['skipgram', ...flags, '-output', 'nat1', '-seed', '2']),
      run(process.execPath, [CLI, 'skipgram', ...flags, '-output', 'ours', '-seed', '0']),
    ]);
    const load = (name: string) => readVec(new Uint8Array(readFileSync(join(dir, `${name}.vec`))));
    const [ours, nat0, nat1] = [load('ours'), load('nat0'), load('nat1')];
    // The same dictionary (the order of words with equal counts may differ: fastText's sort is not stable).
    expect([...ours.words].sort()).toEqual([...nat0.words].sort());
    // The 200 most frequent alphabetic content words.
    const queries = ours.words.filter((w) => /^[a-z]+$/.test(w) && !STOP.has(w)).slice(0, 200);
    expect(queries).toHaveLength(200);
    const [o, n0, n1] = [ours, nat0, nat1].map((wv) => neighbours(wv, queries, 10)) as [
      Map<string, Set<string>>,
      Map<string, Set<string>>,
      Map<string, Set<string>>,
    ];
    const nativeSeeds = overlap(n0, n1);
    const oursNative = (overlap(o, n0) + overlap(o, n1)) / 2;
    console.log(
      `top-10 neighbour overlap: native seed 1 vs 2 = ${nativeSeeds.toFixed(3)}, ours vs native (mean of 2) = ${oursNative.toFixed(3)}`,
    );
    expect(nativeSeeds).toBeGreaterThan(0.15); // the comparison means something
    expect(oursNative).toBeGreaterThanOrEqual(nativeSeeds - 0.05);
  }, 120_000);

  test('initial input matrix as native: with -thread T only the first T tenths start random, so (one thread) the same rows stay exactly 0', async () => {
    const text = brown.slice(0, brown.lastIndexOf('\n', 150_000) + 1);
    writeFileSync(join(dir, 'init.txt'), text);
    const zeroRows = (name: string): { zero: Set<number>; rows: number } => {
      const m = FastText.fromBytes(new Uint8Array(readFileSync(join(dir, `${name}.bin`))));
      try {
        const { rows, cols, data } = m.toModelData().input;
        const zero = new Set<number>();
        for (let r = 0; r < rows; r++) if (data.subarray(r * cols, (r + 1) * cols).every((x) => x === 0)) zero.add(r);
        return { zero, rows };
      } finally {
        m.dispose();
      }
    };
    for (const thread of ['1', '3']) {
      const flags = [
        '-input',
        'init.txt',
        '-dim',
        '10',
        '-epoch',
        '1',
        '-minCount',
        '3',
        '-bucket',
        '20000',
        '-thread',
        thread,
        '-verbose',
        '0',
      ];
      await Promise.all([
        run('fasttext', ['skipgram', ...flags, '-output', `init-nat${thread}`]),
        run(process.execPath, [CLI, 'skipgram', ...flags, '-output', `init-ours${thread}`]),
      ]);
      const [nat, ours] = [zeroRows(`init-nat${thread}`), zeroRows(`init-ours${thread}`)];
      expect(ours.rows).toBe(nat.rows);
      // Rows never trained and past the random blocks: many of the 20,000 bucket rows, none in the random blocks.
      expect(nat.zero.size).toBeGreaterThan(0.3 * nat.rows * (1 - Number(thread) / 10));
      const boundary = Math.floor((nat.rows * Number(thread)) / 10) - 1;
      expect(Math.min(...nat.zero)).toBeGreaterThanOrEqual(boundary);
      expect(Math.min(...ours.zero)).toBeGreaterThanOrEqual(boundary);
      if (thread === '1') {
        // One thread reads the text once, in order, on both sides: the same rows are trained.
        expect([...ours.zero].sort((a, b) => a - b)).toEqual([...nat.zero].sort((a, b) => a - b));
      } else {
        // Native's threads start at offsets t·size/T and stop when the global count reaches epoch·ntokens, so a
        // 1-epoch run leaves some lines unread, how many depending on how the threads were scheduled (zero
        // rows in three native -thread 3 runs on a quiet machine: 7248, 7242, 7217; 163 more than ours under
        // CI load); ours trains every line once. So every row zero in ours is zero in native.
        for (const r of ours.zero) expect(nat.zero.has(r)).toBe(true);
        expect(ours.zero.size).toBeGreaterThan(0.3 * ours.rows * (1 - Number(thread) / 10));
      }
    }
  }, 120_000);

  test('our CLI cbow writes a .bin that native nn queries; -loss softmax/one-vs-all: one line, exit 2', async () => {
    const text = brown.slice(0, brown.lastIndexOf('\n', 100_000) + 1);
    writeFileSync(join(dir, 'tiny.txt'), text);
    await run(process.execPath, [
      CLI,
      'cbow',
      '-input',
      'tiny.txt',
      '-output',
      'cli',
      '-dim',
      '10',
      '-epoch',
      '1',
      '-bucket',
      '10000',
      '-minCount',
      '3',
      '-verbose',
      '0',
    ]);
    const out = native(['nn', 'cli.bin', '3'], 'jury\n');
    expect(out.split('\n').filter((l) => /^\S+ [-0-9.e]+$/.test(l.replace(/^Query word\? /, '')))).toHaveLength(3);
    const m = FastText.fromBytes(new Uint8Array(readFileSync(join(dir, 'cli.bin'))));
    try {
      expect(m.args.model).toBe('cbow');
      const vec = readVec(new Uint8Array(readFileSync(join(dir, 'cli.vec'))));
      expect(vec.words).toEqual(m.words);
    } finally {
      m.dispose();
    }
    for (const loss of ['softmax', 'one-vs-all']) {
      const r = spawnSync(process.execPath, [CLI, 'skipgram', '-input', 'tiny.txt', '-output', 'x', '-loss', loss], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`skipgram: -loss must be ns or hs for word vectors, got ${loss}`]);
    }
  }, 60_000);
});
