// The SpamAssassin split rules on inline e-mails.
import { describe, expect, test } from 'vitest';
import { ArgumentError } from '../../src/core/errors.js';
import { md5Hex } from '../../src/data/md5.js';
import { spamIsTest, spamKey, spamLabel, spamLine, spamSplit, spamText, spamTokens, toLines, type SpamEmail } from '../../src/data/spam.js';

const RAW = [
  'From someone@example.com  Thu Aug 22 12:36:23 2002',
  'Return-Path: <x@spam.example>',
  'SUBJECT: Win $100 NOW!!',
  '  folded Part',
  'X-Spam-Status: Yes, hits=12',
  '',
  'Hello, World! Call 555-0100 now.',
  '',
  'Subject: not a header here',
].join('\n');

const email = (group: string, id: string, text = RAW): SpamEmail => ({
  group, id, checksum: { type: 'MD5', value: md5Hex(id + group) }, text,
});

describe('spam text and tokens', () => {
  test('Subject (unfolded, any case) + body, no other headers', () => {
    expect(spamText(RAW)).toBe(' Win $100 NOW!!\n  folded Part\nHello, World! Call 555-0100 now.\n\nSubject: not a header here');
    expect(spamText('From: a\r\nSubject: hi\r\n\r\nbody\r\n')).toBe(' hi\nbody\r\n');
    expect(spamText('X: y\n')).toBe('\n');
    expect(spamText('')).toBe('\n');
  });
  test('tokens: lower-cased /[a-z0-9]+|[$!]/g', () => {
    expect(spamTokens(spamText(RAW))).toEqual(
      ['win', '$', '100', 'now', '!', '!', 'folded', 'part', 'hello', 'world', '!', 'call', '555', '0100', 'now', 'subject', 'not', 'a', 'header', 'here']);
    expect(spamTokens('Ünïcode café 3€')).toEqual(['n', 'code', 'caf', '3']);
  });
  test('label, key, line', () => {
    const e = email('spam-2', '00001');
    expect(spamLabel(e)).toBe('spam');
    expect(spamLabel(email('hard-ham-1', '1'))).toBe('ham');
    expect(spamKey(e)).toBe(`spam-2/00001.${e.checksum.value}`);
    expect(spamLine(e)).toBe('__label__spam win $ 100 now ! ! folded part hello world ! call 555 0100 now subject not a header here');
    expect(spamLine(email('easy-ham-1', '2', 'Subject:\n\n...'))).toBe('__label__ham');
  });
  test('test iff the first 8 hex digits of md5(key) are 0 mod 5', () => {
    for (let i = 0; i < 50; i++) {
      const e = email('easy-ham-1', String(i).padStart(5, '0'));
      expect(spamIsTest(e)).toBe(parseInt(md5Hex(spamKey(e)).slice(0, 8), 16) % 5 === 0);
    }
  });
});

describe('spamSplit', () => {
  const emails = Array.from({ length: 40 }, (_, i) => email(i % 3 === 0 ? 'spam-1' : 'easy-ham-2', String(i).padStart(5, '0'), `Subject: m${i}\n\nbody ${i}`));
  test('parts, counts, order by md5(key), independent of input order', () => {
    const s = spamSplit(emails);
    const testIds = emails.filter(spamIsTest);
    expect(s.test.length).toBe(testIds.length);
    expect(s.train.length + s.test.length).toBe(40);
    expect(s.testSpam).toBe(testIds.filter((e) => e.group === 'spam-1').length);
    expect(s.trainSpam + s.testSpam).toBe(14);
    const wantOrder = testIds.map((e) => [md5Hex(spamKey(e)), spamLine(e)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((x) => x[1]);
    expect(s.test).toEqual(wantOrder);
    expect(spamSplit([...emails].reverse())).toEqual(s);
    expect(toLines(s.train)).toBe(s.train.join('\n') + '\n');
    expect(toLines([])).toBe('');
  });
  test('duplicates and malformed records are ArgumentErrors', () => {
    expect(() => spamSplit([emails[0]!, emails[0]!])).toThrow(/repeat a key/);
    expect(() => spamSplit([{ group: 'spam-1' } as never])).toThrow(ArgumentError);
  });
});
