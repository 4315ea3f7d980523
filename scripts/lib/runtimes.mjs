// The three real runtimes, driven from Node: a static HTTP server for pages
// (cross-origin isolated by default), Debian's Chromium through playwright-core,
// and Cloudflare's workerd binary from the `workerd` npm package. Shared by the
// demo dev server, the parity script and the Node-side tests (tests/node/).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** Headers that make a page cross-origin isolated (SharedArrayBuffer, shared Wasm memory, threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Serve directories over HTTP on 127.0.0.1. `mounts` maps URL prefixes (ending
 * in '/') to directories; the longest prefix wins; '/x/' serves 'x/index.html'.
 * With `isolated` (the default) every response carries COOP/COEP.
 */
export async function serveStatic({ mounts, port = 0, host = '127.0.0.1', isolated = true, log } = {}) {
  if (mounts === null || typeof mounts !== 'object' || Object.keys(mounts).length === 0) {
    throw new TypeError(`serveStatic: mounts must map URL prefixes to directories, got ${JSON.stringify(mounts)}`);
  }
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  const server = createServer(async (req, res) => {
    const headers = isolated ? { ...ISOLATION_HEADERS } : {};
    const send = (code, text) => {
      res.writeHead(code, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad path\n');
    }
    const hit = table.find(([prefix]) => path === prefix.slice(0, -1) || path.startsWith(prefix));
    if (hit === undefined) return send(404, 'not found\n');
    const [prefix, dir] = hit;
    if (path === prefix.slice(0, -1)) {
      res.writeHead(301, { ...headers, Location: prefix });
      return res.end();
    }
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return send(403, 'forbidden\n');
    try {
      let st = await stat(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = await stat(file);
      }
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': st.size,
        'Cache-Control': 'no-cache',
      });
      if (req.method === 'HEAD') return res.end();
      // A file removed between stat and read (a rebuild) must not crash the server.
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
      log?.(`${req.method} ${path} 200`);
    } catch {
      send(404, 'not found\n');
      log?.(`${req.method} ${path} 404`);
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`,
    port: address.port,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** Chromium's path: $CHROMIUM_PATH or Debian's /usr/bin/chromium. */
export function chromiumPath() {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** Launch headless Chromium with playwright-core (the flags this machine needs). */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    ...options,
  });
}

/** The workerd binary shipped by the `workerd` npm package. */
export function workerdPath() {
  return join(ROOT, 'node_modules', '.bin', 'workerd');
}

/**
 * Start `workerd serve <config>` with the socket `socket` bound to a free port on
 * 127.0.0.1; resolve once it listens. `stop()` kills it; `output()` is its
 * stderr and stdout so far (for failure messages).
 */
export function startWorkerd(config, { socket = 'http', timeoutMs = 30_000 } = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(
      workerdPath(),
      ['serve', config, '--socket-addr', `${socket}=127.0.0.1:0`, '--control-fd', '3'],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let control = '';
    let settled = false;
    const output = () => out;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // If this process exits first (an error, a test's timeout), take workerd with it.
    const killOnExit = () => child.kill('SIGKILL');
    process.on('exit', killOnExit);
    child.once('close', () => process.off('exit', killOnExit));
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000); // a stuck workerd must not hang the caller
        child.once('close', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      fail(new Error(`startWorkerd: ${config} did not listen within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fail(
        new Error(`startWorkerd: workerd exited (code ${code}, signal ${signal}) before listening; output:\n${out}`),
      );
    });
    child.stdio[3].on('data', (d) => {
      control += d;
      for (const line of control.split('\n').slice(0, -1)) {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.event === 'listen' && msg.socket === socket && !settled) {
          settled = true;
          clearTimeout(timer);
          ok({ url: `http://127.0.0.1:${msg.port}/`, port: msg.port, pid: child.pid, stop, output });
        }
      }
    });
  });
}
