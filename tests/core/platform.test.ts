// compileFetched: streaming compilation when the server says application/wasm,
// and the ArrayBuffer fallback when it sends another MIME type (a common
// static-server default). data: URLs carry the type, in Node and browsers alike.
import { afterEach, describe, expect, test } from 'vitest';
import { compileFetched } from '../../src/core/platform.js';
import { init, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';
import { wasmBytes } from '../helpers/runtime.js';

function dataUrl(bytes: Uint8Array, type: string): URL {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return new URL(`data:${type};base64,${btoa(s)}`);
}

afterEach(() => shutdown());

describe('compileFetched', () => {
  for (const type of ['application/wasm', 'application/octet-stream', 'text/plain']) {
    test(`compiles a module served as ${type} and init({ module }) runs it`, async () => {
      const module = await compileFetched(dataUrl(await wasmBytes('wasm-nlp.wasm'), type));
      expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain('gemm_f32');
      await init({ module });
      const c = matmul(Tensor.fromArray([1, 2, 3, 4], [2, 2]), Tensor.fromArray([5, 6, 7, 8], [2, 2]));
      expect(Array.from(c.toArray())).toEqual([19, 22, 43, 50]);
    });
  }

  test('bytes that are not Wasm reject with a CompileError', async () => {
    await expect(compileFetched(dataUrl(new Uint8Array([1, 2, 3]), 'application/octet-stream'))).rejects.toThrow(
      WebAssembly.CompileError,
    );
  });
});
