# workerd configuration of the edge example (docs/edge.md):
#   npm run edge    (builds, trains if needed, bundles, then: workerd serve examples/edge/config.capnp)
# Paths after `embed` are relative to this file: the bundle, the core .wasm and
# the models are written into build/ by `npm run edge:build`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .edgeWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const edgeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "build/worker.js"),
    # a WebAssembly.Module: workerd forbids compiling Wasm from bytes at run time
    (name = "wasm-nlp.wasm", wasm = embed "build/wasm-nlp.wasm"),
    # data modules: imported as ArrayBuffers
    (name = "spam.bin", data = embed "build/spam.bin"),
    (name = "vectors.bin", data = embed "build/vectors.bin"),
    (name = "meta.json", json = embed "build/meta.json"),
  ],
  compatibilityDate = "2026-11-01",
);
