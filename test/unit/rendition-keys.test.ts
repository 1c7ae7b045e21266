/**
 * Rendition keys from hostile source keys: a key that a filesystem-backed store or a
 * path-normalising client would resolve elsewhere is replaced by a hash, and every other key keeps
 * exactly the rendition keys it had (existing rows point at them).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { OutputFormat } from '../../events/config/schema.ts';
import { defaultConfig, presetHash } from '../../lib/config/parse.ts';
import { fileExtensions } from '../../lib/imaging/encode.ts';
import { isUnsafeKeyPrefix, renditionKey } from '../../lib/pipeline/rendition-keys.ts';
import { DOT_SEGMENT_KEYS } from '../fixtures/dot-segment-keys.ts';

const config = defaultConfig();
const preset = config.presets[0];
if (!preset) throw new Error('the default config has presets');
const version = 'd41d8cd98f00b204e9800998ecf8427e';

function keyOf(key: string, format: OutputFormat = 'webp'): string {
  return renditionKey({ key, version }, preset as NonNullable<typeof preset>, format, config);
}

/** The rendition key as it has always been made: the contract for safe source keys. */
function historicKey(key: string, format: OutputFormat = 'webp'): string {
  const tag = createHash('sha256').update(version).digest('hex').slice(0, 12);
  const p = preset as NonNullable<typeof preset>;
  return `${key}/${tag}/${p.name}-${presetHash(p, config)}.${fileExtensions[format]}`;
}

const safe = [
  'uploads/a.jpg',
  'uploads/holiday 2024/IMG_0001.JPG',
  'uploads/é/写真.png',
  'uploads/%2e%2e/%2e%2e/x.jpg',
  'uploads/c:/x.jpg',
  'uploads/what?x=1#frag.jpg',
  'uploads/.hidden.jpg',
  'uploads/.../x.jpg',
  'uploads/a..b/x.jpg',
  'uploads/plus+amp&.jpg',
  '_long-keys/not-a-hash/x.jpg',
  `uploads/${'s'.repeat(255)}`,
];

const unsafe = [
  `uploads/${'../'.repeat(12)}tmp/x.jpg`,
  ...DOT_SEGMENT_KEYS,
  '..',
  '',
  'uploads/back\\slash.jpg',
  'uploads\\..\\..\\x.jpg',
  'uploads/new\nline.jpg',
  'uploads/cr\r.jpg',
  'uploads/tab\t.jpg',
  'uploads/nul\0.jpg',
  'uploads/del\x7f.jpg',
  'uploads/c1\u0085.jpg',
  `_long-keys/${'0'.repeat(32)}`,
  `_unsafe-keys/${'0'.repeat(32)}`,
];

describe('renditionKey and unsafe source keys', () => {
  it('keeps exactly the historic rendition keys of safe source keys', () => {
    for (const key of safe) {
      assert.equal(isUnsafeKeyPrefix(key), false, JSON.stringify(key));
      for (const format of ['webp', 'jpeg', 'avif'] as const)
        assert.equal(keyOf(key, format), historicKey(key, format), JSON.stringify(key));
    }
  });

  it('maps unsafe source keys under _unsafe-keys/<hash>/, with no dot, empty or odd segments', () => {
    for (const key of unsafe) {
      assert.equal(isUnsafeKeyPrefix(key), true, JSON.stringify(key));
      const r = keyOf(key);
      assert.match(r, /^_unsafe-keys\/[0-9a-f]{32}\/[0-9a-f]{12}\/[a-z0-9_-]+-[0-9a-f]+\.webp$/);
      for (const segment of r.split('/')) assert.ok(!['', '.', '..'].includes(segment), r);
    }
  });

  it('gives no two source keys the same rendition keys', () => {
    const long = `uploads/${'é'.repeat(500)}.jpg`;
    const longHash = keyOf(long).split('/')[1] ?? '';
    const unsafeHash = keyOf('uploads/a/../b.jpg').split('/')[1] ?? '';
    const sources = [
      ...safe,
      ...unsafe,
      long,
      // A safe-looking key that is exactly another key's hashed prefix.
      `_long-keys/${longHash}`,
      `_unsafe-keys/${unsafeHash}`,
      // Lone surrogates: not S3 keys, but UTF-8 would turn both into U+FFFD.
      'uploads/\ud800.jpg',
      'uploads/\udbff.jpg',
    ];
    const made = new Map<string, string>();
    for (const source of sources) {
      const r = keyOf(source);
      assert.equal(made.get(r), undefined, `${JSON.stringify(source)} shares ${r}`);
      made.set(r, source);
    }
    assert.notEqual(keyOf('uploads/a/../b.jpg'), keyOf('uploads/b.jpg'));
    assert.equal(keyOf('uploads/b.jpg'), historicKey('uploads/b.jpg'));
  });

  it('keeps _long-keys/ for over-long source keys, unsafe or not, and stays within 1,024 bytes', () => {
    for (const key of [`uploads/${'é'.repeat(500)}.jpg`, `uploads/${'../'.repeat(340)}x.jpg`]) {
      const r = keyOf(key);
      assert.match(r, /^_long-keys\/[0-9a-f]{32}\//);
      assert.ok(Buffer.byteLength(r) <= 1024);
    }
    const longest = `uploads/${'€'.repeat(338)}ab`;
    assert.equal(Buffer.byteLength(longest), 1024);
    assert.match(keyOf(longest), /^_long-keys\//);
  });
});
