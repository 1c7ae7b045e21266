/**
 * The one escape for untrusted text on a terminal (`printable`), its line-keeping form for whole
 * outputs, and the JSON spelling that keeps values while leaving no control byte on the wire.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable, printableJson, printableLines } from '../../lib/ops/printable.ts';

/** Bytes a terminal may obey: C0 but LF, DEL, and C1 in UTF-8 (C2 80–C2 9F). */
function controlBytes(text: string): number[] {
  const bytes = Buffer.from(text, 'utf8');
  const found: number[] = [];
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] ?? 0;
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f) found.push(b);
    if (b === 0xc2 && (bytes[i + 1] ?? 0) >= 0x80 && (bytes[i + 1] ?? 0) <= 0x9f) found.push(b);
  }
  return found;
}

const hostile = [
  'osc52-\u001b]52;c;SGVsbG8=\u0007.jpg',
  'erase-\u001b[2K\r.jpg',
  'title-\u001b]0;pwned\u001b\\.jpg',
  'c1-csi-\u009b2J-\u009d0;t\u009c.jpg',
  'bidi-\u202egpj.exe',
  'isolate-\u2067x\u2069.jpg',
  'lines-\n-\u2028-\u2029-\u0085.jpg',
  'tab-\t-del-\u007f.jpg',
];

describe('printable', () => {
  it('writes every control, bidirectional control and line separator as a visible escape', () => {
    assert.equal(printable('a\u001b[2Kb'), 'a\\u{001b}[2Kb');
    assert.equal(
      printable('x\u0007\u009b\u202e\u2028\n'),
      'x\\u{0007}\\u{009b}\\u{202e}\\u{2028}\\u{000a}',
    );
    for (const name of hostile) {
      const shown = printable(name);
      assert.deepEqual(controlBytes(shown), [], shown);
      assert.doesNotMatch(shown, /[\n\u2028\u2029\u202a-\u202e\u2066-\u2069]/u, shown);
    }
  });

  it('leaves ordinary text alone, and is idempotent', () => {
    for (const text of ['café 😀 photo (1).jpg', 'C:\\x', '日本語.png', 'a\u0301']) {
      assert.equal(printable(text), text);
    }
    for (const name of hostile) assert.equal(printable(printable(name)), printable(name));
  });

  it('keeps the line breaks of a whole output, and only those', () => {
    assert.equal(printableLines('one \u001b[31m\ntwo\r\n'), 'one \\u{001b}[31m\ntwo\\u{000d}\n');
  });
});

describe('printableJson', () => {
  it('leaves no control byte on the wire, and parses to the same value', () => {
    const value = { names: hostile, nested: { key: 'uploads/\u009b31m\u2028x' } };
    const json = printableJson(JSON.stringify(value, null, 2));
    assert.deepEqual(controlBytes(json), []);
    assert.doesNotMatch(json, /[\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]/u);
    assert.deepEqual(JSON.parse(json), value);
    assert.match(json, /\\u009b/);
    assert.match(json, /\\u202e/);
  });
});
