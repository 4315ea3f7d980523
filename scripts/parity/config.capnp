# workerd config of the parity task (scripts/parity.mjs). Paths are relative to
# this file; the library is the repository's dist/ (npm run build first).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .parityWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const parityWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "task.js", esModule = embed "task.js"),
    (name = "wasm-nlp.workerd.js", esModule = embed "../../dist/wasm-nlp.workerd.js"),
    (name = "wasm-nlp.wasm", wasm = embed "../../dist/wasm-nlp.wasm"),
  ],
  compatibilityDate = "2026-11-01",
);
