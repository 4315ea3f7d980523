// Test helpers: format float32 values as native fastText prints them (C's
// %.<p>g through std::ostream with setprecision(p)), and parse its output.
import { expect } from 'vitest';

/** C's printf("%.<p>g", v) as std::ostream prints a float with setprecision(p). */
export function cfmt(v: number, p: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (Number.isNaN(v)) return v < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const e = v.toExponential(p - 1);
  const x = Number(e.slice(e.indexOf('e') + 1));
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (x < -4 || x >= p) {
    const m = strip(e.slice(0, e.indexOf('e')));
    return `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  return strip(v.toFixed(p - 1 - x));
}

/** "token v1 v2 ... " lines → [token, printed numbers]. */
export function parseRows(text: string): [string, string[]][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const t = l.trim().split(/\s+/);
      return [t[0]!, t.slice(1)];
    });
}

export function expectPrinted(ours: Float32Array, printed: string[], what: string, p = 5): void {
  expect(
    Array.from(ours, (v) => cfmt(v, p)),
    what,
  ).toEqual(printed);
}
