/**
 * Stopping a training run early: the `signal` option of every trainer (an
 * AbortSignal, checked between steps) and the macrotask yields that let the
 * abort (a Stop button's message, a timer) reach the training loop. See
 * docs/models.md "Stopping training".
 */
import { ArgumentError } from '../core/errors.js';
import { now } from '../core/clock.js';

/**
 * Checks a `signal` option: undefined, or an AbortSignal. Duck-typed (an object
 * with a boolean `aborted` and `addEventListener`) so a signal from another
 * realm (iframe, vm context) is accepted. `name` is the option as the caller's
 * errors name it ('signal' or 'options.signal').
 */
export function checkAbortSignal(fn: string, name: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  const s = v as { aborted?: unknown; addEventListener?: unknown } | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.aborted !== 'boolean' ||
    typeof s.addEventListener !== 'function'
  ) {
    throw new ArgumentError(
      `${fn}: ${name} must be an AbortSignal, got ${v === null ? 'null' : typeof v === 'object' ? 'an object that is not an AbortSignal' : typeof v}`,
    );
  }
  return v as AbortSignal;
}

/** Milliseconds between yields when a signal is given. */
export const SIGNAL_YIELD_MS = 50;

/**
 * Yields a macrotask to the host (event loop) at most every `intervalMs`:
 * setImmediate where there is one (Node, Bun: timers and I/O run before it),
 * else a MessageChannel round trip (browsers, workers: not clamped to 4 ms or
 * throttled like nested timers), else setTimeout(0). Not a MessageChannel in
 * Node: it delivers up to 1000 queued messages in one go, so timers would
 * starve. `close()` it at the end (a channel's ports would keep a process
 * alive). Yielding never changes what is computed.
 */
export class HostYield {
  private last = now();
  private channel: MessageChannel | undefined;
  private wake: (() => void) | undefined;

  /**
   * `via` (internal, for tests): 'auto' picks as described above; 'channel' skips setImmediate
   * and uses the MessageChannel where there is one (so Node tests can check that close() frees it).
   */
  constructor(
    readonly intervalMs: number,
    private readonly via: 'auto' | 'channel' = 'auto',
  ) {}

  /** The interval of a trainer's loop: SIGNAL_YIELD_MS with a signal, `progressMs` with progress reports only, never otherwise. */
  static forTraining(signal: AbortSignal | undefined, progress: boolean, progressMs: number): HostYield {
    return new HostYield(signal !== undefined ? SIGNAL_YIELD_MS : progress ? progressMs : Infinity);
  }

  /** Yield if `intervalMs` passed since the last yield (or since construction). */
  async maybe(): Promise<void> {
    if (this.intervalMs !== Infinity && now() - this.last >= this.intervalMs) await this.now();
  }

  /** Yield one macrotask now. */
  async now(): Promise<void> {
    const g = globalThis as { setImmediate?: (f: () => void) => unknown };
    if (this.via === 'auto' && typeof g.setImmediate === 'function') {
      const si = g.setImmediate;
      await new Promise<void>((resolve) => void si(resolve));
      this.last = now();
      return;
    }
    if (this.channel === undefined && typeof MessageChannel === 'function') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        const w = this.wake;
        this.wake = undefined;
        w?.();
      };
      this.channel = ch;
    }
    const ch = this.channel;
    if (ch !== undefined) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        ch.port2.postMessage(0);
      });
    } else {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
    this.last = now();
  }

  /** Close the channel (idempotent). */
  close(): void {
    const ch = this.channel;
    this.channel = undefined;
    if (ch !== undefined) {
      ch.port1.onmessage = null;
      ch.port1.close();
      ch.port2.close();
    }
  }
}
