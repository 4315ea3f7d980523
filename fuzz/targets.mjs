// The fuzz targets: each loads a case's input with the built library (dist/, as a
// user imports it) AND uses it (predict, vectors, neighbours, forward, a resumed
// fit), then checks what the fuzzer can know independently of the library:
//   - the same bytes as a Node Buffer in a shared pool and as a fresh array give
//     the same result;
//   - an accepted file reads the way the format description says (a reference
//     reader for safetensors; structural counts for fastText);
//   - writing an accepted file back and reading it again is stable, and for a
//     canonical file (our writers' layout) gives exactly the input bytes;
//   - everything a case creates is disposed (the child then compares memoryStats);
//   - a model generates the same greedy tokens with and without its KV cache, and a
//     byte-level BPE tokenizer gives back the text it encoded when it can.
// A violated check throws a Mismatch (silently wrong data).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bitsOf,
  equalBytes,
  fastTextLayout,
  firstDiff,
  parseSafetensors,
  referenceTensorBits,
  sameBits,
  utf8,
} from './formats.mjs';
import { RECIPES } from './seeds.mjs';

/** The library accepted something and gave wrong data (or an inconsistent model). */
export class Mismatch extends Error {
  constructor(message) {
    super(message);
    this.name = 'Mismatch';
  }
}

const check = (ok, message) => {
  if (!ok) throw new Mismatch(message);
};

/**
 * The bytes as the library is handed them. 'buffer-pool': a Node Buffer that is a
 * slice of an 8 KiB pool, as Buffer.from / readFileSync give for small inputs
 * (byteOffset a multiple of 8, other data around it); built here rather than taken
 * from Node's real pool so a case's input sits at the same place on every run.
 * 'buffer-offset': a Buffer at an odd offset of a larger ArrayBuffer. 'file':
 * written to disk and read back with readFileSync (the real pool). 'uint8array':
 * a fresh array of its own.
 */
function deliver(bytes, plan, ctx) {
  const pooled = plan.delivery === 'buffer-pool' && bytes.length < 4096;
  if (pooled || plan.delivery === 'buffer-offset' || plan.delivery === 'buffer-pool') {
    const off = pooled ? 8 * (1 + (plan.index % Math.floor((8192 - bytes.length) / 8))) : 1 + (plan.index % 61);
    const ab = new ArrayBuffer(Math.max(8192, bytes.length + off + 64));
    const all = new Uint8Array(ab);
    for (let i = 0; i < all.length; i++) all[i] = (i * 131 + plan.index) & 0xff;
    const b = Buffer.from(ab, Math.min(off, ab.byteLength - bytes.length), bytes.length);
    b.set(bytes);
    return b;
  }
  if (plan.delivery === 'file') {
    const path = join(ctx.tmp, 'input.bin');
    writeFileSync(path, bytes);
    return readFileSync(path);
  }
  return bytes.slice();
}

function inputPath(bytes, ctx) {
  const path = join(ctx.tmp, 'input.bin');
  writeFileSync(path, bytes);
  return path;
}

/** Run fn on two copies of the input; both must throw or both give equal results (per `same`). */
function differential(fn, bytes, plan, ctx, same, what) {
  const a = fn(deliver(bytes, plan, ctx));
  if (plan.delivery === 'uint8array') return a;
  let b;
  try {
    b = fn(bytes.slice());
  } catch (e) {
    throw new Mismatch(
      `${what}: accepted as a ${plan.delivery} input but rejected as a fresh Uint8Array (${e.message})`,
    );
  }
  const why = same(a, b);
  check(
    why === true,
    `${what}: a ${plan.delivery} input reads differently from the same bytes in a fresh Uint8Array: ${why}`,
  );
  return a;
}

const floatBits = (a) => (a instanceof Float32Array ? bitsOf(a) : a instanceof Int32Array ? bitsOf(a) : a);

function sameTable(a, b) {
  if (a.dim !== b.dim) return `dim ${a.dim} vs ${b.dim}`;
  if (a.words.length !== b.words.length) return `${a.words.length} vs ${b.words.length} words`;
  for (let i = 0; i < a.words.length; i++) if (a.words[i] !== b.words[i]) return `word ${i} differs`;
  return sameBits(bitsOf(a.data), bitsOf(b.data), true) || 'vector data differs';
}

function sameModelData(a, b) {
  if (JSON.stringify(a.args) !== JSON.stringify(b.args)) return 'args differ';
  if (a.words.length !== b.words.length) return 'word counts differ';
  for (let i = 0; i < a.words.length; i++)
    if (a.words[i].word !== b.words[i].word || a.words[i].count !== b.words[i].count) return `entry ${i} differs`;
  for (const k of ['input', 'output']) {
    if (a[k].rows !== b[k].rows || a[k].cols !== b[k].cols) return `${k} shape differs`;
    if (!sameBits(bitsOf(a[k].data), bitsOf(b[k].data), true)) return `${k} data differs`;
  }
  return true;
}

function sameTensors(a, b) {
  const ka = Object.keys(a.tensors ?? a.weights);
  const kb = Object.keys(b.tensors ?? b.weights);
  if (ka.join('\0') !== kb.join('\0')) return `tensor names [${ka}] vs [${kb}]`;
  for (const k of ka) {
    const x = (a.tensors ?? a.weights)[k];
    const y = (b.tensors ?? b.weights)[k];
    if (x.dtype !== y.dtype || x.shape.join() !== y.shape.join()) return `tensor "${k}" dtype/shape differs`;
    if (!sameBits(floatBits(x.data), floatBits(y.data), x.dtype === 'F32'))
      return `tensor "${k}" data differs (first element ${x.data[0]} vs ${y.data[0]})`;
  }
  if (JSON.stringify(a.metadata ?? a.meta) !== JSON.stringify(b.metadata ?? b.meta)) return 'metadata differs';
  return true;
}

/** Byte-exact round trip of a canonical file, else stability of write(read(write(read(x)))). */
function roundTrip(bytes, plan, written, rewrite, what) {
  if (plan.canonical) {
    check(
      equalBytes(written, bytes),
      `${what}: a canonical file${plan.muts.length === 0 ? ' (unmutated)' : ''} does not round-trip byte for byte: ` +
        `${bytes.length} -> ${written.length} bytes, first difference at offset ${firstDiff(bytes, written)}`,
    );
  } else {
    const again = rewrite(written);
    check(
      equalBytes(again, written),
      `${what}: writing back what was read is not stable (${written.length} -> ${again.length} bytes, first difference at ${firstDiff(written, again)})`,
    );
  }
}

// ---- fastText ----

/**
 * A supervised fastText model the library accepted must have one output row per
 * label (the fuzzer's own walk over the bytes counts them); with fewer, predict
 * reads past the matrix. (Too few input rows for the hash buckets are caught at
 * lookup, as a typed error, so they are not checked here.)
 */
function checkFastTextShape(bytes, what) {
  const info = fastTextLayout(bytes).info;
  if (!info.complete || info.model !== 3) return;
  check(
    Number(info.outputRows) === info.nlabels,
    `${what}: accepted a supervised model whose output matrix has ${info.outputRows} rows for ${info.nlabels} labels`,
  );
}

const LINES = ['the cat sat on the mat', 'café über naïve', '日本 dog ran', '', 'zzq unknown words here', 'the'];

async function fastTextSup(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const m =
    plan.delivery === 'file'
      ? W.FastTextClassifier.fromBytes(await IO.readBytes(inputPath(bytes, ctx)))
      : W.FastTextClassifier.fromBytes(deliver(bytes, plan, ctx));
  try {
    checkFastTextShape(bytes, 'FastTextClassifier.fromBytes');
    const nlabels = m.labels?.length;
    const probs = m.probabilities(LINES);
    for (const p of probs) {
      if (nlabels !== undefined) check(p.length === nlabels, `probabilities: ${p.length} values for ${nlabels} labels`);
      if (plan.canonical)
        for (const x of p) check(x >= 0 && x <= 1, `probabilities: a value ${x} outside [0, 1] from a canonical model`);
    }
    m.predict(LINES[0], 2);
    m.predictLines(LINES.slice(0, 3), 1, 0.1);
    const written = m.toBytes();
    roundTrip(
      bytes,
      plan,
      written,
      (w) => {
        const m2 = W.FastTextClassifier.fromBytes(w);
        try {
          return m2.toBytes();
        } finally {
          m2.dispose();
        }
      },
      'FastTextClassifier toBytes(fromBytes(x))',
    );
  } finally {
    m.dispose();
  }
}

async function fastTextVectors(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const m = W.FastText.fromBytes(deliver(bytes, plan, ctx));
  try {
    const words = m.words;
    for (const w of [words[0] ?? 'the', 'zzqx', 'café', '']) m.vector(w);
    if (words.length > 1) m.mostSimilar(words[1], 3);
    const written = m.toBytes();
    roundTrip(
      bytes,
      plan,
      written,
      (w) => {
        const m2 = W.FastText.fromBytes(w);
        try {
          return m2.toBytes();
        } finally {
          m2.dispose();
        }
      },
      'FastText toBytes(fromBytes(x))',
    );
  } finally {
    m.dispose();
  }
}

async function fastTextBin(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const data =
    plan.delivery === 'file'
      ? await IO.loadFastTextBin(inputPath(bytes, ctx))
      : differential((b) => W.readFastTextBin(b), bytes, plan, ctx, sameModelData, 'readFastTextBin');
  check(
    data.input.data.length === data.input.rows * data.input.cols &&
      data.output.data.length === data.output.rows * data.output.cols,
    'readFastTextBin: matrix data length does not match its shape',
  );
  const written = W.writeFastTextBin(data);
  roundTrip(
    bytes,
    plan,
    written,
    (w) => W.writeFastTextBin(W.readFastTextBin(w)),
    'writeFastTextBin(readFastTextBin(x))',
  );
}

// ---- word vectors ----

function vectorTable(W, plan, ctx, read, write, fromBytes, what) {
  const bytes = plan.input.bytes;
  const t = differential(read, bytes, plan, ctx, sameTable, what);
  check(t.data.length === t.words.length * t.dim, `${what}: ${t.data.length} values for ${t.words.length} x ${t.dim}`);
  const written = write(t);
  roundTrip(bytes, plan, written, (w) => write(read(w)), `${what} round trip`);
  const m = fromBytes(deliver(bytes, plan, ctx));
  try {
    if (t.words.length > 0) {
      m.vector(t.words[0]);
      if (t.dim > 0) m.mostSimilar(t.words[0], 2);
    }
  } finally {
    m.dispose();
  }
}

async function vec(W, IO, plan, ctx) {
  vectorTable(
    W,
    plan,
    ctx,
    (b) => W.readVec(b),
    (t) => W.writeVec(t),
    (b) => W.Word2Vec.fromVec(b),
    'readVec',
  );
}

async function word2vecBin(W, IO, plan, ctx) {
  vectorTable(
    W,
    plan,
    ctx,
    (b) => W.readWord2VecBin(b),
    (t) => W.writeWord2VecBin(t),
    (b) => W.Word2Vec.fromWord2VecBin(b),
    'readWord2VecBin',
  );
}

// ---- safetensors and checkpoints ----

async function safetensors(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const st =
    plan.delivery === 'file'
      ? await IO.loadSafetensors(inputPath(bytes, ctx))
      : differential((b) => W.decodeSafetensors(b), bytes, plan, ctx, sameTensors, 'decodeSafetensors');
  // the reference reading of the same bytes
  const file = parseSafetensors(bytes);
  check(file !== null && file.header !== undefined, 'decodeSafetensors: accepted a file the reference cannot parse');
  for (const [name, t] of Object.entries(st.tensors)) {
    const ref = referenceTensorBits(file, name);
    if (ref === undefined) continue;
    check(
      sameBits(floatBits(t.data), ref, t.dtype === 'F32'),
      `decodeSafetensors: tensor "${name}" (${file.header[name].dtype}) differs from the bytes at its data_offsets`,
    );
    check(t.data.length === t.shape.reduce((a, b) => a * b, 1), `decodeSafetensors: "${name}" size != shape`);
  }
  if (plan.kind === 'hdrlen') {
    // Only the header length changed: an accepted file must read as the original did.
    const orig = parseSafetensors(ctx.seedById.get(plan.seedId).bytes);
    for (const name of Object.keys(st.tensors)) {
      const a = referenceTensorBits(orig, name);
      const b = floatBits(st.tensors[name].data);
      check(
        a !== undefined && sameBits(a, b, st.tensors[name].dtype === 'F32'),
        `decodeSafetensors: accepted a header length of ${file.len} instead of ${orig.len} and read tensor "${name}" from shifted bytes`,
      );
    }
  }
  const plain = Object.values(st.tensors).every((t) => t.stored === t.dtype);
  if (plain) {
    const inputs = Object.entries(st.tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]);
    const written = W.encodeSafetensors(inputs, st.metadata);
    roundTrip(
      bytes,
      plan,
      written,
      (w) => {
        const r = W.decodeSafetensors(w);
        return W.encodeSafetensors(
          Object.entries(r.tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]),
          r.metadata,
        );
      },
      'encodeSafetensors(decodeSafetensors(x))',
    );
  }
}

async function checkpoint(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const ck =
    plan.delivery === 'file'
      ? await IO.loadCheckpoint(inputPath(bytes, ctx))
      : differential((b) => W.decodeCheckpoint(b), bytes, plan, ctx, sameTensors, 'decodeCheckpoint');
  check(ck.meta !== null && typeof ck.meta === 'object', 'decodeCheckpoint: meta is not an object');
  const recipe = RECIPES[ctx.seedById.get(plan.seedId).recipe];
  if (recipe === undefined) return;
  const m = recipe.make(W);
  try {
    const r = await m.fit(recipe.data(), { ...recipe.opts, resumeFrom: deliver(bytes, plan, ctx) });
    for (const k of ['steps', 'epochs'])
      check(Number.isSafeInteger(r[k]) && r[k] >= 0, `fit(resumeFrom): result.${k} is ${JSON.stringify(r[k])}`);
    for (const [i, h] of (r.history ?? []).entries())
      check(Number.isSafeInteger(h.epoch), `fit(resumeFrom): history[${i}].epoch is ${JSON.stringify(h.epoch)}`);
    recipe.use(m);
  } finally {
    m.dispose();
  }
}

// ---- saved models ----

const SAVED = {
  tc: (W) => W.TextClassifier,
  tag: (W) => W.SequenceTagger,
  lm: (W) => W.NeuralLM,
  gptlm: (W) => W.GptLM,
};

async function savedModel(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const seed = ctx.seedById.get(plan.seedId);
  const names = Object.keys(SAVED);
  const name = SAVED[seed.recipe] !== undefined && plan.rng.chance(0.85) ? seed.recipe : plan.rng.pick(names);
  const cls = SAVED[name](W);
  const m = cls.fromSafetensors(deliver(bytes, plan, ctx));
  try {
    RECIPES[name].use(m);
    if ((name === 'lm' || name === 'gptlm') && m.vocab !== null) {
      m.perplexity(m.vocab.slice(2, 6).join(' '));
      m.topNext(m.vocab.slice(0, 2), 3);
      m.generate([m.vocab[2]], { length: 3, seed: 1 });
    }
    if (name === 'gptlm') {
      const stream = Int32Array.from({ length: 11 }, (_, i) => (2 + i) % m.vocabSize);
      const losses = m.tokenLosses(stream, { context: Math.min(4, m.maxLength) });
      check(losses.length === stream.length, `GptLM.tokenLosses: ${losses.length} losses for ${stream.length} tokens`);
    }
    const written = m.toSafetensors();
    roundTrip(
      bytes,
      plan,
      written,
      (w) => {
        const m2 = cls.fromSafetensors(w);
        try {
          return m2.toSafetensors();
        } finally {
          m2.dispose();
        }
      },
      `${name} toSafetensors(fromSafetensors(x))`,
    );
  } finally {
    m.dispose();
  }
}

// ---- BERT ----

const BERT_CLASSES = ['BertModel', 'BertForMaskedLM', 'BertForSequenceClassification', 'BertForTokenClassification'];

function forwardBert(W, m) {
  const c = m.config;
  const ids = [2, 5, 6, 7, 3].map((x) => Math.min(x, c.vocabSize - 1));
  const inputIds = W.Tensor.fromArray(Int32Array.from(ids), [1, ids.length], 'int32');
  const attentionMask = W.Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 0), [1, ids.length], 'int32');
  try {
    return W.noGrad(() => {
      const out = m.forward({ inputIds, attentionMask });
      const v = out.lastHiddenState ?? out;
      return Array.from(v.value?.toArray?.() ?? v.toArray?.() ?? []);
    });
  } finally {
    inputIds.dispose();
    attentionMask.dispose();
  }
}

const text = (b) => (b === undefined ? undefined : new TextDecoder().decode(b));

async function bert(W, IO, plan, ctx) {
  const files = plan.input.files;
  const seed = ctx.seedById.get(plan.seedId);
  let arch;
  try {
    arch = JSON.parse(text(seed.files['config.json'])).architectures?.[0];
  } catch {
    arch = undefined;
  }
  const clsName = BERT_CLASSES.includes(arch) && plan.rng.chance(0.75) ? arch : plan.rng.pick(BERT_CLASSES);
  const cls = W[clsName];
  const viaDir = plan.rng.chance(0.4);
  let m;
  const dir = join(ctx.tmp, 'bert');
  if (viaDir) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [n, b] of Object.entries(files)) writeFileSync(join(dir, n), b);
    m = await IO.loadBertFromDirectory(dir, cls);
  } else {
    const f = {
      config: text(files['config.json']),
      weights: deliver(files['model.safetensors'] ?? new Uint8Array(0), plan, ctx),
    };
    if (files['vocab.txt'] !== undefined) f.vocab = text(files['vocab.txt']);
    else if (files['tokenizer.json'] !== undefined) f.tokenizer = text(files['tokenizer.json']);
    if (files['tokenizer_config.json'] !== undefined) {
      try {
        const lower = JSON.parse(text(files['tokenizer_config.json'])).do_lower_case;
        if (typeof lower === 'boolean') f.lowercase = lower;
      } catch {
        // as readBertFiles: only a boolean do_lower_case is taken
      }
    }
    m = cls.fromPretrained(f);
  }
  let m2;
  try {
    forwardBert(W, m);
    if (m.tokenizer) m.tokenizer.encode('the cats sat on über 日本');
    const out = m.toPretrained();
    if (viaDir) {
      const dir2 = join(ctx.tmp, 'bert-saved');
      rmSync(dir2, { recursive: true, force: true });
      await IO.saveBertToDirectory(dir2, m);
      m2 = await IO.loadBertFromDirectory(dir2, cls);
    } else {
      m2 = cls.fromPretrained({
        config: out['config.json'],
        weights: out['model.safetensors'],
        vocab: out['vocab.txt'],
      });
    }
    const again = m2.toPretrained();
    check(
      equalBytes(again['model.safetensors'], out['model.safetensors']) && again['config.json'] === out['config.json'],
      `${clsName}: toPretrained -> fromPretrained -> toPretrained is not stable`,
    );
    check(again['vocab.txt'] === out['vocab.txt'], `${clsName}: the saved vocabulary does not read back the same`);
  } finally {
    m.dispose();
    m2?.dispose();
  }
}

// ---- GPT-2 and byte-level BPE ----

/** GPT-2's byte -> character table (bytes_to_unicode), written out here as the fuzzer's own reference. */
const BYTE_CHARS = (() => {
  const out = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[b] = String.fromCodePoint(printable ? b : 256 + n++);
  }
  return out;
})();

const BPE_TEXTS = [
  'the cat sat on the mat',
  ' café über naïve 日本 ß',
  'a  b\t\tc\n\nd   ',
  "don't 12345 x-y_z !?",
  '😀👩‍💻 \u0000\u007f\u00ad\u200b',
  '',
];

/**
 * What the fuzzer reads from a tokenizer.json itself: whether decode(encode(s))
 * must give s back (every byte character in the vocabulary, a ByteLevel decoder,
 * no prefix space, no post-processor adding tokens; then only texts without an
 * added token's content in them).
 */
function bpeExpectations(json) {
  let root;
  try {
    root = typeof json === 'string' ? JSON.parse(json) : json;
  } catch {
    return { roundTrip: false, added: [] };
  }
  const vocab = root?.model?.vocab ?? {};
  const post = root?.post_processor ?? null;
  const adds = post !== null && post.type !== 'ByteLevel';
  const prefix = root?.pre_tokenizer?.add_prefix_space ?? true;
  const covers = BYTE_CHARS.every((c) => Object.hasOwn(vocab, c));
  const added = Array.isArray(root?.added_tokens) ? root.added_tokens.map((t) => t?.content).filter((c) => c) : [];
  return { roundTrip: covers && root?.decoder?.type === 'ByteLevel' && prefix === false && !adds, added };
}

/** Encode the fixed texts and check what an encoding must satisfy; `json` is what the tokenizer was read from. */
function checkTokenizer(W, tok, json, what) {
  const expect = bpeExpectations(json);
  for (const s of BPE_TEXTS) {
    const e = tok.encode(s);
    const n = e.ids.length;
    const len = [...s].length;
    const q = JSON.stringify(s);
    check(
      e.tokens.length === n && e.offsets.length === n,
      `${what}: encode(${q}) gives ${n} ids, ${e.tokens.length} tokens, ${e.offsets.length} offsets`,
    );
    let last = [0, 0];
    for (let i = 0; i < n; i++) {
      const id = e.ids[i];
      check(id >= 0 && id < tok.size, `${what}: encode(${q}).ids[${i}] = ${id} is outside [0, ${tok.size})`);
      check(
        tok.idToToken(id) === e.tokens[i],
        `${what}: encode(${q}).tokens[${i}] = ${JSON.stringify(e.tokens[i])} but id ${id} is ${JSON.stringify(tok.idToToken(id))}`,
      );
      const [a, b] = e.offsets[i];
      check(
        Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a <= b && b <= len,
        `${what}: encode(${q}).offsets[${i}] = [${a}, ${b}] is not within the text's ${len} code points`,
      );
      // Empty spans are left out of the order: a post-processor's tokens ([0, 0]), and a
      // space token the post-processor trimmed to nothing, which Hugging Face too leaves
      // past the start of the next token (a prefix space before a multi-byte character).
      if (a === b) continue;
      check(
        a >= last[0] && b >= last[1],
        `${what}: encode(${q}).offsets[${i}] = [${a}, ${b}] comes before [${last[0]}, ${last[1]}]`,
      );
      last = [a, b];
    }
    if (expect.roundTrip && !expect.added.some((c) => s.includes(c))) {
      const back = tok.decode(e.ids);
      check(
        back === s,
        `${what}: decode(encode(${q})) = ${JSON.stringify(back)} with every byte in the vocabulary (ids ${e.ids.slice(0, 12).join(',')})`,
      );
    }
  }
  // every id of the first 40 that has a token (ids may have holes)
  const ids = Array.from({ length: Math.min(tok.size, 40) }, (_, i) => i).filter((i) => tok.idToToken(i) !== undefined);
  tok.decode(ids);
  const written = tok.toTokenizerJson();
  const again = W.ByteLevelBPE.fromTokenizerJson(written).toTokenizerJson();
  check(again === written, `${what}: toTokenizerJson -> fromTokenizerJson -> toTokenizerJson is not stable`);
  return written;
}

async function bpe(W, IO, plan, ctx) {
  const bytes = plan.input.bytes;
  const json = new TextDecoder().decode(deliver(bytes, plan, ctx));
  let input = json;
  if (plan.rng.chance(0.25)) {
    try {
      input = JSON.parse(json);
    } catch {
      input = json;
    }
  }
  const tok = W.ByteLevelBPE.fromTokenizerJson(input);
  const written = checkTokenizer(W, tok, json, 'ByteLevelBPE');
  if (plan.canonical)
    check(
      written === json,
      `ByteLevelBPE: a canonical tokenizer.json${plan.muts.length === 0 ? ' (unmutated)' : ''} does not round-trip: ` +
        `${json.length} -> ${written.length} characters, first difference at ${firstDiff(utf8(json), utf8(written))}`,
    );
}

/** The top two of `logits` (value of the largest, value of the next). */
function topTwo(logits) {
  let a = -Infinity,
    b = -Infinity;
  for (const x of logits) {
    if (x > a) [a, b] = [x, a];
    else if (x > b) b = x;
  }
  return [a, b];
}

/**
 * Greedy generation of up to 3 tokens with and without the KV cache must give the
 * same ids; where they differ, the step's logits (without the cache) must have a
 * near tie at the top, or overflow, else it is a Mismatch.
 */
function checkCachedGenerate(W, m, what) {
  const V = m.vocabSize;
  const L = m.maxLength;
  if (L < 2) return;
  const k = Math.min(3, L - 1);
  const prompt = [1, 2, 3].slice(0, L - k).map((x) => x % V);
  const cached = m.generate(prompt, { maxNewTokens: k, eosTokenId: null });
  const plain = m.generate(prompt, { maxNewTokens: k, eosTokenId: null, useCache: false });
  check(
    cached.length === k && plain.length === k,
    `${what}.generate: ${cached.length} and ${plain.length} tokens for ${k}`,
  );
  for (const t of cached) check(t >= 0 && t < V, `${what}.generate: token ${t} outside [0, ${V})`);
  const i = cached.findIndex((t, j) => t !== plain[j]);
  if (i < 0) return;
  // the step's logits as generate saw them: the prompt, then one token a feed
  const stepLogits = (useCache) => {
    const s = m.startSession({ useCache });
    try {
      let l = s.feed(Int32Array.from(prompt));
      for (const t of plain.slice(0, i)) l = s.feed(Int32Array.of(t));
      return l;
    } finally {
      s.dispose();
    }
  };
  const logits = stepLogits(false);
  // Weights near the float32 limit overflow in one summation order and not in another
  // (the cache's one-row products against the whole prefix's): NaN or ±Infinity in
  // either step's logits is that, not a cache defect.
  if (![logits, stepLogits(true)].every((l) => l.every(Number.isFinite))) return;
  const [a, b] = topTwo(logits);
  check(
    !(a - b > 1e-3 * Math.max(1, Math.abs(a))),
    `${what}.generate: with the cache token ${i} is ${cached[i]}, without it ${plain[i]} (top logits ${a}, ${b}; prompt ${prompt})`,
  );
}

function forwardGpt(W, m) {
  const n = Math.min(5, m.maxLength);
  const ids = W.Tensor.fromArray(
    Int32Array.from({ length: n }, (_, i) => (i * 7 + 1) % m.vocabSize),
    [1, n],
    'int32',
  );
  try {
    const len = W.noGrad(() => m.forward(ids).logits.value.toArray().length);
    check(len === n * m.vocabSize, `GPT2LMHeadModel.forward: ${len} logits for ${n} x ${m.vocabSize}`);
  } finally {
    ids.dispose();
  }
}

async function gpt2(W, IO, plan, ctx) {
  // a file of another kind now and then: it goes in as model.safetensors of a seed directory
  const files = plan.input.files ?? {
    ...ctx.seeds.find((s) => s.kind === 'gpt2-dir').files,
    'model.safetensors': plan.input.bytes,
  };
  const f = {
    config: text(files['config.json']),
    weights: deliver(files['model.safetensors'] ?? new Uint8Array(0), plan, ctx),
  };
  if (files['tokenizer.json'] !== undefined) f.tokenizer = text(files['tokenizer.json']);
  if (plan.rng.chance(0.15)) f.strict = false;
  const m = W.GPT2LMHeadModel.fromPretrained(f);
  let m2;
  try {
    forwardGpt(W, m);
    checkCachedGenerate(W, m, 'GPT2LMHeadModel');
    const s = m.startSession();
    try {
      s.feed(Int32Array.of(0));
      if (m.maxLength > 1) s.feed(Int32Array.of(m.vocabSize - 1));
    } finally {
      s.dispose();
    }
    if (m.tokenizer) checkTokenizer(W, m.tokenizer, f.tokenizer, 'GPT2LMHeadModel.tokenizer');
    const out = m.toPretrained();
    m2 = W.GPT2LMHeadModel.fromPretrained({
      config: out['config.json'],
      weights: out['model.safetensors'],
      tokenizer: out['tokenizer.json'],
    });
    const again = m2.toPretrained();
    check(
      equalBytes(again['model.safetensors'], out['model.safetensors']) && again['config.json'] === out['config.json'],
      'GPT2LMHeadModel: toPretrained -> fromPretrained -> toPretrained is not stable',
    );
    check(
      again['tokenizer.json'] === out['tokenizer.json'],
      'GPT2LMHeadModel: the saved tokenizer.json does not read back the same',
    );
    if (plan.canonical && plan.input.files !== undefined)
      for (const [name, b] of Object.entries(files)) {
        const w = out[name];
        check(
          w !== undefined && equalBytes(typeof w === 'string' ? utf8(w) : w, b),
          `GPT2LMHeadModel: ${name} of a canonical directory does not round-trip byte for byte`,
        );
      }
  } finally {
    m.dispose();
    m2?.dispose();
  }
}

/** Target name -> async (W, IO, plan, ctx) => void. */
export const RUNNERS = {
  'fasttext-sup': fastTextSup,
  'fasttext-vectors': fastTextVectors,
  'fasttext-bin': fastTextBin,
  vec,
  'word2vec-bin': word2vecBin,
  safetensors,
  checkpoint,
  'saved-model': savedModel,
  bert,
  gpt2,
  bpe,
};
