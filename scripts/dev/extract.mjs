// One-off refactoring helper: cut lines [from, to) (1-based, by first match of regexes) out of a file
// and append them to another. Usage: node extract.mjs src dest fromRegex toRegex|EOF
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
const [src, dest, fromRe, toRe] = process.argv.slice(2);
const L = readFileSync(src, 'utf8').split('\n');
const a = L.findIndex((l) => new RegExp(fromRe).test(l));
let b = toRe === 'EOF' ? L.length : L.findIndex((l, i) => i > a && new RegExp(toRe).test(l));
if (a < 0 || b < 0) throw new Error(`markers not found: ${a} ${b}`);
const cut = L.splice(a, b - a);
writeFileSync(src, L.join('\n'));
writeFileSync(dest, (existsSync(dest) ? readFileSync(dest, 'utf8') : '') + cut.join('\n') + '\n');
console.log(`moved lines ${a + 1}-${b} (${cut.length}) to ${dest}`);
