// A dense layer in Wasm: y = relu(x · Wᵀ + b), then the same through ops.gemm() on
// plain Float32Arrays. Run after `npm run build`: node examples/matmul.mjs
import { init, Tensor, ops, memoryStats } from '../dist/wasm-nlp.node.js';

await init();
const x = Tensor.randn([32, 300], { seed: 1 });
const w = Tensor.randn([100, 300], { seed: 2, std: 0.05 });
const b = Tensor.zeros([100]);
const y = ops.matmul(x, w, { transposeB: true, bias: b, activation: 'relu' });
const out = y.toArray();
console.log(`y: ${y.shape.join('x')}, ${out.filter((v) => v > 0).length} of ${out.length} units active`);

const c = ops.gemm(x.toArray(), w.toArray(), { m: 32, k: 300, n: 100, transposeB: true });
const same = c.every((v, i) => Math.max(v, 0) === out[i]);
console.log(`gemm on Float32Arrays agrees bit for bit: ${same}`);
console.log('memory:', memoryStats());
for (const t of [x, w, b, y]) t.dispose();
