// The shared argument checks (src/core/check.ts), the clock (src/core/clock.ts)
// and the scope stack under tidy and noGrad (src/core/scope.ts).
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import {
  checkBool,
  checkFinite,
  checkFunction,
  checkInstance,
  checkInt,
  checkKeys,
  checkNumber,
  checkObject,
  checkOptions,
  checkPositiveInt,
  describe as describeValue,
  typeName,
} from '../../src/core/check.js';
import { now } from '../../src/core/clock.js';
import { ArgumentError, WasmNlpError } from '../../src/core/errors.js';
import { ScopeStack } from '../../src/core/scope.js';
import { Tensor } from '../../src/core/tensor.js';

beforeAll(async () => {
  await initForTests();
});

/** The message of the ArgumentError `f` throws. */
function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

describe('describe', () => {
  class Thing {}
  test.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [3, 'number 3'],
    [NaN, 'number NaN'],
    [true, 'boolean true'],
    [10n, 'bigint 10'],
    ['abc', '"abc"'],
    ['x'.repeat(61), `"${'x'.repeat(57)}..."`],
    [[1, 2, 3], 'an array of 3'],
    [new Float64Array(6), 'Float64Array(6)'],
    [new DataView(new ArrayBuffer(8)), 'DataView(8)'],
    [{}, 'Object {}'],
    [{ text: 1, pair: 2 }, 'Object { text, pair }'],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, 'Object { a, b, c, d, e, ... }'],
    [Object.create(null), 'Object {}'],
    [new Thing(), 'Thing'],
    [new Map(), 'Map'],
    [function named() {}, 'function named'],
    [() => 0, 'a function'],
  ])('%o -> %s', (v, want) => {
    expect(describeValue(v)).toBe(want);
  });
  test('an anonymous arrow function assigned to nothing, a Tensor, a throwing toString', () => {
    expect(
      describeValue(
        [
          (
            () => () =>
              0
          )(),
        ][0],
      ),
    ).toBe('a function');
    const t = Tensor.zeros([2, 3]);
    expect(describeValue(t)).toBe('Tensor(float32, [2, 3])');
    t.dispose();
    class Bad {
      toString(): string {
        throw new Error('no');
      }
    }
    expect(describeValue(new Bad())).toBe('Bad');
  });
  test('typeName names the kind only', () => {
    expect([null, undefined, 3, 'a', [1], new Int32Array(2), {}, Object.create(null)].map(typeName)).toEqual([
      'null',
      'undefined',
      'number',
      'string',
      'Array',
      'Int32Array',
      'Object',
      'Object',
    ]);
  });
});

describe('the checks return the value or throw ArgumentError in the project grammar', () => {
  test('checkInt', () => {
    expect(checkInt('f', 'k', 3, 1, 5)).toBe(3);
    expect(message(() => checkInt('f', 'k', 6, 1, 5))).toBe('f: k must be an integer in [1, 5], got 6');
    expect(message(() => checkInt('f', 'k', 2.5, 0))).toBe('f: k must be an integer >= 0, got 2.5');
    expect(message(() => checkInt('f', 'seed', -1, 0, Number.MAX_SAFE_INTEGER))).toBe(
      'f: seed must be an integer in [0, 2^53), got -1',
    );
    expect(message(() => checkInt('f', 'k', '3', 0))).toBe('f: k must be an integer >= 0, got "3"');
    expect(message(() => checkInt('f', 'k', undefined, 0))).toBe('f: k must be an integer >= 0, got undefined');
    expect(message(() => checkInt('f', 'k', 2 ** 53, 0))).toBe(`f: k must be an integer >= 0, got ${2 ** 53}`);
  });
  test('checkPositiveInt, checkNumber, checkFinite', () => {
    expect(checkPositiveInt('f', 'n', 1)).toBe(1);
    expect(message(() => checkPositiveInt('f', 'n', 0))).toBe('f: n must be a positive integer, got 0');
    expect(checkNumber('f', 'p', 0.5, (x) => x >= 0 && x <= 1, 'a number in [0, 1]')).toBe(0.5);
    expect(message(() => checkNumber('f', 'p', NaN, (x) => x >= 0 && x <= 1, 'a number in [0, 1]'))).toBe(
      'f: p must be a number in [0, 1], got NaN',
    );
    expect(checkFinite('f', 'lr', 0, 0)).toBe(0);
    expect(message(() => checkFinite('f', 'lr', -1, 0))).toBe('f: lr must be a finite number >= 0, got -1');
    expect(message(() => checkFinite('f', 'b', 1, 0, 1))).toBe('f: b must be a finite number in [0, 1), got 1');
    expect(checkFinite('f', 'b', 1, 0, 1, true)).toBe(1);
    expect(message(() => checkFinite('f', 'b', 2, 0, 1, true))).toBe('f: b must be a finite number in [0, 1], got 2');
    expect(message(() => checkFinite('f', 'alpha', Infinity))).toBe('f: alpha must be a finite number, got Infinity');
  });
  test('checkBool, checkFunction, checkInstance, checkObject', () => {
    expect(checkBool('f', 'b', false)).toBe(false);
    expect(message(() => checkBool('f', 'b', 1))).toBe('f: b must be a boolean, got number 1');
    const g = () => 1;
    expect(checkFunction('f', 'cb', g)).toBe(g);
    expect(message(() => checkFunction('f', 'cb', 3))).toBe('f: cb must be a function, got number 3');
    expect(message(() => checkInstance('f', 'x', null, Tensor))).toBe('f: x must be a Tensor, got null');
    expect(message(() => checkInstance('f', 'x', [1], Tensor, 'a float32 Tensor'))).toBe(
      'f: x must be a float32 Tensor, got an array of 1',
    );
    expect(checkObject('f', 'o', [])).toEqual([]);
    expect(message(() => checkObject('f', 'state', 'x', '{ seed, stream }'))).toBe(
      'f: state must be { seed, stream }, got "x"',
    );
  });
  test('checkKeys and checkOptions', () => {
    expect(message(() => checkKeys('f', 'options', { a: 1, bb: 2 }, ['a']))).toBe(
      "f: options must have only the keys a, got 'bb'",
    );
    expect(message(() => checkKeys('f', 'options', { c: 1 }, ['a', 'b'], 'a, b'))).toBe(
      "f: options must have only a, b, got 'c'",
    );
    const o = { a: 1 };
    expect(checkOptions('f', 'options', o, ['a'])).toBe(o);
    expect(message(() => checkOptions('f', 'options', [1], ['a']))).toBe(
      'f: options must be an object, got an array of 1',
    );
    expect(message(() => checkOptions('f', 'options', null, ['a']))).toBe('f: options must be an object, got null');
  });
});

test('now() is a millisecond clock that does not go back', () => {
  const a = now();
  const b = now();
  expect(typeof a).toBe('number');
  expect(b).toBeGreaterThanOrEqual(a);
});

describe('ScopeStack', () => {
  class Item {
    disposed = false;
    constructor(readonly stack: ScopeStack<Item>) {
      stack.add(this);
    }
    dispose(): void {
      this.disposed = true;
    }
  }
  test('nested runs: survivors move out, the rest is disposed in order; no root: outermost survivors are untracked', () => {
    const s = new ScopeStack<Item>('tidy');
    let inner: Item[] = [];
    const kept = s.run(
      () => {
        const a = new Item(s);
        const b = s.run(
          () => {
            inner = [new Item(s), new Item(s)];
            expect(s.depth).toBe(2);
            return inner[1]!;
          },
          (r) => (t) => t === r,
        );
        expect(inner[0]!.disposed).toBe(true);
        expect([...s.items()]).toEqual([a, b]);
        return b;
      },
      (r) => (t) => t === r,
    );
    expect(kept.disposed).toBe(false);
    expect(s.depth).toBe(0);
    expect([...s.items()]).toEqual([]);
  });
  test('a throw disposes everything made inside; a Promise is refused with a WasmNlpError', () => {
    const s = new ScopeStack<Item>('noGrad', true);
    let made: Item | undefined;
    expect(() =>
      s.run(
        () => {
          made = new Item(s);
          throw new Error('boom');
        },
        () => () => true,
      ),
    ).toThrow('boom');
    expect(made!.disposed).toBe(true);
    expect(() =>
      s.run(
        () => {
          made = new Item(s);
          return Promise.resolve(1);
        },
        () => () => true,
      ),
    ).toThrow(WasmNlpError);
    expect(made!.disposed).toBe(true);
    expect(() =>
      s.run(
        () => Promise.resolve(1),
        () => () => true,
      ),
    ).toThrow('noGrad: fn must be synchronous, got a function returning a Promise');
    expect(s.depth).toBe(1);
  });
  test('a root scope keeps outermost survivors until takeRoot', () => {
    const s = new ScopeStack<Item>('noGrad', true);
    const first = new Item(s);
    const second = s.run(
      () => new Item(s),
      (r) => (t) => t === r,
    );
    expect([...s.items()]).toEqual([first, second]);
    expect(s.takeRoot()).toEqual([first, second]);
    expect([...s.items()]).toEqual([]);
    s.delete(first);
  });
});
