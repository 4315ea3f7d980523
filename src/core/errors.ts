/**
 * The base class of every error wasm-nlp throws (the typed errors below extend it). Messages
 * read `<fn>: <arg> must <expectation>, got <actual>` with an optional `Hint:`.
 */
export class WasmNlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or array has the wrong rank or dimensions. */
export class ShapeError extends WasmNlpError {}
/** A tensor has the wrong dtype. */
export class DTypeError extends WasmNlpError {}
/** An option or argument has a bad value. */
export class ArgumentError extends WasmNlpError {}
/** A file is malformed: the message names the byte offset and what was expected. */
export class FormatError extends WasmNlpError {}
/** A word or id is not in the vocabulary. */
export class VocabError extends WasmNlpError {}
/** The allocator cannot satisfy a request within the memory limit. */
export class OutOfMemoryError extends WasmNlpError {
  constructor(
    message: string,
    /** Bytes asked for. */ readonly requested: number,
    /** Bytes in live blocks when the request failed. */ readonly inUse: number,
    /** The limit in bytes (configured maximum or the 4 GiB Wasm32 limit). */ readonly limit: number,
  ) {
    super(message);
  }
}
/** An op ran before `await init()`. */
export class NotInitializedError extends WasmNlpError {}

/** Human-readable byte count: 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]} (${n} bytes)`;
}

/** `[2, 3]` for messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
