// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC 2011).
//
// A block is philox(key, counter) -> 4 x u32 with key = (key0, key1) (the seed)
// and counter = (ctr_lo, ctr_hi, stream, 0). Output element i of a fill comes
// from block counter + floor(i / 4), lane i % 4, so any element can be
// regenerated from (seed, stream, counter) alone: a backward pass re-derives a
// dropout mask instead of storing it, and a checkpoint stores only counters.
// src/core/rng.ts mirrors this bit for bit (tests compare long streams).

// @ts-ignore: decorator
@inline const PHILOX_M0: u64 = 0xd2511f53;
// @ts-ignore: decorator
@inline const PHILOX_M1: u64 = 0xcd9e8d57;
// @ts-ignore: decorator
@inline const PHILOX_W0: u32 = 0x9e3779b9;
// @ts-ignore: decorator
@inline const PHILOX_W1: u32 = 0xbb67ae85;

/** 2^-24: a 24-bit integer times this is an exact f32 in [0, 1). */
// @ts-ignore: decorator
@inline const INV_2_24: f32 = 5.9604644775390625e-8;

/** One Philox4x32-10 block as a v128 of 4 u32 (lane 0 = word 0). Ten rounds, key bumped between rounds. */
export function philox_block(key0: u32, key1: u32, c0: u32, c1: u32, c2: u32, c3: u32): v128 {
  let k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    if (r > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
    const p0 = PHILOX_M0 * <u64>c0;
    const p1 = PHILOX_M1 * <u64>c2;
    c0 = <u32>(p1 >> 32) ^ c1 ^ k0;
    c1 = <u32>p1;
    c2 = <u32>(p0 >> 32) ^ c3 ^ k1;
    c3 = <u32>p0;
  }
  let v = i32x4.splat(c0);
  v = i32x4.replace_lane(v, 1, c1);
  v = i32x4.replace_lane(v, 2, c2);
  return i32x4.replace_lane(v, 3, c3);
}

/**
 * Raw words: out[i] = lane i % 4 of philox(key, (counter + floor(i / 4), stream)).
 *   out (n) u32, written, 4-byte aligned; any n (the last block is cut).
 * counter = (counterHi << 32) | counterLo, 64-bit, wrapping.
 */
export function philox4x32_fill_u32(out: usize, n: i32, key0: u32, key1: u32, stream: u32,
                                    counterLo: u32, counterHi: u32): void {
  let ctr = (<u64>counterHi << 32) | <u64>counterLo;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(out + (<usize>i << 2), philox_block(key0, key1, <u32>ctr, <u32>(ctr >> 32), stream, 0));
    ctr++;
  }
  if (i < n) {
    const v = philox_block(key0, key1, <u32>ctr, <u32>(ctr >> 32), stream, 0);
    store<u32>(out + (<usize>i << 2), i32x4.extract_lane(v, 0));
    if (i + 1 < n) store<u32>(out + (<usize>(i + 1) << 2), i32x4.extract_lane(v, 1));
    if (i + 2 < n) store<u32>(out + (<usize>(i + 2) << 2), i32x4.extract_lane(v, 2));
  }
}

/**
 * Uniform floats in [0, 1): out[i] = (word_i >>> 8) * 2^-24 with word_i as in
 * philox4x32_fill_u32. Exact (24 bits), so identical in every runtime.
 *   out (n) f32, written, 4-byte aligned; any n.
 */
export function philox4x32_fill_uniform_f32(out: usize, n: i32, key0: u32, key1: u32, stream: u32,
                                        counterLo: u32, counterHi: u32): void {
  let ctr = (<u64>counterHi << 32) | <u64>counterLo;
  const scale = f32x4.splat(INV_2_24);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = philox_block(key0, key1, <u32>ctr, <u32>(ctr >> 32), stream, 0);
    v128.store(out + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(w, 8)), scale));
    ctr++;
  }
  if (i < n) {
    const w = philox_block(key0, key1, <u32>ctr, <u32>(ctr >> 32), stream, 0);
    const f = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(w, 8)), scale);
    store<f32>(out + (<usize>i << 2), f32x4.extract_lane(f, 0));
    if (i + 1 < n) store<f32>(out + (<usize>(i + 1) << 2), f32x4.extract_lane(f, 1));
    if (i + 2 < n) store<f32>(out + (<usize>(i + 2) << 2), f32x4.extract_lane(f, 2));
  }
}

/**
 * Normal samples: each block's words (w0, w1) and (w2, w3) make two pairs for
 * Box-Muller in f64: r = sqrt(-2 ln u), u = ((w0 >>> 8) + 1) * 2^-24 in (0, 1];
 * t = 2 pi (w1 >>> 8) * 2^-24; outputs mean + std * r cos t, mean + std * r sin t.
 *   out (n) f32, written, 4-byte aligned; any n. Element i uses block
 *   counter + floor(i / 4), like the other fills.
 * The f64 log/cos/sin are AssemblyScript's own (compiled into the module), so
 * the results do not depend on the host's Math library.
 */
export function philox4x32_fill_normal_f32(out: usize, n: i32, key0: u32, key1: u32, stream: u32,
                                       counterLo: u32, counterHi: u32, mean: f32, std: f32): void {
  let ctr = (<u64>counterHi << 32) | <u64>counterLo;
  for (let i = 0; i < n; i += 4) {
    const w = philox_block(key0, key1, <u32>ctr, <u32>(ctr >> 32), stream, 0);
    ctr++;
    const r0 = box_radius(i32x4.extract_lane(w, 0)), t0 = box_angle(i32x4.extract_lane(w, 1));
    const r1 = box_radius(i32x4.extract_lane(w, 2)), t1 = box_angle(i32x4.extract_lane(w, 3));
    const p = out + (<usize>i << 2);
    store<f32>(p, mean + std * <f32>(r0 * Math.cos(t0)));
    if (i + 1 < n) store<f32>(p, mean + std * <f32>(r0 * Math.sin(t0)), 4);
    if (i + 2 < n) store<f32>(p, mean + std * <f32>(r1 * Math.cos(t1)), 8);
    if (i + 3 < n) store<f32>(p, mean + std * <f32>(r1 * Math.sin(t1)), 12);
  }
}

/** sqrt(-2 ln u) with u = ((w >>> 8) + 1) / 2^24 in (0, 1]: never infinite. */
// @ts-ignore: decorator
@inline function box_radius(w: u32): f64 {
  const u = <f64>((w >>> 8) + 1) * 5.9604644775390625e-8;
  return Math.sqrt(-2.0 * Math.log(u));
}

/** 2 pi (w >>> 8) / 2^24. */
// @ts-ignore: decorator
@inline function box_angle(w: u32): f64 {
  return 6.283185307179586 * (<f64>(w >>> 8) * 5.9604644775390625e-8);
}

/** High words of the 4 lane products a * m (u32 x u32 -> u64). */
// @ts-ignore: decorator
@inline function mulhi_u32x4(a: v128, m: v128): v128 {
  return i32x4.shuffle(i64x2.extmul_low_i32x4_u(a, m), i64x2.extmul_high_i32x4_u(a, m), 1, 3, 5, 7);
}

/**
 * Four consecutive Philox4x32-10 blocks, counters ctr .. ctr + 3 (64-bit,
 * wrapping) with (stream, 0) as the upper counter words, computed one block per
 * lane and stored block after block (16 u32) at dst: bit for bit four calls of
 * philox_block, about four times faster.
 */
// @ts-ignore: decorator
@inline export function philox_x4_store(dst: usize, key0: u32, key1: u32, ctr: u64, stream: u32): void {
  const lo = <u32>ctr;
  let x0 = i32x4.add(i32x4.splat(lo), i32x4(0, 1, 2, 3));
  const carry = i32x4.lt_u(x0, i32x4.splat(lo));
  let x1 = i32x4.sub(i32x4.splat(<i32>(ctr >> 32)), carry);
  let x2 = i32x4.splat(stream);
  let x3 = i32x4.splat(0);
  let k0 = i32x4.splat(key0), k1 = i32x4.splat(key1);
  const m0 = i32x4.splat(<i32>PHILOX_M0), m1 = i32x4.splat(<i32>PHILOX_M1);
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi_u32x4(x0, m0), lo0 = i32x4.mul(x0, m0);
    const hi1 = mulhi_u32x4(x2, m1), lo1 = i32x4.mul(x2, m1);
    x0 = v128.xor(v128.xor(hi1, x1), k0);
    x1 = lo1;
    x2 = v128.xor(v128.xor(hi0, x3), k1);
    x3 = lo0;
    k0 = i32x4.add(k0, i32x4.splat(PHILOX_W0));
    k1 = i32x4.add(k1, i32x4.splat(PHILOX_W1));
  }
  // Transpose: lane b of x0..x3 are the words of block b.
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5), t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7), t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
  v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
  v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
}
