// Deterministic case plans: case i of a run with seed S gets its own generator
// from (S, i), picks a target, a seed input and 0-4 structure-aware mutations.
// Pure JavaScript over bytes (no library calls), so the parent can rebuild the
// input of a case whose child crashed or hung.
import {
  concat,
  fastTextLayout,
  parseFastText,
  parseSafetensors,
  utf8,
  vecLayout,
  word2vecLayout,
  writeFastText,
  writeSafetensors,
} from './formats.mjs';

// ---- generator ----

function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** sfc32 keyed by (seed, index): the generator of one case. */
export function caseRng(seed, index) {
  let a = fmix32(seed ^ 0x9e3779b9);
  let b = fmix32(index ^ 0x85ebca6b);
  let c = fmix32((seed + Math.imul(index, 0x27d4eb2f)) ^ 0xc2b2ae35);
  let d = 1;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  const rng = {
    u32: next,
    /** An integer in [0, n). */
    int: (n) => (n <= 0 ? 0 : Math.floor((next() / 4294967296) * n)),
    float: () => next() / 4294967296,
    chance: (p) => next() / 4294967296 < p,
    pick: (arr) => arr[rng.int(arr.length)],
    /** An item of [[weight, item], ...]. */
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let x = rng.float() * total;
      for (const [w, item] of pairs) {
        x -= w;
        if (x < 0) return item;
      }
      return pairs[pairs.length - 1][1];
    },
  };
  return rng;
}

// ---- targets: which seed kinds each consumes, and how often it is picked ----

/** Fuzz targets (run by fuzz/targets.mjs): seed kinds and relative weight. */
export const TARGETS = [
  { name: 'fasttext-sup', kinds: ['ft-sup'], weight: 12 },
  { name: 'fasttext-vectors', kinds: ['ft-unsup'], weight: 8 },
  { name: 'fasttext-bin', kinds: ['ft-sup', 'ft-unsup'], weight: 6 },
  { name: 'vec', kinds: ['vec'], weight: 10 },
  { name: 'word2vec-bin', kinds: ['w2v'], weight: 10 },
  { name: 'safetensors', kinds: ['st', 'ckpt', 'saved'], weight: 12 },
  { name: 'checkpoint', kinds: ['ckpt'], weight: 14 },
  { name: 'saved-model', kinds: ['saved'], weight: 12 },
  { name: 'bert', kinds: ['bert-dir'], weight: 16 },
  { name: 'gpt2', kinds: ['gpt2-dir'], weight: 12 },
  { name: 'bpe', kinds: ['tokenizer.json'], weight: 10 },
];

// ---- building blocks ----

/** Byte sequences that are not valid UTF-8 (lone continuation, truncated lead, surrogate, overlong, > U+10FFFF). */
const BAD_UTF8 = [
  [0x80],
  [0xbf],
  [0xc3],
  [0xff],
  [0xfe],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe9, 0x41],
  [0xf0, 0x9f, 0x98],
];
const WHITESPACE = [[0x20], [0x09], [0x0b], [0x0c], [0x0d], [0x0a], [0x0d, 0x0a]];

const I32_SPECIAL = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2, 255, 65536];
const I64_SPECIAL = [
  0n,
  1n,
  -1n,
  2n ** 31n - 1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
];
const TEXT_NUMBERS = [
  '0',
  '1',
  '-1',
  '2147483647',
  '2147483648',
  '-2147483648',
  '4294967296',
  '9007199254740992',
  '9007199254740993',
  '9223372036854775807',
  '18446744073709551616',
  '99999999999999999999999999',
  '1e9',
  '1.5',
  '0x10',
  '+3',
  '',
];

function splice(b, at, del, ins = new Uint8Array(0)) {
  return concat([b.subarray(0, at), ins, b.subarray(at + del)]);
}

function setInt(b, off, width, value) {
  const out = b.slice();
  const v = new DataView(out.buffer);
  if (width === 4) v.setInt32(off, Number(value), true);
  else v.setBigInt64(off, BigInt.asIntN(64, BigInt(value)), true);
  return out;
}

function readInt(b, off, width) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return width === 4 ? v.getInt32(off, true) : v.getBigInt64(off, true);
}

function specialInt(rng, width, current) {
  if (width === 4) {
    const c = Number(current);
    return rng.pick([...I32_SPECIAL, c + 1, c - 1, c * 2, c + 1000]) | 0;
  }
  const c = BigInt(current);
  return rng.pick([...I64_SPECIAL, c + 1n, c - 1n, c * 2n, c + 1000n]);
}

// Each mutator returns { bytes, desc, canonical, kind } or null when it does not apply.
// canonical: the file keeps the layout our writers produce, so when it is accepted,
// writing it back must give exactly these bytes.

const generic = {
  bitflip(b, rng) {
    if (b.length === 0) return null;
    const out = b.slice();
    const n = 1 + rng.int(4);
    const at = [];
    for (let k = 0; k < n; k++) {
      const i = rng.int(out.length);
      out[i] ^= 1 << rng.int(8);
      at.push(i);
    }
    return { bytes: out, desc: `bitflip@${at.join(',')}` };
  },
  setbyte(b, rng) {
    if (b.length === 0) return null;
    const out = b.slice();
    const i = rng.int(out.length);
    out[i] = rng.pick([0, 0xff, 0x7f, 0x80, 0x20, 0x0a, rng.int(256)]);
    return { bytes: out, desc: `setbyte@${i}=${out[i]}` };
  },
  insert(b, rng) {
    const at = rng.int(b.length + 1);
    const ins = new Uint8Array(1 + rng.int(8)).map(() => rng.int(256));
    return { bytes: splice(b, at, 0, ins), desc: `insert@${at}+${ins.length}` };
  },
  delete(b, rng) {
    if (b.length === 0) return null;
    const at = rng.int(b.length);
    const n = Math.min(b.length - at, 1 + rng.int(16));
    return { bytes: splice(b, at, n), desc: `delete@${at}-${n}` };
  },
  dupchunk(b, rng) {
    if (b.length < 2) return null;
    const at = rng.int(b.length - 1);
    const n = Math.min(b.length - at, 1 + rng.int(64));
    return { bytes: splice(b, at, 0, b.slice(at, at + n)), desc: `dup@${at}+${n}` };
  },
  truncate(b, rng) {
    if (b.length === 0) return null;
    const at = rng.int(b.length);
    return { bytes: b.slice(0, at), desc: `truncate@${at}` };
  },
  append(b, rng) {
    const ins = new Uint8Array(1 + rng.int(16)).map(() => rng.pick([0, 0x0a, 0x20, rng.int(256)]));
    return { bytes: concat([b, ins]), desc: `append+${ins.length}` };
  },
};

function genericMutation(b, rng) {
  const name = rng.pick(Object.keys(generic));
  return generic[name](b, rng);
}

function truncateAtBoundary(b, bounds, rng) {
  const inside = bounds.filter((x) => x < b.length);
  if (inside.length === 0) return null;
  const at = Math.max(0, rng.pick(inside) + rng.pick([0, 0, 0, -1, 1]));
  return { bytes: b.slice(0, Math.min(at, b.length)), desc: `truncate@field-boundary ${at}` };
}

/** Edit the bytes of one word: invalid UTF-8 (canonical unless `sepIsStructure`), whitespace, NUL, empty. */
function wordEdit(b, words, rng, { separators }) {
  if (words.length === 0) return null;
  const w = rng.pick(words);
  const op = rng.weighted([
    [4, 'bad-utf8-replace'],
    [3, 'bad-utf8-insert'],
    [2, 'whitespace'],
    [1, 'nul'],
    [1, 'empty'],
  ]);
  if (op === 'bad-utf8-replace' || op === 'bad-utf8-insert') {
    const ins = Uint8Array.from(rng.pick(BAD_UTF8));
    const at = w.off + rng.int(w.len + (op === 'bad-utf8-insert' ? 1 : 0));
    const del = op === 'bad-utf8-replace' && w.len > 0 ? 1 : 0;
    return { bytes: splice(b, at, del, ins), desc: `word@${w.off}:${op}`, canonical: true, kind: 'word-bytes' };
  }
  if (op === 'whitespace') {
    const ws = Uint8Array.from(rng.pick(WHITESPACE));
    const at = w.off + rng.int(w.len + 1);
    const canonical = !ws.some((c) => separators.includes(c));
    return { bytes: splice(b, at, 0, ws), desc: `word@${w.off}:whitespace ${ws.join(',')}`, canonical };
  }
  if (op === 'nul') {
    const at = w.off + rng.int(w.len + 1);
    return { bytes: splice(b, at, 0, Uint8Array.of(0)), desc: `word@${w.off}:nul`, canonical: !separators.includes(0) };
  }
  return { bytes: splice(b, w.off, w.len), desc: `word@${w.off}:empty`, canonical: false };
}

// ---- JSON ----

/** A raw JSON token (1e999, NaN, duplicate-key objects are written through these). */
class Raw {
  constructor(text) {
    this.text = text;
  }
}
const DUPS = Symbol('dups');

/** JSON text of a value that may hold Raw tokens and objects with duplicate keys. */
export function stringify(v) {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(stringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts = [];
    for (const [k, x] of v[DUPS] ?? []) parts.push(`${JSON.stringify(k)}:${stringify(x)}`);
    for (const [k, x] of Object.entries(v)) parts.push(`${JSON.stringify(k)}:${stringify(x)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function jsonPaths(v, path = [], out = [], depth = 0) {
  out.push(path);
  if (depth > 6 || out.length > 400) return out;
  if (Array.isArray(v)) v.slice(0, 12).forEach((x, i) => jsonPaths(x, [...path, i], out, depth + 1));
  else if (v !== null && typeof v === 'object')
    for (const k of Object.keys(v)) jsonPaths(v[k], [...path, k], out, depth + 1);
  return out;
}

function getAt(v, path) {
  for (const k of path) v = v[k];
  return v;
}

const WRONG_TYPES = () => ['str', [], {}, null, true, false, 0, -1, [1, 2]];
const NUMBER_EDITS = (n) => [
  0,
  -1,
  1,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 53,
  2 ** 53 + 2,
  new Raw('9223372036854775807'),
  1e308,
  -1e308,
  new Raw('1e999'),
  new Raw('-1e999'),
  1.5,
  -0.5,
  'NaN',
  new Raw('NaN'),
  n + 1,
  n - 1,
  n * 2,
  -n,
];

/** One edit of parsed JSON `root` (copied): drop / retype / renumber a node, duplicate or add a key. */
export function jsonEdit(root, rng) {
  const doc = structuredClone(root);
  const paths = jsonPaths(doc);
  const path = rng.pick(paths);
  const parent = path.length === 0 ? null : getAt(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  const cur = path.length === 0 ? doc : parent[key];
  const label = path.join('.') || '<root>';
  const set = (x) => {
    if (parent === null) return x;
    parent[key] = x;
    return doc;
  };
  const ops = [];
  if (parent !== null) ops.push([3, 'drop']);
  ops.push([3, 'wrong-type']);
  if (typeof cur === 'number') ops.push([6, 'number']);
  if (typeof cur === 'string') ops.push([2, 'string']);
  if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && Object.keys(cur).length > 0)
    ops.push([2, 'dup-key'], [1, 'extra-key']);
  if (Array.isArray(cur)) ops.push([2, 'array']);
  const op = rng.weighted(ops);
  let out;
  switch (op) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(key, 1);
      else delete parent[key];
      out = doc;
      break;
    case 'wrong-type':
      out = set(rng.pick(WRONG_TYPES()));
      break;
    case 'number':
      out = set(rng.pick(NUMBER_EDITS(cur)));
      break;
    case 'string':
      out = set(rng.pick(['', 'x'.repeat(5000), '\ud800', cur + cur, cur.slice(1), cur.toUpperCase(), '__label__']));
      break;
    case 'dup-key': {
      const k = rng.pick(Object.keys(cur));
      cur[DUPS] = [[k, rng.pick([...WRONG_TYPES(), typeof cur[k] === 'number' ? cur[k] + 1 : 'dup'])]];
      out = doc;
      break;
    }
    case 'extra-key':
      cur[rng.pick(['fuzz_extra', '__proto__', 'constructor', 'toString'])] = rng.pick(WRONG_TYPES());
      out = doc;
      break;
    case 'array':
      if (cur.length > 0 && rng.chance(0.5)) cur.splice(rng.int(cur.length), 1);
      else cur.push(rng.pick([...WRONG_TYPES(), cur[0]]));
      out = doc;
      break;
  }
  return { value: out, desc: `json ${op} ${label}` };
}

function jsonTextMutation(text, rng) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const e = jsonEdit(v, rng);
  return { text: stringify(e.value), desc: e.desc };
}

// ---- per-format mutators ----

function fastTextMutation(b, rng) {
  const lay = fastTextLayout(b);
  const op = rng.weighted([
    [6, 'int'],
    [3, 'boundary'],
    [4, 'word'],
    [4, 'semantic'],
    [2, 'mantissa'],
    [3, 'generic'],
  ]);
  if (op === 'int' && lay.fields.length > 0) {
    // dictionary counts and matrix shapes more often than the args
    const f = rng.chance(0.6)
      ? (lay.fields
          .filter((x) => /^(dict\.(size|nwords|nlabels|ntokens|pruneidx)|input|output)/.test(x.name))
          .at(rng.int(8)) ?? rng.pick(lay.fields))
      : rng.pick(lay.fields);
    const value = specialInt(rng, f.width, readInt(b, f.off, f.width));
    return { bytes: setInt(b, f.off, f.width, value), desc: `${f.name}=${value}` };
  }
  if (op === 'boundary') return truncateAtBoundary(b, lay.bounds, rng);
  if (op === 'word') return wordEdit(b, lay.words, rng, { separators: [0] });
  if (op === 'semantic') {
    const m = parseFastText(b);
    if (m === null) return null;
    const sem = rng.pick([
      'output-rows-',
      'output-rows+',
      'input-rows-',
      'input-rows+',
      'label-to-word',
      'word-to-label',
    ]);
    const cut = (mat, d) => {
      const rows = mat.rows + d;
      if (rows < 0) return false;
      const data = new Uint8Array(rows * mat.cols * 4);
      data.set(mat.data.subarray(0, Math.min(mat.data.length, data.length)));
      mat.rows = rows;
      mat.data = data;
      return true;
    };
    let ok = true;
    if (sem === 'output-rows-') ok = cut(m.output, -1);
    else if (sem === 'output-rows+') ok = cut(m.output, +1);
    else if (sem === 'input-rows-') ok = cut(m.input, -1);
    else if (sem === 'input-rows+') ok = cut(m.input, +1);
    else if (sem === 'label-to-word') {
      const i = m.entries.findIndex((e) => e.type === 1);
      if (i < 0) ok = false;
      else m.entries[i].type = 0;
    } else {
      const i = m.entries.findLastIndex((e) => e.type === 0);
      if (i < 0) ok = false;
      else m.entries[i].type = 1;
    }
    if (!ok) return null;
    return { bytes: writeFastText(m), desc: `semantic ${sem}`, canonical: true, kind: 'semantic' };
  }
  if (op === 'mantissa') return mantissaFlip(b, lay.info.inputAt ?? 0, rng);
  return genericMutation(b, rng);
}

/** Flip a low mantissa bit of a float32 in the data at/after `from` (the value stays finite): canonical. */
function mantissaFlip(b, from, rng) {
  if (b.length < from + 20) return null;
  const out = b.slice();
  const base = from + 16 + 4 * rng.int(Math.floor((b.length - from - 20) / 4));
  // a float's bytes at an unknown alignment: flip bit 0..6 of its lowest byte
  out[base] ^= 1 << rng.int(7);
  return { bytes: out, desc: `mantissa@${base}` };
}

function textNumberEdit(b, numbers, rng) {
  if (numbers.length === 0) return null;
  const idx = rng.int(Math.min(2, numbers.length));
  const s = numbers[idx];
  const cur = Number(String.fromCharCode(...b.subarray(s.start, s.end)));
  const rep = rng.pick([...TEXT_NUMBERS, String(cur + 1), String(Math.max(0, cur - 1)), String(cur * 1000)]);
  return {
    bytes: splice(b, s.start, s.end - s.start, utf8(rep)),
    desc: `header ${idx === 0 ? 'count' : 'dim'}=${JSON.stringify(rep)}`,
  };
}

function word2vecMutation(b, rng) {
  const lay = word2vecLayout(b);
  const op = rng.weighted([
    [6, 'header'],
    [3, 'boundary'],
    [6, 'word'],
    [2, 'mantissa'],
    [3, 'generic'],
  ]);
  if (op === 'header') return textNumberEdit(b, lay.numbers, rng);
  if (op === 'boundary') return truncateAtBoundary(b, lay.bounds, rng);
  if (op === 'word') return wordEdit(b, lay.words, rng, { separators: [0x20, 0x0a, 0x0d, 0] });
  if (op === 'mantissa') {
    // a float of a vector: right after a word's space
    if (lay.words.length === 0) return null;
    const w = rng.pick(lay.words);
    const at = w.off + w.len + 1;
    if (at >= b.length) return null;
    const out = b.slice();
    out[at] ^= 1 << rng.int(7);
    return { bytes: out, desc: `mantissa@${at}`, canonical: true };
  }
  return genericMutation(b, rng);
}

function vecMutation(b, rng) {
  const lay = vecLayout(b);
  const op = rng.weighted([
    [6, 'header'],
    [3, 'boundary'],
    [6, 'word'],
    [3, 'value'],
    [2, 'line'],
    [3, 'generic'],
  ]);
  if (op === 'header') return textNumberEdit(b, lay.numbers, rng);
  if (op === 'boundary') return truncateAtBoundary(b, lay.bounds, rng);
  if (op === 'word') return wordEdit(b, lay.words, rng, { separators: [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d] });
  if (op === 'value') {
    if (lay.words.length === 0) return null;
    const w = rng.pick(lay.words);
    let s = w.off + w.len + 1;
    let e = s;
    while (e < b.length && b[e] !== 0x20 && b[e] !== 0x0a) e++;
    const rep = rng.pick(['nan', 'inf', '-inf', '1e999', '0x1p3', '', '1,5', '--1', '1e-50', 'Infinity', '١']);
    return { bytes: splice(b, s, e - s, utf8(rep)), desc: `value@${s}=${JSON.stringify(rep)}` };
  }
  if (op === 'line') {
    const lines = [];
    for (let o = 0; o < b.length;) {
      let e = b.indexOf(0x0a, o);
      if (e < 0) e = b.length - 1;
      lines.push([o, e + 1]);
      o = e + 1;
    }
    if (lines.length < 2) return null;
    const [s, e] = lines[1 + rng.int(lines.length - 1)];
    return rng.chance(0.5)
      ? { bytes: splice(b, s, e - s), desc: `line@${s} deleted` }
      : { bytes: splice(b, s, 0, b.slice(s, e)), desc: `line@${s} duplicated` };
  }
  return genericMutation(b, rng);
}

const DTYPES = ['F32', 'I32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'f32', 'F8_E4M3', ''];

function safetensorsMutation(b, rng, kind) {
  const file = parseSafetensors(b);
  // checkpoints and saved models carry their state in __metadata__: edit it most
  const withMeta = kind === 'ckpt' || kind === 'saved';
  const op = rng.weighted([
    [withMeta ? 3 : 5, 'header-json'],
    [withMeta ? 9 : 2, 'meta-json'],
    [withMeta ? 3 : 1, 'meta-key'],
    [withMeta ? 2 : 4, 'hdrlen'],
    [2, 'data'],
    [1, 'boundary'],
    [withMeta ? 1 : 2, 'generic'],
  ]);
  if (file === null || file.header === undefined || op === 'generic') return genericMutation(b, rng);
  const header = file.header;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (op === 'hdrlen') {
    const v = file.len;
    // mostly a little short (into the header's space padding, where the JSON still parses)
    const len = rng.chance(0.5)
      ? v - 1 - rng.int(7)
      : rng.pick([v + 1, v + 2, v - 8, v + 8, 0, 2 ** 32 + v, 2 ** 53, b.length]);
    const x = rng.chance(0.15)
      ? rng.pick([2n ** 31n - 1n, 2n ** 31n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n])
      : BigInt(Math.max(0, len));
    const out = b.slice();
    new DataView(out.buffer).setBigUint64(0, x, true);
    return { bytes: out, desc: `header length ${v} -> ${x}`, kind: 'hdrlen' };
  }
  if (op === 'data') {
    if (file.data.length === 0) return null;
    const out = b.slice();
    const at = 8 + file.len + rng.int(file.data.length);
    out[at] ^= 1 << rng.int(8);
    return { bytes: out, desc: `data bitflip@${at}`, canonical: true };
  }
  if (op === 'boundary') {
    const bounds = [0, 8, 8 + file.len];
    for (const n of names) {
      const o = header[n]?.data_offsets;
      if (Array.isArray(o)) bounds.push(8 + file.len + o[0], 8 + file.len + o[1]);
    }
    return truncateAtBoundary(b, bounds, rng);
  }
  let text;
  let desc;
  if (op === 'meta-key') {
    const meta = header.__metadata__;
    const keys = meta && typeof meta === 'object' ? Object.keys(meta) : [];
    if (keys.length === 0) return null;
    const h = structuredClone(header);
    const k = rng.pick(keys);
    const edit = rng.pick(['drop', 'not-json', '', 'null', '[]', '{}', '"str"', '1e999', '-1', 'rename']);
    if (edit === 'drop') delete h.__metadata__[k];
    else if (edit === 'rename') {
      h.__metadata__[`${k}_`] = h.__metadata__[k];
      delete h.__metadata__[k];
    } else h.__metadata__[k] = edit === 'not-json' ? '{not json' : edit;
    text = JSON.stringify(h);
    desc = `meta["${k}"] ${edit}`;
  } else if (op === 'meta-json') {
    const meta = header.__metadata__;
    const keys = meta && typeof meta === 'object' ? Object.keys(meta) : [];
    const jsonKeys = keys.filter((k) => {
      try {
        JSON.parse(meta[k]);
        return true;
      } catch {
        return false;
      }
    });
    if (jsonKeys.length === 0) return null;
    const k = rng.pick(jsonKeys);
    const m = jsonTextMutation(meta[k], rng);
    if (m === null) return null;
    const h = structuredClone(header);
    h.__metadata__[k] = rng.chance(0.1) ? m.text.slice(0, Math.max(0, m.text.length - 1 - rng.int(4))) : m.text;
    text = JSON.stringify(h);
    desc = `meta["${k}"] ${m.desc}`;
  } else if (names.length > 0 && rng.chance(0.75)) {
    const h = structuredClone(header);
    const name = rng.pick(names);
    const e = h[name];
    const field = rng.pick(['dtype', 'shape', 'data_offsets', 'entry']);
    if (e === null || typeof e !== 'object') return null;
    if (field === 'dtype') e.dtype = rng.pick(DTYPES);
    else if (field === 'shape' && Array.isArray(e.shape)) {
      const s = e.shape;
      const i = rng.int(Math.max(1, s.length));
      const edits = [
        () => (s[i] = (s[i] ?? 1) + 1),
        () => (s[i] = (s[i] ?? 1) - 1),
        () => (s[i] = 0),
        () => (s[i] = 2 ** 31),
        () => (s[i] = 2 ** 53),
        () => (s[i] = -1),
        () => (s[i] = 1.5),
        () => s.push(1),
        () => s.pop(),
        () => s.reverse(),
      ];
      rng.pick(edits)();
    } else if (field === 'data_offsets' && Array.isArray(e.data_offsets)) {
      const o = e.data_offsets;
      const edits = [
        () => (o[0] += 1),
        () => (o[1] -= 1),
        () => (o[1] += 4),
        () => (o[0] -= 4),
        () => o.reverse(),
        () => ((o[0] = 0), (o[1] = 0)),
        () => (o[1] = 2 ** 53),
        () => (o[0] = -4),
        () => o.push(o[1]),
        () => ((o[0] += 4), (o[1] += 4)),
      ];
      rng.pick(edits)();
    } else {
      const keys = Object.keys(e);
      if (keys.length > 0) delete e[rng.pick(keys)];
    }
    text = JSON.stringify(h);
    desc = `tensor "${name}" ${field} edit`;
  } else {
    const m = jsonTextMutation(file.text, rng);
    if (m === null) return null;
    text = m.text;
    desc = `header ${m.desc}`;
  }
  const delta = rng.weighted([
    [8, 0],
    [1, -1],
    [1, 1],
  ]);
  return {
    bytes: writeSafetensors(text, file.data, delta),
    desc: `${desc}${delta === 0 ? '' : `, length ${delta > 0 ? '+' : ''}${delta}`}`,
    canonical: false,
  };
}

function textFileMutation(b, rng) {
  const s = new TextDecoder().decode(b);
  const lines = s.split('\n');
  const op = rng.pick(['drop-line', 'dup-line', 'insert', 'truncate', 'generic', 'special']);
  if (op === 'drop-line') lines.splice(rng.int(lines.length), 1);
  else if (op === 'dup-line') lines.splice(rng.int(lines.length), 0, rng.pick(lines));
  else if (op === 'insert')
    lines.splice(rng.int(lines.length), 0, rng.pick(['', '\r', '\0', ' ', 'x'.repeat(300), '##']));
  else if (op === 'special') {
    const i = lines.findIndex((l) => /^\[(UNK|CLS|SEP|PAD|MASK)\]$/.test(l));
    if (i < 0) return null;
    lines[i] = rng.pick(['', '[unk]', lines[i] + ' ']);
  } else if (op === 'truncate') return generic.truncate(b, rng);
  else return genericMutation(b, rng);
  return { bytes: utf8(lines.join('\n')), desc: `text ${op}` };
}

function jsonFileMutation(b, rng) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return genericMutation(b, rng);
  }
  if (rng.chance(0.15)) return rng.chance(0.5) ? generic.truncate(b, rng) : genericMutation(b, rng);
  const m = jsonTextMutation(text, rng);
  return m === null ? genericMutation(b, rng) : { bytes: utf8(m.text), desc: m.desc };
}

/** A mutation of one file by its name / kind. */
export function mutateFile(name, b, rng) {
  if (name.endsWith('.safetensors') || name === 'st' || name === 'ckpt' || name === 'saved')
    return safetensorsMutation(b, rng, name);
  if (name.endsWith('.json')) return jsonFileMutation(b, rng);
  if (name.endsWith('.txt')) return textFileMutation(b, rng);
  if (name === 'ft-sup' || name === 'ft-unsup') return fastTextMutation(b, rng);
  if (name === 'w2v') return word2vecMutation(b, rng);
  if (name === 'vec') return vecMutation(b, rng);
  return genericMutation(b, rng);
}

function bertDirMutation(files, seed, allSeeds, rng) {
  const out = { ...files };
  const names = Object.keys(out);
  const op = rng.weighted([
    [names.length > 0 ? 8 : 0, 'file'],
    [3, 'mix'],
    [names.length > 0 ? 1 : 0, 'drop'],
    [1, 'add-tokenizer-json'],
  ]);
  if (op === 'mix') {
    const others = allSeeds.filter((s) => s.kind === seed.kind && s.id !== seed.id);
    const other = rng.pick(others);
    const name = rng.pick(Object.keys(other.files));
    out[name] = other.files[name];
    return { files: out, desc: `mixed: ${name} from ${other.id}` };
  }
  if (op === 'drop') {
    const name = rng.pick(names);
    delete out[name];
    return { files: out, desc: `dropped ${name}` };
  }
  if (op === 'add-tokenizer-json') {
    const other = allSeeds.find((s) => s.kind === 'bert-dir' && s.files['tokenizer.json'] !== undefined);
    if (!other || out['tokenizer.json'] !== undefined) return null;
    out['tokenizer.json'] = other.files['tokenizer.json'];
    return { files: out, desc: `added tokenizer.json of ${other.id}` };
  }
  const name = rng.weighted(names.map((n) => [n === 'model.safetensors' || n === 'config.json' ? 3 : 1, n]));
  const m = mutateFile(name, out[name], rng);
  if (m === null) return null;
  out[name] = m.bytes;
  return { files: out, desc: `${name}: ${m.desc}`, kind: m.kind === 'hdrlen' ? undefined : m.kind };
}

/**
 * The plan of case `index`: target, seed and mutated input. `seeds` is the seed
 * list ({ id, kind, bytes | files }); `only` restricts the targets; `delivery`
 * forces how the bytes are passed (else drawn per case).
 */
export function planCase(runSeed, index, seeds, only, delivery) {
  const rng = caseRng(runSeed, index);
  const targets = TARGETS.filter((t) => only === undefined || t.name === only);
  const target = rng.weighted(targets.map((t) => [t.weight, t]));
  let pool = seeds.filter((s) => target.kinds.includes(s.kind));
  // Now and then a seed of another binary kind (a checkpoint fed to the fastText reader, ...).
  if (rng.chance(0.06) && target.name !== 'bert') pool = seeds.filter((s) => s.bytes !== undefined);
  const seed = rng.pick(pool);
  const base = seed.bytes !== undefined ? { bytes: seed.bytes } : { files: seed.files };
  const muts = [];
  let canonical = seed.canonical === true;
  let kind;
  const rounds = rng.chance(0.03)
    ? 0
    : rng.weighted([
        [75, 1],
        [18, 2],
        [7, 3 + rng.int(2)],
      ]);
  let cur = base;
  for (let r = 0; r < rounds; r++) {
    let m = null;
    for (let attempt = 0; attempt < 4 && m === null; attempt++) {
      m =
        cur.files !== undefined
          ? bertDirMutation(cur.files, seed, seeds, rng)
          : (mutateFile(seed.kind, cur.bytes, rng) ?? genericMutation(cur.bytes, rng));
    }
    if (m === null) continue;
    cur = m.files !== undefined ? { files: m.files } : { bytes: m.bytes };
    muts.push(m.desc);
    canonical = canonical && m.canonical === true;
    kind = rounds === 1 ? m.kind : undefined;
  }
  return {
    index,
    target: target.name,
    seedId: seed.id,
    seedKind: seed.kind,
    input: cur,
    muts,
    canonical,
    kind,
    /** How the bytes reach the library: a Node Buffer in a shared pool, an offset view, or a plain array. */
    delivery:
      delivery ??
      rng.weighted([
        [5, 'buffer-pool'],
        [3, 'buffer-offset'],
        [1, 'uint8array'],
        [1, 'file'],
      ]),
    rng,
  };
}
