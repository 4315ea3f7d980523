// The fuzzer's own view of the file formats, written from the format descriptions
// (docs/formats.md), not from the library: where each field of a file is (so
// mutations can edit header integers, words and lengths), structured parses and
// writers for the semantic edits, and reference readers whose interpretation of a
// file the library's must agree with when it accepts it.

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const utf8 = (s) => enc.encode(s);
export function strictUtf8(b) {
  return dec.decode(b);
}

export function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first index where a and b differ (or the shorter length), for messages. */
export function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

// ---- fastText .bin ----

const ARG_NAMES = ['dim', 'ws', 'epoch', 'minCount', 'neg', 'wordNgrams', 'loss', 'model', 'bucket', 'minn', 'maxn'];

/**
 * A lenient walk over a fastText .bin: the integer fields with their offsets and
 * widths, the word byte spans, the field boundaries, and the counts. Stops at the
 * first thing that does not fit (what was found so far is returned).
 */
export function fastTextLayout(b) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields = [];
  const words = [];
  const bounds = [0];
  const info = { complete: false };
  let o = 0;
  const i32 = (name) => {
    if (o + 4 > b.length) throw new Error('end');
    fields.push({ name, off: o, width: 4 });
    const x = v.getInt32(o, true);
    o += 4;
    bounds.push(o);
    return x;
  };
  const i64 = (name) => {
    if (o + 8 > b.length) throw new Error('end');
    fields.push({ name, off: o, width: 8 });
    const x = v.getBigInt64(o, true);
    o += 8;
    bounds.push(o);
    return x;
  };
  try {
    i32('magic');
    i32('version');
    for (const n of ARG_NAMES) info[n] = i32(`args.${n}`);
    info.lrUpdateRate = i32('args.lrUpdateRate');
    o += 8; // t
    bounds.push(o);
    info.size = i32('dict.size');
    info.nwords = i32('dict.nwords');
    info.nlabels = i32('dict.nlabels');
    info.ntokens = i64('dict.ntokens');
    info.prune = i64('dict.pruneidx_size');
    if (info.size < 0 || info.size > 1e6) throw new Error('size');
    info.types = [];
    for (let i = 0; i < info.size; i++) {
      const end = b.indexOf(0, o);
      if (end < 0) throw new Error('end');
      words.push({ off: o, len: end - o, entry: i });
      o = end + 1;
      bounds.push(o);
      i64(`dict.entry${i}.count`);
      if (o >= b.length) throw new Error('end');
      info.types.push(b[o]);
      o += 1;
      bounds.push(o);
    }
    if (info.prune > 0n && info.prune < 1000000n) {
      o += Number(info.prune) * 8;
      bounds.push(o);
    }
    o += 1; // quant
    bounds.push(o);
    info.inputAt = o;
    info.inputRows = i64('input.rows');
    info.inputCols = i64('input.cols');
    const inBytes = Number(info.inputRows * info.inputCols) * 4;
    if (!(inBytes >= 0) || o + inBytes > b.length) throw new Error('end');
    o += inBytes;
    bounds.push(o);
    o += 1; // qout
    bounds.push(o);
    info.outputAt = o;
    info.outputRows = i64('output.rows');
    info.outputCols = i64('output.cols');
    const outBytes = Number(info.outputRows * info.outputCols) * 4;
    if (!(outBytes >= 0) || o + outBytes > b.length) throw new Error('end');
    o += outBytes;
    bounds.push(o);
    info.complete = o === b.length;
  } catch {
    // partial layout
  }
  return { fields, words, bounds: [...new Set(bounds)].filter((x) => x <= b.length), info };
}

/** A structured parse of a well-formed fastText .bin (null when it is not one), for semantic edits. */
export function parseFastText(b) {
  const lay = fastTextLayout(b);
  const info = lay.info;
  if (!info.complete || info.prune > 0n) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const entries = lay.words.map((w) => ({
    word: b.slice(w.off, w.off + w.len),
    count: v.getBigInt64(w.off + w.len + 1, true),
    type: b[w.off + w.len + 9],
  }));
  const mat = (at) => {
    const rows = Number(v.getBigInt64(at, true));
    const cols = Number(v.getBigInt64(at + 8, true));
    return { rows, cols, data: b.slice(at + 16, at + 16 + rows * cols * 4) };
  };
  return {
    head: b.slice(0, 64), // magic, version, 12 args, t
    ntokens: info.ntokens,
    entries,
    input: mat(info.inputAt),
    output: mat(info.outputAt),
    info,
  };
}

/** Bytes of a parsed model (the writer's layout: pruneidx_size -1, flags 0). */
export function writeFastText(m) {
  const parts = [m.head];
  const nwords = m.entries.filter((e) => e.type === 0).length;
  const d = new Uint8Array(28);
  const dv = new DataView(d.buffer);
  dv.setInt32(0, m.entries.length, true);
  dv.setInt32(4, m.nwordsOverride ?? nwords, true);
  dv.setInt32(8, m.nlabelsOverride ?? m.entries.length - nwords, true);
  dv.setBigInt64(12, m.ntokens, true);
  dv.setBigInt64(20, -1n, true);
  parts.push(d);
  for (const e of m.entries) {
    const t = new Uint8Array(e.word.length + 10);
    t.set(e.word, 0);
    new DataView(t.buffer).setBigInt64(e.word.length + 1, e.count, true);
    t[e.word.length + 9] = e.type;
    parts.push(t);
  }
  for (const mat of [m.input, m.output]) {
    const h = new Uint8Array(17);
    const hv = new DataView(h.buffer);
    hv.setBigInt64(1, BigInt(mat.rows), true);
    hv.setBigInt64(9, BigInt(mat.cols), true);
    parts.push(h, mat.data);
  }
  return concat(parts);
}

// ---- safetensors ----

/** Header length, JSON text and data section of a safetensors file (null when the length does not fit). */
export function parseSafetensors(b) {
  if (b.length < 8) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = v.getBigUint64(0, true);
  if (n > BigInt(b.length - 8)) return null;
  const len = Number(n);
  let text;
  try {
    text = strictUtf8(b.subarray(8, 8 + len));
  } catch {
    return null;
  }
  let header;
  try {
    header = JSON.parse(text);
  } catch {
    header = undefined;
  }
  return { len, text, header, data: b.subarray(8 + len) };
}

/** A safetensors file from header JSON text and a data section; the length field is the padded length + delta. */
export function writeSafetensors(text, data, delta = 0, pad = true) {
  let t = utf8(text);
  if (pad && t.length % 8 !== 0) t = concat([t, new Uint8Array(8 - (t.length % 8)).fill(0x20)]);
  const out = new Uint8Array(8 + t.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, t.length + delta)), true);
  out.set(t, 8);
  out.set(data, 8 + t.length);
  return out;
}

const ITEM = { F32: 4, I32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

function half(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The reference reading of one tensor of a file the library accepted: the bits it
 * must have given (as a Uint32Array of float32/int32 bits), or undefined when the
 * reference cannot tell (an entry it does not understand).
 */
export function referenceTensorBits(file, name) {
  const e = file.header?.[name];
  if (!e || typeof e !== 'object' || !(e.dtype in ITEM) || !Array.isArray(e.data_offsets)) return undefined;
  const [begin, end] = e.data_offsets;
  const data = file.data;
  if (!(begin >= 0 && end <= data.length && begin <= end)) return undefined;
  const v = new DataView(data.buffer, data.byteOffset + begin, end - begin);
  const count = (end - begin) / ITEM[e.dtype];
  const out = new Uint32Array(count);
  const f = new Float32Array(1);
  const fu = new Uint32Array(f.buffer);
  for (let i = 0; i < count; i++) {
    switch (e.dtype) {
      case 'F32':
      case 'I32':
        out[i] = v.getUint32(4 * i, true);
        break;
      case 'F16':
        f[0] = half(v.getUint16(2 * i, true));
        out[i] = fu[0];
        break;
      case 'BF16':
        out[i] = v.getUint16(2 * i, true) << 16;
        break;
      case 'F64':
        f[0] = v.getFloat64(8 * i, true);
        out[i] = fu[0];
        break;
      case 'I64':
        out[i] = v.getUint32(8 * i, true);
        break;
    }
  }
  return out;
}

/** The bits of a typed array (float32 or int32) as a Uint32Array view. */
export const bitsOf = (a) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** NaN-aware equality of float32 bit patterns: any NaN equals any NaN (payloads may be canonicalised by a conversion). */
export function sameBits(a, b, floats) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (floats && (a[i] & 0x7f800000) === 0x7f800000 && (b[i] & 0x7f800000) === 0x7f800000) {
      if ((a[i] & 0x7fffff) !== 0 && (b[i] & 0x7fffff) !== 0) continue;
    }
    return false;
  }
  return true;
}

// ---- word2vec binary and .vec text ----

/** The header line and word spans of a word2vec binary file (lenient; `dim` taken from the header). */
export function word2vecLayout(b) {
  const nl = b.indexOf(0x0a);
  const words = [];
  const bounds = [0];
  const header = { start: 0, end: nl < 0 ? b.length : nl };
  if (nl < 0) return { header, words, bounds, numbers: numberSpans(b, 0, b.length) };
  bounds.push(nl, nl + 1);
  const numbers = numberSpans(b, 0, nl);
  const dim = numbers.length === 2 ? Number(strAscii(b, numbers[1].start, numbers[1].end)) : 0;
  let o = nl + 1;
  for (let i = 0; i < 10000 && o < b.length; i++) {
    while (o < b.length && (b[o] === 0x0a || b[o] === 0x0d)) o++;
    const sp = b.indexOf(0x20, o);
    if (sp < 0) break;
    words.push({ off: o, len: sp - o });
    bounds.push(o, sp, sp + 1);
    o = sp + 1 + 4 * dim;
    if (o > b.length) break;
    bounds.push(o);
  }
  return { header, words, bounds, numbers };
}

/** Header numbers and word spans of a .vec text file. */
export function vecLayout(b) {
  const words = [];
  const bounds = [0];
  const nl = b.indexOf(0x0a);
  const hend = nl < 0 ? b.length : nl;
  const numbers = numberSpans(b, 0, hend);
  let o = nl < 0 ? b.length : nl + 1;
  bounds.push(o);
  while (o < b.length && words.length < 10000) {
    let end = b.indexOf(0x0a, o);
    if (end < 0) end = b.length;
    let s = o;
    while (s < end && (b[s] === 0x20 || b[s] === 0x09)) s++;
    let e = s;
    while (e < end && b[e] !== 0x20 && b[e] !== 0x09 && b[e] !== 0x0d) e++;
    if (e > s) words.push({ off: s, len: e - s });
    // every token boundary of the line
    for (let k = o; k < end; k++) if (b[k] === 0x20) bounds.push(k, k + 1);
    o = end + 1;
    bounds.push(Math.min(o, b.length));
  }
  return { words, bounds: [...new Set(bounds)], numbers };
}

function numberSpans(b, from, to) {
  const out = [];
  let i = from;
  while (i < to) {
    while (i < to && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0d)) i++;
    const s = i;
    while (i < to && b[i] !== 0x20 && b[i] !== 0x09 && b[i] !== 0x0d) i++;
    if (i > s) out.push({ start: s, end: i });
  }
  return out;
}

function strAscii(b, s, e) {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]);
  return out;
}

/** The word byte spans of a .vec or word2vec file, counted as the reference reads them (for round-trip checks). */
export function wordByteStrings(b, kind) {
  const lay = kind === 'vec' ? vecLayout(b) : word2vecLayout(b);
  return lay.words.map((w) => b.subarray(w.off, w.off + w.len));
}
