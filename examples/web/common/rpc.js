// Calls into a demo's Web Worker: call(type, payload, onEvent) resolves with the
// handler's result; onEvent receives what the handler emits on the way (progress).

/** Main-thread side. `url` is the worker bundle (a module worker). */
export function connect(url) {
  const worker = new Worker(url, { type: 'module' });
  const calls = new Map();
  let next = 1;
  worker.addEventListener('message', ({ data }) => {
    const c = calls.get(data.id);
    if (c === undefined) return;
    if ('event' in data) c.onEvent?.(data.event);
    else {
      calls.delete(data.id);
      if ('error' in data) c.reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
      else c.resolve(data.result);
    }
  });
  worker.addEventListener('error', (e) => {
    for (const c of calls.values()) c.reject(new Error(`worker failed: ${e.message}`));
    calls.clear();
  });
  return {
    call(type, payload = {}, onEvent, transfer = []) {
      const id = next++;
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve, reject, onEvent });
        worker.postMessage({ id, type, payload }, transfer);
      });
    },
    terminate: () => worker.terminate(),
  };
}

/** Worker side: `handlers[type](payload, emit)` may be async; its result is posted back. */
export function serve(handlers) {
  self.addEventListener('message', async ({ data }) => {
    const { id, type, payload } = data;
    const emit = (event) => self.postMessage({ id, event });
    try {
      const h = handlers[type];
      if (h === undefined)
        throw new Error(`unknown request ${JSON.stringify(type)}; known: ${Object.keys(handlers).join(', ')}`);
      const { value, transfer } = unwrap(await h(payload, emit));
      self.postMessage({ id, result: value }, transfer);
    } catch (e) {
      self.postMessage({ id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(e) } });
    }
  });
}

/** A handler may return withTransfer(value, [buffers]) to move buffers instead of copying them. */
export function withTransfer(value, transfer) {
  return { [TRANSFER]: true, value, transfer };
}
const TRANSFER = Symbol('transfer');
const unwrap = (r) => (r !== null && typeof r === 'object' && r[TRANSFER] ? r : { value: r, transfer: [] });
