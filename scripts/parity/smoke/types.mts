// Type-checked with tsc (module nodenext) against the installed package's types.
import { init, Tensor, ops, FastTextClassifier, type RuntimeInfo, type Prediction } from 'wasm-nlp';
// @ts-expect-error the raw ops are in the `ops` namespace, not at the root
import { matmul } from 'wasm-nlp';

const info: RuntimeInfo = await init();
const c: Tensor = ops.matmul(Tensor.fromArray([1, 2, 3, 4], [2, 2]), Tensor.fromArray([1, 0, 0, 1], [2, 2]));
const clf = await FastTextClassifier.train('__label__a x y\n__label__b z w\n', { dim: 4, epoch: 1 });
const p: Prediction[] = clf.predict('x y');
export const out = [info.build, c.shape, p[0]?.label, matmul];
