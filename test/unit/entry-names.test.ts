import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  cleanEntryName,
  cleanSegment,
  decodeCp437,
  decodeTarName,
  decodeZipName,
  displayName,
  fitsKey,
  isNestedArchiveName,
} from '../../lib/ingest/sources/entry-names.ts';
import { NameRegistry } from '../../lib/ingest/sources/name-registry.ts';
import { unicodePathExtra } from '../fixtures/archives.ts';

const nameOf = (raw: string) => {
  const verdict = cleanEntryName(raw);
  return 'name' in verdict ? verdict.name : undefined;
};
const refusalOf = (raw: string) => {
  const verdict = cleanEntryName(raw);
  return 'refused' in verdict ? verdict.refused : undefined;
};

describe('cleanEntryName', () => {
  it('keeps ordinary names, collapsing empty and "." segments', () => {
    assert.equal(nameOf('dir/a.jpg'), 'dir/a.jpg');
    assert.equal(nameOf('./dir//sub/./a.jpg'), 'dir/sub/a.jpg');
    assert.equal(nameOf('dir/'), 'dir');
    assert.equal(nameOf('space name.png'), 'space name.png');
    assert.equal(nameOf('plus+sign.png'), 'plus+sign.png');
    assert.equal(nameOf('percent%2Fslash.png'), 'percent%2Fslash.png', 'never URL-decoded');
    assert.equal(nameOf('emoji-😀.png'), 'emoji-😀.png');
    assert.equal(nameOf('a..b/c...jpg'), 'a..b/c...jpg', 'dots inside a segment are fine');
  });

  it('refuses every way out of the prefix as path-traversal', () => {
    for (const raw of [
      '../x.jpg',
      'a/../../x.jpg',
      'a/..',
      '..',
      '/tmp/x.jpg',
      '//x.jpg',
      '\\x.jpg',
      '\\\\server\\share\\x.jpg',
      'C:\\x.jpg',
      'c:x.jpg',
      'C:/x.jpg',
      'ok\\..\\..\\evil.png',
      'a/..\\..\\x.jpg',
      // Removing control characters must not make a traversal: checked after removal.
      '.\u0007./x.jpg',
      '\u202e../x.jpg',
      '\u0000/etc/passwd',
    ]) {
      assert.equal(refusalOf(raw), 'path-traversal', JSON.stringify(raw));
    }
  });

  it('refuses other backslashes as ambiguous', () => {
    assert.equal(refusalOf('dir\\a.jpg'), 'backslash-in-name');
    assert.equal(refusalOf('a\\b\\c.jpg'), 'backslash-in-name');
  });

  it('removes C0, DEL, C1 and bidirectional controls, then NFC-normalises', () => {
    assert.equal(nameOf('ctrl\u0007bell.png'), 'ctrlbell.png');
    assert.equal(nameOf('rtl\u202egnp.exe'), 'rtlgnp.exe');
    assert.equal(nameOf('a\u0000\u001f\u007f\u0080\u0085\u009fb.jpg'), 'ab.jpg');
    for (const c of [
      '\u200e',
      '\u200f',
      '\u061c',
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ]) {
      assert.equal(nameOf(`a${c}b.jpg`), 'ab.jpg', `U+${c.codePointAt(0)?.toString(16)}`);
    }
    assert.equal(nameOf('cafe\u0301.png'), 'caf\u00e9.png', 'NFD becomes NFC');
    assert.equal(nameOf('cafe\u0007\u0301.png'), 'caf\u00e9.png', 'removal happens before NFC');
    assert.equal(nameOf('new\nline.jpg'), 'newline.jpg');
  });

  it('refuses a name left empty', () => {
    for (const raw of ['', '.', './', '\u0007', '\u202e/\u0007', '//']) {
      const verdict = cleanEntryName(raw);
      assert.ok('refused' in verdict, JSON.stringify(raw));
    }
    assert.equal(refusalOf(''), 'invalid-name');
    assert.equal(refusalOf('./\u0007'), 'invalid-name');
  });

  it('skips hidden segments and macOS resource forks', () => {
    assert.deepEqual(cleanEntryName('.DS_Store'), { skipped: 'hidden' });
    assert.deepEqual(cleanEntryName('a/.git/config'), { skipped: 'hidden' });
    assert.deepEqual(cleanEntryName('a/._b.jpg'), { skipped: 'hidden' });
    assert.deepEqual(cleanEntryName('__MACOSX/a/b.jpg'), { skipped: 'resource-fork' });
    assert.deepEqual(cleanEntryName('\u0007.hidden'), { skipped: 'hidden' }, 'after cleaning');
  });

  it('names details with the raw name escaped', () => {
    const verdict = cleanEntryName('\u202e../\u0007x');
    assert.ok('refused' in verdict);
    assert.match(verdict.detail, /\\u\{202e\}\.\.\/\\u\{0007\}x/);
  });
});

describe('cleanSegment', () => {
  it('cleans a single name, leading dot allowed', () => {
    assert.deepEqual(cleanSegment('.photos'), { name: '.photos' });
    assert.deepEqual(cleanSegment('ph\u0007otos'), { name: 'photos' });
    const backslash = cleanSegment('a\\b');
    assert.ok('refused' in backslash && backslash.refused === 'backslash-in-name');
    assert.ok('refused' in cleanSegment('\u0007'));
    assert.ok('refused' in cleanSegment('.\u0007.'));
  });
});

describe('fitsKey', () => {
  it('counts UTF-8 bytes of prefix and name against 1,024', () => {
    assert.equal(fitsKey('uploads/', 'a'.repeat(1016)), true);
    assert.equal(fitsKey('uploads/', 'a'.repeat(1017)), false);
    assert.equal(fitsKey('', 'é'.repeat(512)), true, '1,024 bytes');
    assert.equal(fitsKey('', `${'é'.repeat(512)}a`), false);
    assert.equal(fitsKey('', '😀'.repeat(256)), true);
    assert.equal(fitsKey('x', '😀'.repeat(256)), false);
  });
});

describe('displayName', () => {
  it('escapes what could act on a terminal or hide an extension, and shortens long names', () => {
    assert.equal(displayName('a\u0007b\u202ec\u2028d'), 'a\\u{0007}b\\u{202e}c\\u{2028}d');
    const long = displayName('x'.repeat(1100));
    assert.ok(long.length < 200);
    assert.match(long, /… \(1100 bytes\)$/);
  });
});

describe('nested archives by name', () => {
  it('knows archive and compressed-file extensions, whatever the case', () => {
    for (const name of [
      'a.zip',
      'a.ZIP',
      'a.tar',
      'a.tar.gz',
      'a.tgz',
      'a.gz',
      'a.7z',
      'a.rar',
      'a.xz',
      'a.bz2',
      'a.zst',
    ]) {
      assert.equal(isNestedArchiveName(name), true, name);
    }
    for (const name of ['a.jpg', 'zip.png', 'a.tar.jpg', 'gz']) {
      assert.equal(isNestedArchiveName(name), false, name);
    }
  });
});

describe('zip name decoding', () => {
  const cp437 = Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x6a, 0x70, 0x67]); // "caf\x82.jpg"
  it('reads CP437 when the bytes are not UTF-8 and the flag is clear', () => {
    assert.equal(decodeZipName(cp437, 0, []), 'café.jpg');
  });
  it('reads UTF-8 when flagged, and refuses flagged bytes that are not UTF-8', () => {
    assert.equal(decodeZipName(Buffer.from('café.jpg'), 0x800, []), 'café.jpg');
    assert.equal(decodeZipName(cp437, 0x800, []), undefined);
  });
  it('reads unflagged bytes that are valid UTF-8 as UTF-8', () => {
    assert.equal(decodeZipName(Buffer.from('café.jpg'), 0, []), 'café.jpg');
  });
  it('prefers an Info-ZIP Unicode Path field whose CRC matches the raw name', () => {
    const extra = unicodePathExtra(cp437, 'naïve.jpg').subarray(4);
    assert.equal(decodeZipName(cp437, 0, [{ id: 0x7075, data: extra }]), 'naïve.jpg');
    const stale = Buffer.from(extra);
    stale.writeUInt32LE((crc32(cp437) + 1) >>> 0, 1);
    assert.equal(decodeZipName(cp437, 0, [{ id: 0x7075, data: stale }]), 'café.jpg');
  });
  it('has all 128 high CP437 characters', () => {
    const all = decodeCp437(Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i));
    assert.equal([...all].length, 128);
    assert.equal(all[0], 'Ç');
    assert.equal(all[0xe1 - 0x80], 'ß');
    assert.equal(all[0xff - 0x80], '\u00a0');
    assert.equal(decodeCp437(Buffer.from('abc')), 'abc');
  });
});

describe('tar name decoding', () => {
  it('reads header bytes as UTF-8 when valid, else Latin-1', () => {
    assert.equal(decodeTarName(Buffer.from('café.jpg').toString('latin1'), false), 'café.jpg');
    assert.equal(
      decodeTarName(Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('latin1'), false),
      'café',
    );
  });
  it('refuses a PAX path that was not UTF-8', () => {
    assert.equal(decodeTarName('caf\ufffd', true), undefined);
    assert.equal(decodeTarName('café', true), 'café');
  });
});

describe('NameRegistry', () => {
  it('finds every name added, across growth, and only those', () => {
    const registry = new NameRegistry(4);
    for (let i = 0; i < 50_000; i += 1) registry.add(`dir/${i}.jpg`, i, 'entry');
    assert.equal(registry.size, 50_000);
    for (let i = 0; i < 50_000; i += 997) {
      assert.deepEqual(registry.find(`dir/${i}.jpg`), { index: i, kind: 'entry' });
    }
    assert.equal(registry.find('dir/50000.jpg'), undefined);
  });
  it('keeps the first entry for a name, and lets an entry take a link’s name', () => {
    const registry = new NameRegistry();
    registry.add('a', 1, 'entry');
    registry.add('a', 2, 'entry');
    assert.deepEqual(registry.find('a'), { index: 1, kind: 'entry' });
    registry.add('l', 3, 'link');
    registry.add('l', 4, 'entry');
    assert.deepEqual(registry.find('l'), { index: 4, kind: 'entry' });
    assert.equal(registry.size, 2);
  });
});
