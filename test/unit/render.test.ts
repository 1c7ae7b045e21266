/**
 * The imaging engine over the whole fixture catalogue, on real pixels with real sharp: every
 * fixture ends as the catalogue says, under the default config and when animating.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { ImageRejectedError } from '../../lib/imaging/errors.ts';
import { renderImage } from '../../lib/imaging/render.ts';
import { detailedPhoto, fixture, fixtures, reasonMatches } from '../fixtures/catalogue.ts';
import { isUprightMarker } from '../fixtures/orientation.ts';

const config = defaultConfig();
const animating = parseConfig(
  { presets: config.presets, input: { animated: 'animate' } },
  'animating',
);

for (const [label, cfg] of [
  ['default config', config],
  ['animating', animating],
] as const) {
  describe(`every catalogue fixture, ${label}`, () => {
    for (const f of fixtures) {
      const expect = label === 'animating' ? (f.expectWhenAnimating ?? f.expect) : f.expect;
      it(`${f.name}: ${expect.status === 'DONE' ? 'DONE' : `REJECTED ${[expect.reason].flat().join(' or ')}`} — ${f.exercises}`, async () => {
        const input = await f.build();
        if (expect.status === 'REJECTED') {
          await assert.rejects(renderImage(input, cfg), (error) => {
            assert.ok(error instanceof ImageRejectedError, String(error));
            assert.ok(
              reasonMatches(expect.reason, error.reason),
              `${error.reason}: ${error.message}`,
            );
            assert.ok(error.message.length > 10, 'a human message');
            return true;
          });
          return;
        }
        const result = await renderImage(input, cfg);
        assert.equal(result.analysis.width, f.upright?.width);
        assert.equal(result.analysis.height, f.upright?.height);
        if (expect.format) assert.equal(result.analysis.format, expect.format);
        assert.equal(result.renditions.length, 6);
        for (const r of result.renditions) {
          const meta = await sharp(r.data, { animated: true }).metadata();
          assert.equal(meta.format === 'heif' ? 'avif' : meta.format, r.format);
          assert.equal(meta.width, r.width);
          assert.ok(
            r.width <= (f.upright?.width ?? 0) && r.height <= (f.upright?.height ?? 0),
            'never enlarged',
          );
          assert.equal(meta.exif, undefined);
          assert.equal(meta.xmp, undefined);
          assert.equal(meta.iptc, undefined);
          assert.equal(meta.icc, undefined);
          assert.equal(meta.depth, 'uchar');
          if (f.name.startsWith('orientation-')) {
            assert.ok(
              await isUprightMarker(r.data),
              `${r.presetName}.${r.format} is upright, not mirrored`,
            );
          }
        }
      });
    }
  });
}

describe('renderImage geometry', () => {
  it('makes six renditions, aspect ratio kept within one pixel, never wider than asked', async () => {
    const result = await renderImage(await fixture('landscape-photo.jpg').build(), config);
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

  it('produces the same bytes for the same input and config', async () => {
    const input = await fixture('landscape-photo.jpg').build();
    const [a, b] = await Promise.all([renderImage(input, config), renderImage(input, config)]);
    assert.deepEqual(
      a.renditions.map((r) => r.data.toString('base64')),
      b.renditions.map((r) => r.data.toString('base64')),
    );
  });

  it('fills a cover box exactly (centre, attention and entropy crops) and pads a contain box', async () => {
    const custom = parseConfig(
      {
        presets: [
          { name: 'centre', width: 200, height: 200, fit: 'cover', formats: [{ format: 'png' }] },
          {
            name: 'attention',
            width: 150,
            height: 300,
            fit: 'cover',
            position: 'attention',
            formats: [{ format: 'webp' }],
          },
          {
            name: 'entropy',
            width: 300,
            height: 100,
            fit: 'cover',
            position: 'entropy',
            formats: [{ format: 'avif' }],
          },
          {
            name: 'padded',
            width: 400,
            height: 400,
            fit: 'contain',
            background: '#ff00ff',
            formats: [{ format: 'jpeg', quality: 95 }],
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
        ['padded', 'jpeg', 400, 400],
        ['attention', 'webp', 150, 300],
        ['centre', 'png', 200, 200],
        ['entropy', 'avif', 300, 100],
        ['tall', 'jpeg', 150, 100],
      ],
    );
    const padded = result.renditions.find((r) => r.presetName === 'padded');
    const corner = await sharp(padded?.data)
      .extract({ left: 0, top: 0, width: 4, height: 4 })
      .raw()
      .toBuffer();
    assert.deepEqual(
      [...corner.subarray(0, 3)].map((v) => Math.round(v / 32)),
      [8, 0, 8],
      'contain pads with the background colour',
    );
  });
});

/** Peak signal-to-noise ratio of two 8-bit buffers of one size, in dB. */
function psnr(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let squares = 0;
  for (let i = 0; i < a.length; i++) squares += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return squares === 0
    ? Number.POSITIVE_INFINITY
    : 10 * Math.log10((255 * 255) / (squares / a.length));
}

describe('the cascade', () => {
  // Each `inside` size is resized from the one before (800 from 1600, 320 from 800), the largest
  // decoded straight to its size: cheaper, and as close to the truth — one lanczos resize of the
  // full-resolution pixels — as a direct resize with shrink-on-load (which measures 33.7–50 dB
  // here). Compared losslessly (PNG renditions), so only the resampling differs.
  const lossless = parseConfig(
    {
      presets: [1600, 800, 320, 100].map((w) => ({
        name: `w${w}`,
        width: w,
        formats: [{ format: 'png' }],
      })),
    },
    'lossless',
  );
  for (const [w, h, seed] of [
    [2000, 1333, 1],
    [4000, 2667, 2],
    [2400, 3600, 3],
  ] as const) {
    it(`makes every size of a ${w}×${h} photo within 40 dB of a full-resolution resize`, async () => {
      const input = await detailedPhoto(w, h, seed);
      const full = await sharp(input).raw().toBuffer({ resolveWithObject: true });
      const result = await renderImage(input, lossless);
      assert.equal(result.renditions.length, 4);
      for (const r of result.renditions) {
        const made = await sharp(r.data).raw().toBuffer();
        const truth = sharp(full.data, { raw: full.info }).resize(r.width, r.height, {
          fit: 'fill',
        });
        const db = psnr(made, await truth.clone().raw().toBuffer());
        assert.ok(db >= 40, `${r.presetName}: ${db.toFixed(1)} dB`);
        // The measure can fail: the same size, slightly blurred, is far below it.
        if (r.width >= 320) {
          const blurred = await truth.clone().blur(1.2).raw().toBuffer();
          assert.ok(psnr(blurred, await truth.clone().raw().toBuffer()) < 35, 'a blur fails');
        }
      }
    });
  }
});
