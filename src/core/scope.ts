/**
 * The scope stack under `tidy` (Tensors, src/core/tensor.ts) and `noGrad`
 * (the tape's Tensors, src/autograd/tape.ts): nested scopes, each the set of
 * disposables made while it was innermost. `run(fn)` opens a scope for the
 * duration of `fn`; at its end what survives moves to the enclosing scope and
 * the rest is disposed.
 */
import { WasmNlpError } from './errors.js';

export class ScopeStack<T extends { dispose(): void }> {
  private readonly scopes: Set<T>[];

  /**
   * `name` heads the error of an async `fn` (`tidy: fn must be synchronous, ...`).
   * With `root`, the stack starts with one scope that `run` never pops
   * (the tape's step scope, emptied by `takeRoot`); without, an item made
   * outside every `run` is tracked by none.
   */
  constructor(
    private readonly name: string,
    root = false,
  ) {
    this.scopes = root ? [new Set()] : [];
  }

  /** Scopes open, the root one included. */
  get depth(): number {
    return this.scopes.length;
  }

  /** Track `item` in the innermost scope (none open: not tracked). */
  add(item: T): void {
    this.scopes[this.scopes.length - 1]?.add(item);
  }

  /** Stop tracking `item` in every scope (it was disposed elsewhere). */
  delete(item: T): void {
    for (const s of this.scopes) s.delete(item);
  }

  /** Every tracked item, outermost scope first, in the order added. */
  *items(): IterableIterator<T> {
    for (const s of this.scopes) yield* s;
  }

  /** Empty the root scope and return what it held, in the order added. */
  takeRoot(): T[] {
    const root = this.scopes[0];
    if (root === undefined) return [];
    this.scopes[0] = new Set();
    return [...root];
  }

  /**
   * Run `fn` in a new innermost scope. If it throws, everything added in the
   * scope is disposed and the error rethrown; if it returns a Promise,
   * everything is disposed and a `WasmNlpError` thrown (`<name>: fn must be
   * synchronous, ...`). Otherwise `survives(result)` gives the test of what
   * outlives the scope: those items move to the enclosing scope (none open:
   * untracked), the others are disposed, in the order added.
   */
  run<R>(fn: () => R, survives: (result: R) => (item: T) => boolean): R {
    const scope = new Set<T>();
    this.scopes.push(scope);
    let result: R;
    try {
      result = fn();
    } catch (e) {
      // Nothing made inside survives a throw.
      for (const t of scope) t.dispose();
      throw e;
    } finally {
      this.scopes.pop();
    }
    if (result instanceof Promise) {
      for (const t of scope) t.dispose();
      throw new WasmNlpError(`${this.name}: fn must be synchronous, got a function returning a Promise`);
    }
    const keep = survives(result);
    const outer = this.scopes[this.scopes.length - 1];
    for (const t of scope) {
      if (keep(t)) outer?.add(t);
      else t.dispose();
    }
    return result;
  }
}
