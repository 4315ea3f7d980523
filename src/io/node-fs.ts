/**
 * Node-only pieces the atomic savers share (src/io/node.ts for files, src/models/bert/node.ts for
 * directories): temp-name ids that carry the writer's pid, a liveness check for that pid, and a
 * directory fsync. Not exported from any public entry.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

/** A temp name's id: this process's pid as 8 hex digits, then 12 random hex digits (20 hex digits, no separator). */
export function tempId(): string {
  return process.pid.toString(16).padStart(8, '0') + randomBytes(6).toString('hex');
}

/** Whether the process `pid` (from a temp name) may still be writing: alive, or not ours to signal (EPERM). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** fsync a directory, so a rename in it is durable; a no-op where directories cannot be opened or synced (Windows). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL' && code !== 'ENOTSUP') throw e;
  } finally {
    await fh?.close();
  }
}
