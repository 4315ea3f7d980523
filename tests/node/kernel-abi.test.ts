// The kernel ABI is written in three places: assembly/index.ts (which kernels
// the module exports), each kernel's signature in assembly/<family>.ts, and the
// `Kernels` interface of src/core/kernels.ts (what TypeScript calls). Nothing
// else checks that they agree, and a JS call with an argument too few passes 0
// for it. This test compares all of them with what the compiled modules really
// export: every function export of wasm-nlp.wasm, -mt.wasm and -debug.wasm
// (name, parameter count and types from the type section, result count, and
// `.length` of the instantiated function) against the interface member of
// that name (parameter count, names, void or number), and the interface
// against index.ts's re-exports and the family's declarations (same parameter
// names in the same order, same void-ness). Node only: it parses TypeScript
// source with the compiler API.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { wasmBytes } from '../helpers/runtime.js';

const ROOT = new URL('../../', import.meta.url);
const BUILDS = ['wasm-nlp.wasm', 'wasm-nlp-mt.wasm', 'wasm-nlp-debug.wasm'] as const;
/** Non-function exports a module may have (AssemblyScript exports the imported memory too). */
const OTHER_EXPORTS = ['memory'];

/** One side's view of a kernel: parameter names (null when the side has none, i.e. Wasm), count, result. */
interface Signature {
  params: number;
  names: string[] | null;
  /** Whether it returns a value (Wasm: one result; TypeScript/AssemblyScript: a non-void return type). */
  returns: boolean;
}
type Abi = Map<string, Signature>;

function parse(path: string): ts.SourceFile {
  const text = readFileSync(new URL(path, ROOT), 'utf8');
  return ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

function signatureOf(
  src: ts.SourceFile,
  params: readonly ts.ParameterDeclaration[],
  type: ts.TypeNode | undefined,
): Signature {
  return {
    params: params.length,
    names: params.map((p) => p.name.getText(src)),
    returns: type !== undefined && type.kind !== ts.SyntaxKind.VoidKeyword,
  };
}

/** The members of `interface Kernels` in src/core/kernels.ts. */
function interfaceAbi(): Abi {
  const src = parse('src/core/kernels.ts');
  const decl = src.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Kernels',
  );
  if (decl === undefined) throw new Error('src/core/kernels.ts: no interface Kernels');
  const abi: Abi = new Map();
  for (const m of decl.members) {
    const name = m.name?.getText(src) ?? '?';
    if (ts.isMethodSignature(m)) abi.set(name, signatureOf(src, m.parameters, m.type));
    else if (ts.isPropertySignature(m) && m.type !== undefined && ts.isFunctionTypeNode(m.type))
      abi.set(name, signatureOf(src, m.type.parameters, m.type.type));
    else throw new Error(`src/core/kernels.ts: Kernels.${name} must be a method signature`);
  }
  return abi;
}

/** The re-exports of assembly/index.ts, each with the signature of its declaration in assembly/<family>.ts. */
function assemblyAbi(): { abi: Abi; problems: string[] } {
  const index = parse('assembly/index.ts');
  const abi: Abi = new Map();
  const problems: string[] = [];
  const families = new Map<string, ts.SourceFile>();
  for (const st of index.statements) {
    if (
      !ts.isExportDeclaration(st) ||
      st.moduleSpecifier === undefined ||
      !ts.isStringLiteral(st.moduleSpecifier) ||
      st.exportClause === undefined ||
      !ts.isNamedExports(st.exportClause)
    ) {
      problems.push(`assembly/index.ts: "${st.getText(index).slice(0, 60)}" is not a named re-export`);
      continue;
    }
    const file = `assembly/${st.moduleSpecifier.text.replace(/^\.\//, '')}.ts`;
    let src = families.get(file);
    if (src === undefined) families.set(file, (src = parse(file)));
    for (const el of st.exportClause.elements) {
      const name = el.name.text,
        local = (el.propertyName ?? el.name).getText(index);
      const fn = src.statements.find(
        (s): s is ts.FunctionDeclaration =>
          ts.isFunctionDeclaration(s) &&
          s.name?.text === local &&
          (ts.getCombinedModifierFlags(s) & ts.ModifierFlags.Export) !== 0,
      );
      if (fn === undefined) problems.push(`${file}: no exported function ${local} (re-exported by assembly/index.ts)`);
      else if (abi.has(name)) problems.push(`assembly/index.ts: ${name} is re-exported twice`);
      else abi.set(name, signatureOf(src, fn.parameters, fn.type));
    }
  }
  return { abi, problems };
}

/** Reads an unsigned LEB128 at r.pos. */
function leb(bytes: Uint8Array, r: { pos: number }): number {
  let result = 0,
    scale = 1,
    b: number;
  do {
    b = bytes[r.pos++]!;
    result += (b & 0x7f) * scale;
    scale *= 128;
  } while (b & 0x80);
  return result;
}

const VALTYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

interface WasmFunction {
  params: string[];
  results: string[];
}

/**
 * The exports of a module, from its binary: functions with their types (type,
 * import, function and export sections), and the names of the other exports.
 */
function wasmExports(bytes: Uint8Array): { functions: Map<string, WasmFunction>; others: string[] } {
  const r = { pos: 8 };
  const types: WasmFunction[] = [];
  const funcTypes: number[] = []; // type index of every function, imports first
  const functions = new Map<string, WasmFunction>();
  const others: string[] = [];
  const name = () => {
    const n = leb(bytes, r);
    const s = new TextDecoder().decode(bytes.subarray(r.pos, r.pos + n));
    r.pos += n;
    return s;
  };
  const limits = () => {
    const flags = bytes[r.pos++]!;
    leb(bytes, r);
    if (flags & 1) leb(bytes, r);
  };
  const vec = () => Array.from({ length: leb(bytes, r) }, () => VALTYPES[bytes[r.pos++]!] ?? '?');
  while (r.pos < bytes.length) {
    const id = bytes[r.pos++]!;
    const size = leb(bytes, r);
    const end = r.pos + size;
    if (id === 1) {
      for (let n = leb(bytes, r); n > 0; n--) {
        if (bytes[r.pos++] !== 0x60) throw new Error('type section: not a function type');
        const params = vec();
        types.push({ params, results: vec() });
      }
    } else if (id === 2) {
      for (let n = leb(bytes, r); n > 0; n--) {
        name();
        name();
        const kind = bytes[r.pos++]!;
        if (kind === 0) funcTypes.push(leb(bytes, r));
        else if (kind === 1) {
          r.pos++;
          limits();
        } else if (kind === 2) limits();
        else if (kind === 3) r.pos += 2;
        else if (kind === 4) {
          r.pos++;
          leb(bytes, r);
        } else throw new Error(`import section: unknown kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = leb(bytes, r); n > 0; n--) funcTypes.push(leb(bytes, r));
    } else if (id === 7) {
      for (let n = leb(bytes, r); n > 0; n--) {
        const exportName = name();
        const kind = bytes[r.pos++]!;
        const index = leb(bytes, r);
        if (kind === 0) functions.set(exportName, types[funcTypes[index]!]!);
        else others.push(exportName);
      }
    }
    r.pos = end;
  }
  return { functions, others };
}

/** The module's function exports as Signatures; kernels must keep to numbers (no i64 BigInts, no v128). */
function wasmAbi(fns: Map<string, WasmFunction>): { abi: Abi; problems: string[] } {
  const abi: Abi = new Map();
  const problems: string[] = [];
  for (const [name, f] of fns) {
    const bad = [...f.params, ...f.results].filter((t) => t !== 'i32' && t !== 'f32' && t !== 'f64');
    if (bad.length > 0) problems.push(`${name}: takes or returns ${bad.join(', ')}, which JS numbers cannot pass`);
    if (f.results.length > 1) problems.push(`${name}: returns ${f.results.length} values`);
    abi.set(name, { params: f.params.length, names: null, returns: f.results.length > 0 });
  }
  return { abi, problems };
}

/**
 * Every disagreement of `other` (what `label` says) with the interface: a kernel
 * missing on either side, a different parameter count, different parameter
 * names or order (when `other` has names), or a value returned on one side only.
 */
function abiMismatches(iface: Abi, other: Abi, label: string): string[] {
  const out: string[] = [];
  for (const name of iface.keys()) if (!other.has(name)) out.push(`${name}: in the Kernels interface, not in ${label}`);
  for (const [name, sig] of other) {
    const want = iface.get(name);
    if (want === undefined) {
      out.push(`${name}: in ${label}, not in the Kernels interface`);
      continue;
    }
    if (sig.params !== want.params)
      out.push(`${name}: ${sig.params} parameters in ${label}, ${want.params} in the Kernels interface`);
    else if (sig.names !== null && want.names !== null && sig.names.join() !== want.names.join()) {
      out.push(
        `${name}: parameters (${sig.names.join(', ')}) in ${label}, (${want.names.join(', ')}) in the Kernels interface`,
      );
    }
    if (sig.returns !== want.returns)
      out.push(
        `${name}: ${sig.returns ? 'returns a value' : 'returns nothing'} in ${label}, not in the Kernels interface`,
      );
  }
  return out;
}

const iface = interfaceAbi();

describe('the kernel ABI', () => {
  test('the Kernels interface lists the kernels (a sanity bound on the parse)', () => {
    expect(iface.size).toBeGreaterThanOrEqual(60);
    expect(iface.get('gemm_f32')).toMatchObject({ params: 16, returns: false });
    expect(iface.get('heap_base')).toEqual({ params: 0, names: [], returns: true });
  });

  test('assembly/index.ts re-exports exactly the Kernels interface, with the same parameters as each declaration', () => {
    const { abi, problems } = assemblyAbi();
    expect(problems).toEqual([]);
    expect(abiMismatches(iface, abi, 'assembly/index.ts')).toEqual([]);
  });

  for (const file of BUILDS) {
    test(`${file} exports exactly the Kernels interface (names, parameter counts, results)`, async () => {
      const bytes = await wasmBytes(file);
      const { functions, others } = wasmExports(bytes);
      // The parse agrees with the JS API's view of the same module.
      const mod = new WebAssembly.Module(bytes);
      const listed = WebAssembly.Module.exports(mod);
      expect([...functions.keys()].sort()).toEqual(
        listed
          .filter((e) => e.kind === 'function')
          .map((e) => e.name)
          .sort(),
      );
      expect(others.sort()).toEqual(OTHER_EXPORTS);
      const { abi, problems } = wasmAbi(functions);
      expect(problems).toEqual([]);
      expect(abiMismatches(iface, abi, file)).toEqual([]);
    });
  }

  test("the instantiated functions have the interface's arity (.length)", async () => {
    for (const file of ['wasm-nlp.wasm', 'wasm-nlp-debug.wasm']) {
      const mod = new WebAssembly.Module(await wasmBytes(file));
      const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
      for (const i of WebAssembly.Module.imports(mod)) {
        (imports[i.module] ??= {})[i.name] = i.kind === 'memory' ? new WebAssembly.Memory({ initial: 1 }) : () => {};
      }
      const exports = new WebAssembly.Instance(mod, imports).exports;
      const arity = Object.entries(exports)
        .filter(([, v]) => typeof v === 'function')
        .map(([n, f]) => [n, (f as (...a: unknown[]) => unknown).length]);
      expect(Object.fromEntries(arity), file).toEqual(Object.fromEntries([...iface].map(([n, s]) => [n, s.params])));
    }
  });

  test('a kernel added, removed, or with a parameter more or less on either side is reported', () => {
    const { abi } = assemblyAbi();
    const gemm = iface.get('gemm_f32')!;
    const cases: [Abi, RegExp][] = [
      [
        new Map([...abi].filter(([n]) => n !== 'softmax_bwd_f32')),
        /^softmax_bwd_f32: in the Kernels interface, not in x$/,
      ],
      [
        new Map([...abi, ['new_kernel_f32', { params: 1, names: ['x'], returns: false }]]),
        /^new_kernel_f32: in x, not in the Kernels interface$/,
      ],
      [
        new Map([...abi, ['gemm_f32', { ...gemm, params: 15, names: gemm.names!.slice(0, 15) }]]),
        /^gemm_f32: 15 parameters in x, 16 in the Kernels interface$/,
      ],
      [
        new Map([...abi, ['gemm_f32', { ...gemm, names: [...gemm.names!.slice(1), 'a'] }]]),
        /^gemm_f32: parameters \(b, .*\) in x, \(a, b, .*\) in the Kernels interface$/,
      ],
      [
        new Map([...abi, ['gemm_f32', { ...gemm, returns: true }]]),
        /^gemm_f32: returns a value in x, not in the Kernels interface$/,
      ],
    ];
    for (const [other, want] of cases) {
      const got = abiMismatches(iface, other, 'x');
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(want);
    }
    // Wasm side: counts without names.
    const wasm = new Map([...iface].map(([n, s]) => [n, { ...s, names: null }]));
    wasm.set('rotary_fwd', { ...wasm.get('rotary_fwd')!, params: 8 });
    expect(abiMismatches(iface, wasm, 'w.wasm')).toEqual([
      'rotary_fwd: 8 parameters in w.wasm, 7 in the Kernels interface',
    ]);
  });
});
