# workerd config of the packed-package smoke test (copied next to the bundle).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .smokeWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const smokeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "wasm-nlp.wasm", wasm = embed "wasm-nlp.wasm"),
  ],
  compatibilityDate = "2026-11-01",
);
