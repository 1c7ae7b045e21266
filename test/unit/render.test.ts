/** The imaging engine on real pixels: real sharp, generated fixtures, perceptual checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { ImageRejectedError } from '../../lib/imaging/errors.ts';
import { renderImage } from '../../lib/imaging/render.ts';
import { fixture, fixtures } from '../fixtures/catalogue.ts';
import { isUprightMarker, orientedMarker } from '../fixtures/orientation.ts';

const config = defaultConfig();

describe('renderImage', () => {
  it('makes six renditions, aspect ratio kept within one pixel, never wider than asked', async () => {
    const result = await renderImage(await fixture('landscape-photo.jpg').build(), config);
    assert.equal(result.renditions.length, 6);
    assert.deepEqual(
      result.renditions.map((r) => `${r.presetName}.${r.format}:${r.width}x${r.height}`),
      [
        'w1600.jpeg:1600x1066',
        'w1600.webp:1600x1066',
        'w800.jpeg:800x533',
        'w800.webp:800x533',
        'w320.jpeg:320x213',
        'w320.webp:320x213',
      ],
    );
    for (const r of result.renditions) {
      const meta = await sharp(r.data).metadata();
      assert.equal(meta.width, r.width);
      assert.equal(meta.format, r.format);
      assert.ok(
        Math.abs(r.height - (r.width * 1333) / 2000) <= 1,
        `${r.width}x${r.height} keeps 2000:1333`,
      );
    }
    assert.equal(result.analysis.width, 2000);
    assert.equal(result.analysis.format, 'jpeg');
    assert.match(result.analysis.sha256, /^[0-9a-f]{64}$/);
  });

  it('never enlarges a small source', async () => {
    const result = await renderImage(await fixture('small-photo.jpg').build(), config);
    assert.deepEqual(
      result.renditions.map((r) => [r.presetName, r.width, r.height]),
      [
        ['w1600', 500, 375],
        ['w1600', 500, 375],
        ['w800', 500, 375],
        ['w800', 500, 375],
        ['w320', 320, 240],
        ['w320', 320, 240],
      ],
    );
  });

  for (let orientation = 1; orientation <= 8; orientation++) {
    it(`turns EXIF orientation ${orientation} upright in every rendition`, async () => {
      const input = await orientedMarker(orientation, { width: 480, height: 320 });
      const result = await renderImage(input, config);
      assert.equal(result.analysis.width, 480);
      assert.equal(result.analysis.height, 320);
      for (const r of result.renditions) {
        assert.ok(r.width > r.height, `${r.presetName}.${r.format} is landscape`);
        assert.ok(
          await isUprightMarker(r.data),
          `${r.presetName}.${r.format} is upright, not mirrored`,
        );
      }
    });
  }

  it('strips EXIF, XMP, IPTC and ICC from every output', async () => {
    const tagged = await sharp(await fixture('small-photo.jpg').build())
      .withExif({
        IFD0: { Copyright: 'someone', Artist: 'someone' },
        IFD3: { GPSLatitudeRef: 'N' },
      })
      .keepIccProfile()
      .jpeg()
      .toBuffer();
    assert.ok((await sharp(tagged).metadata()).exif, 'the input carries EXIF');
    const result = await renderImage(tagged, config);
    for (const r of result.renditions) {
      const meta = await sharp(r.data).metadata();
      assert.equal(meta.exif, undefined);
      assert.equal(meta.xmp, undefined);
      assert.equal(meta.iptc, undefined);
      assert.equal(meta.icc, undefined);
      assert.equal(r.data.includes(Buffer.from('someone')), false);
    }
  });

  it('keeps alpha in WebP and flattens it onto white in JPEG', async () => {
    const result = await renderImage(await fixture('alpha-logo.png').build(), config);
    const webp = result.renditions.find((r) => r.format === 'webp' && r.presetName === 'w320');
    const jpeg = result.renditions.find((r) => r.format === 'jpeg' && r.presetName === 'w320');
    assert.ok(webp && jpeg);
    assert.equal((await sharp(webp.data).metadata()).hasAlpha, true);
    const corner = await sharp(jpeg.data)
      .extract({ left: 0, top: 0, width: 4, height: 4 })
      .raw()
      .toBuffer();
    assert.ok(
      [...corner].every((v) => v > 245),
      'transparent corners become white',
    );
  });

  it('produces the same bytes for the same input and config', async () => {
    const input = await fixture('landscape-photo.jpg').build();
    const [a, b] = await Promise.all([renderImage(input, config), renderImage(input, config)]);
    assert.deepEqual(
      a.renditions.map((r) => r.data.toString('base64')),
      b.renditions.map((r) => r.data.toString('base64')),
    );
  });

  it('honours presets with height, cover and other formats', async () => {
    const custom = parseConfig(
      {
        presets: [
          {
            name: 'square',
            width: 200,
            height: 200,
            fit: 'cover',
            formats: [{ format: 'avif' }, { format: 'png' }],
          },
          { name: 'tall', height: 100, formats: [{ format: 'jpeg', quality: 60 }] },
        ],
      },
      'test',
    );
    const result = await renderImage(await fixture('landscape-photo.jpg').build(), custom);
    assert.deepEqual(
      result.renditions.map((r) => [r.presetName, r.format, r.width, r.height]),
      [
        ['square', 'heif', 200, 200].map((v) => (v === 'heif' ? 'avif' : v)),
        ['square', 'png', 200, 200],
        ['tall', 'jpeg', 150, 100],
      ],
    );
    assert.equal((await sharp(result.renditions[0]?.data).metadata()).compression, 'av1');
  });

  for (const f of fixtures.filter((f) => f.expect.status === 'REJECTED')) {
    it(`rejects ${f.name} as ${f.expect.status === 'REJECTED' ? f.expect.reason : ''} (${f.exercises})`, async () => {
      const input = await f.build();
      const started = performance.now();
      await assert.rejects(renderImage(input, config), (error) => {
        assert.ok(error instanceof ImageRejectedError, String(error));
        assert.equal(error.reason, f.expect.status === 'REJECTED' ? f.expect.reason : '');
        assert.ok(error.message.length > 10, 'a human message');
        return true;
      });
      assert.ok(performance.now() - started < 2000, 'refused quickly');
    });
  }
});
