import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { intermediateSize, largestFirst } from '../../lib/imaging/plan.ts';
import { sniffFormat } from '../../lib/imaging/sniff.ts';
import { renditionKey } from '../../lib/pipeline/rendition-keys.ts';
import { fixture, pngBombHeader } from '../fixtures/catalogue.ts';

describe('sniffFormat', () => {
  it('trusts the bytes, not the name', async () => {
    assert.equal(sniffFormat(await fixture('landscape-photo.jpg').build()), 'jpeg');
    assert.equal(sniffFormat(await fixture('alpha-logo.png').build()), 'png');
    assert.equal(sniffFormat(pngBombHeader(1, 1)), 'png');
    assert.equal(sniffFormat(await fixture('not-an-image.jpg').build()), undefined);
    assert.equal(sniffFormat(Buffer.alloc(0)), undefined);
  });

  it('recognises formats that are refused, so the refusal can name them', () => {
    const cases: [string, Buffer][] = [
      [
        'svg',
        Buffer.from('\uFEFF  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
      ],
      ['pdf', Buffer.from('%PDF-1.7\n')],
      ['tiff', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])],
      ['bmp', Buffer.concat([Buffer.from('BM'), Buffer.alloc(40)])],
      ['gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
      ['webp', Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1')],
      ['avif', Buffer.from('\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf', 'latin1')],
      ['heic', Buffer.from('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic', 'latin1')],
      ['vips', Buffer.from([0x08, 0xf2, 0xa6, 0xb6, 0, 0])],
    ];
    for (const [format, bytes] of cases) assert.equal(sniffFormat(bytes), format, format);
  });
});

describe('decode-once plan', () => {
  const presets = defaultConfig().presets;
  it('decodes at the size of the largest rendition', () => {
    assert.deepEqual(intermediateSize(presets, 6000, 4000), {
      width: 1600,
      height: 1067,
      resized: true,
    });
    assert.deepEqual(intermediateSize(presets, 1000, 800), {
      width: 1000,
      height: 800,
      resized: false,
    });
  });

  it('keeps enough pixels for a cover crop', () => {
    const cover = parseConfig(
      {
        presets: [
          { name: 'sq', width: 400, height: 400, fit: 'cover', formats: [{ format: 'png' }] },
        ],
      },
      't',
    ).presets;
    // 4000×1000 covering 400×400 needs height 400, so width 1600.
    assert.deepEqual(intermediateSize(cover, 4000, 1000), {
      width: 1600,
      height: 400,
      resized: true,
    });
  });

  it('orders presets largest first', () => {
    assert.deepEqual(
      largestFirst([...presets].reverse()).map((p) => p.name),
      ['w1600', 'w800', 'w320'],
    );
  });
});

describe('renditionKey', () => {
  const config = defaultConfig();
  const [w1600, w800] = config.presets;
  it('is a pure function of the object version and the preset', () => {
    assert.ok(w1600 && w800);
    const a = renditionKey({ key: 'uploads/a.jpg', version: 'etag1' }, w1600, 'webp', config);
    assert.equal(
      a,
      renditionKey({ key: 'uploads/a.jpg', version: 'etag1' }, w1600, 'webp', config),
    );
    assert.match(a, /^uploads\/a\.jpg\/[0-9a-f]{12}\/w1600-[0-9a-f]{8}\.webp$/);
    assert.notEqual(
      a,
      renditionKey({ key: 'uploads/a.jpg', version: 'etag2' }, w1600, 'webp', config),
    );
    assert.notEqual(
      a,
      renditionKey(
        { key: 'uploads/a.jpg', version: 'etag1' },
        { ...w1600, width: 1601 },
        'webp',
        config,
      ),
    );
    assert.equal(
      renditionKey({ key: 'uploads/a.jpg', version: 'etag1' }, w800, 'jpeg', config)
        .split('/')
        .at(-1)
        ?.startsWith('w800-'),
      true,
    );
  });

  it('stays within S3’s 1,024-byte key limit for very long source keys', () => {
    assert.ok(w1600);
    const key = renditionKey(
      { key: `uploads/${'é'.repeat(500)}.jpg`, version: 'v' },
      w1600,
      'jpeg',
      config,
    );
    assert.ok(Buffer.byteLength(key) <= 1024);
    assert.match(key, /^_long-keys\//);
  });
});
