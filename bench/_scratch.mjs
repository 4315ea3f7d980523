import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
await tf.setBackend('cpu');
const a = tf.randomNormal([256,256], 0, 1, 'float32', 1), b = tf.randomNormal([256,256], 0, 1, 'float32', 2);
for (let i = 0; i < 3; i++) {
let t0 = performance.now(); const c = tf.matMul(a,b); let t1 = performance.now();
const vals = tf.engine().backend.data.get(c.dataId).values;
c.dataSync(); let t2 = performance.now();
console.log('matMul', (t1-t0).toFixed(1), 'ms; values present before dataSync:', vals != null, 'dataSync', (t2-t1).toFixed(2), 'ms');
c.dispose();
}
