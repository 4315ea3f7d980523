// The `wasm-nlp/node` task: files from disk through the Node-only helpers. Plain
// ESM with no imports: the caller passes the two module namespaces, `w` ('wasm-nlp',
// already init()ed) and `n` ('wasm-nlp/node'), so the same file runs on the
// installed package (node-io.mjs, node-io.cjs) and on the repository's src/
// (tests/node/pack.test.ts computes the expected result with it).
//
//   1. BERT: loadBertFromDirectory(bertDir, BertForMaskedLM) (config.json +
//      model.safetensors), a forward pass over `bert` inputs; the logits.
//   2. fastText: loadFastTextBin(fastTextBin) (a native supervised .bin), the
//      sentence vectors and top-3 predictions of `lines`; saveFastTextBin into
//      `outDir` and readBytes back must give the original bytes.
//   3. One library: an error thrown inside 'wasm-nlp/node' is an instance of the
//      'wasm-nlp' ArgumentError class (the two entries share one copy of the library).

/**
 * @param {any} w 'wasm-nlp'
 * @param {any} n 'wasm-nlp/node'
 * @param {{ bertDir: string, bert: { batch: number, seq: number, inputIds: number[], tokenTypeIds: number[], attentionMask: number[] },
 *           fastTextBin: string, lines: string[], outDir: string }} o
 */
export async function nodeIoTask(w, n, o) {
  const m = await n.loadBertFromDirectory(o.bertDir, w.BertForMaskedLM);
  const ids = (a) => w.Tensor.fromArray(Int32Array.from(a), [o.bert.batch, o.bert.seq], 'int32');
  const x = {
    inputIds: ids(o.bert.inputIds),
    tokenTypeIds: ids(o.bert.tokenTypeIds),
    attentionMask: ids(o.bert.attentionMask),
  };
  let logits;
  try {
    logits = Array.from(w.noGrad(() => m.forward(x).toArray()));
  } finally {
    w.tape.release();
    for (const t of Object.values(x)) t.dispose();
    m.dispose();
  }

  const data = await n.loadFastTextBin(o.fastTextBin);
  const clf = w.FastTextClassifier.fromBytes(w.writeFastTextBin(data));
  let predictions;
  try {
    predictions = o.lines.map((l) => clf.predict(l, 3));
  } finally {
    clf.dispose();
  }
  const sentenceVectors = o.lines.map((l) => Array.from(w.fastTextSentenceVector(data, l)));
  const copy = `${o.outDir}/copy.bin`;
  await n.saveFastTextBin(copy, data);
  const [a, b] = await Promise.all([n.readBytes(o.fastTextBin), n.readBytes(copy)]);
  const sameBytes = a.length === b.length && a.every((v, i) => v === b[i]);

  const err = await n.loadBertFromDirectory('', w.BertModel).then(
    () => null,
    (e) => e,
  );
  return {
    bert: { config: m.config, logits },
    fastText: {
      model: data.args.model,
      labels: data.words
        .filter((e) => e.type === 'label')
        .map((e) => e.word)
        .sort(),
      predictions,
      sentenceVectors,
      sameBytes,
    },
    oneLibrary: err instanceof w.ArgumentError && err instanceof w.WasmNlpError,
    nodeExports: Object.keys(n).sort(),
  };
}
