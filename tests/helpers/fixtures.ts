// Bytes of a test fixture in both runtimes: Node reads the file, Chromium fetches
// the URL. Each test file keeps its own literal `new URL('../fixtures/...',
// import.meta.url)` per file, which Vite rewrites to a served asset URL.

const inBrowser = typeof window !== 'undefined';

export async function readFixture(url: URL, name: string): Promise<Uint8Array> {
  if (!inBrowser) {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fixture ${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
