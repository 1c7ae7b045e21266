/** Colour, privacy, polyglots, watermarks, formats, analysis and opt-ins, on real pixels. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import type { PixelmillConfigInput } from '../../events/config/schema.ts';
import { defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { readExifText } from '../../lib/imaging/exif-text.ts';
import { hammingDistance } from '../../lib/imaging/phash.ts';
import { type Rendition, renderImage } from '../../lib/imaging/render.ts';
import {
  alphaLogo,
  animatedGif,
  CHART_SIZE,
  chartPixels,
  fixture,
  P3_PIXEL,
  photoLike,
  tealPortrait,
} from '../fixtures/catalogue.ts';
import { randomBytes } from '../fixtures/crafted.ts';
import { corpusMissing, corpusPath } from '../helpers/corpus.ts';

/** A scene of seeded random rectangles on a gradient: distinct low-frequency structure per seed. */
function scene(w: number, h: number, seed: number): Promise<Buffer> {
  const r = randomBytes(60, seed);
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++)
      data.set([60 + (x * 60) / w, 60, 90 + (y * 60) / h], (y * w + x) * 3);
  }
  for (let i = 0; i < 12; i++) {
    const [x0, y0, rw, rh, c] = [0, 1, 2, 3, 4].map((k) => (r[i * 5 + k] ?? 0) / 255);
    const colour = [255 * (c ?? 0), 255 * (1 - (c ?? 0)), (255 * 7 * (c ?? 0)) % 255];
    for (let y = Math.floor((y0 ?? 0) * h); y < Math.min(h, ((y0 ?? 0) + (rh ?? 0) / 2) * h); y++) {
      for (
        let x = Math.floor((x0 ?? 0) * w);
        x < Math.min(w, ((x0 ?? 0) + (rw ?? 0) / 2) * w);
        x++
      ) {
        data.set(colour, (y * w + x) * 3);
      }
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

const config = defaultConfig();
const withConfig = (input: Omit<PixelmillConfigInput, 'presets'>, presets = config.presets) =>
  parseConfig({ presets, ...input }, 'test');
const one = (renditions: readonly Rendition[], preset: string, format: string) => {
  const found = renditions.find((r) => r.presetName === preset && r.format === format);
  assert.ok(found, `${preset}.${format}`);
  return found;
};

/** sRGB ↔ linear (IEC 61966-2-1), for an independent Display P3 → sRGB reference. */
const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const toGamma = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
/** Display P3 → sRGB in linear light (both D65): M(XYZ→sRGB) × M(P3→XYZ). */
const P3_TO_SRGB = [
  [1.2249, -0.2247, 0.0],
  [-0.042, 1.0419, 0.0],
  [-0.0197, -0.0786, 1.0979],
];
function p3ToSrgb(rgb: readonly number[]): number[] {
  const lin = rgb.map((v) => toLinear(v / 255));
  return P3_TO_SRGB.map((row) =>
    Math.round(
      255 *
        toGamma(
          Math.min(
            1,
            Math.max(
              0,
              row.reduce((s, m, i) => s + m * (lin[i] ?? 0), 0),
            ),
          ),
        ),
    ),
  );
}

function assertClose(got: readonly number[], expected: readonly number[], tolerance: number) {
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs((got[i] ?? -999) - (expected[i] ?? 0)) <= tolerance,
      `${got} ≈ ${expected} (±${tolerance})`,
    );
  }
}

async function firstPixel(image: Buffer): Promise<number[]> {
  const px = await sharp(image).toColourspace('srgb').raw().toBuffer();
  return [px[0] ?? -1, px[1] ?? -1, px[2] ?? -1];
}

/** Mean colour of each 32×32 swatch of the colour chart, sampled at its centre. */
async function swatches(image: Buffer): Promise<number[][]> {
  const { data, info } = await sharp(image)
    .resize(CHART_SIZE.width, CHART_SIZE.height, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out: number[][] = [];
  for (let sy = 0; sy < 2; sy++) {
    for (let sx = 0; sx < 3; sx++) {
      const i = ((sy * 32 + 16) * info.width + sx * 32 + 16) * info.channels;
      out.push([data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0]);
    }
  }
  return out;
}

describe('colour', () => {
  it('converts Display P3 pixels to sRGB through their profile (checked against the matrices)', async () => {
    const result = await renderImage(await fixture('display-p3.png').build(), config);
    const expected = p3ToSrgb(P3_PIXEL);
    for (const r of result.renditions.filter((x) => x.format === 'webp')) {
      const got = await firstPixel(r.data);
      assertClose(got, expected, 4);
    }
    assert.notDeepEqual(
      expected,
      [...P3_PIXEL],
      'the reference really differs from the raw values',
    );
  });

  for (const name of ['cmyk-with-profile.jpg', 'cmyk-no-profile.jpg']) {
    it(`comes out of ${name} as sRGB close to a reference conversion and to the colours it was made from`, async () => {
      const input = await fixture(name).build();
      assert.equal((await sharp(input).metadata()).space, 'cmyk');
      const result = await renderImage(input, config);
      const out = one(result.renditions, 'w320', 'webp');
      assert.equal((await sharp(out.data).metadata()).space, 'srgb');
      const got = await swatches(out.data);
      // Reference: lcms through the embedded (or fallback) profile, in a separate direct pipeline.
      const reference = await swatches(await sharp(input).toColourspace('srgb').png().toBuffer());
      const original = await swatches(
        await sharp(chartPixels(), { raw: { ...CHART_SIZE, channels: 3 } })
          .png()
          .toBuffer(),
      );
      got.forEach((rgb, s) => {
        rgb.forEach((v, i) => {
          assert.ok(
            Math.abs(v - (reference[s]?.[i] ?? 0)) <= 6,
            `swatch ${s}: ${rgb} vs reference ${reference[s]}`,
          );
          // CMYK cannot hold every sRGB colour and the round trip goes through two profiles: it
          // only has to stay recognisable (a naive or inverted conversion is off by 100+).
          assert.ok(
            Math.abs(v - (original[s]?.[i] ?? 0)) <= 48,
            `swatch ${s}: ${rgb} vs original ${original[s]}`,
          );
        });
      });
    });
  }

  it('converts a ProPhoto RGB source to sRGB (../shared/corpus)', {
    skip: corpusMissing('hostile', 'sharp', 'prophoto.png'),
  }, async () => {
    const input = readFileSync(corpusPath('hostile', 'sharp', 'prophoto.png'));
    const meta = await sharp(input).metadata();
    assert.ok(meta.icc?.includes(Buffer.from('ProPhoto')), 'the source carries a ProPhoto profile');
    const result = await renderImage(input, config);
    const reference = await firstPixel(await sharp(input).toColourspace('srgb').png().toBuffer());
    for (const r of result.renditions) {
      const got = await firstPixel(r.data);
      assertClose(got, reference, 3);
    }
  });
});

describe('metadata privacy', () => {
  it('strips EXIF (GPS included) by default and keeps only copyright and ICC on opt-in', async () => {
    const input = await fixture('exif-gps.jpg').build();
    assert.deepEqual(readExifText((await sharp(input).metadata()).exif), {
      copyright: '(c) Test Studio',
      artist: 'A. Photographer',
    });
    const stripped = await renderImage(input, config);
    for (const r of stripped.renditions)
      assert.equal((await sharp(r.data).metadata()).exif, undefined);

    const kept = await renderImage(
      input,
      withConfig({ output: { metadata: 'copyright-and-icc' } }),
    );
    for (const r of kept.renditions.filter((x) => x.format === 'jpeg')) {
      const meta = await sharp(r.data).metadata();
      assert.deepEqual(readExifText(meta.exif), {
        copyright: '(c) Test Studio',
        artist: 'A. Photographer',
      });
      assert.ok(meta.icc, 'tagged sRGB');
      assert.equal(meta.exif?.includes(Buffer.from('48/1')), false, 'no GPS');
      assert.equal(meta.exif?.indexOf(Buffer.from([0x25, 0x88])), -1, 'no GPS IFD pointer');
    }
  });

  it('re-encodes a JPEG+ZIP polyglot: no trace of the ZIP or its HTML in any rendition', async () => {
    const input = await fixture('jpeg-zip-polyglot.jpg').build();
    assert.ok(input.includes(Buffer.from('PK\x03\x04', 'latin1')));
    const result = await renderImage(input, config);
    for (const r of result.renditions) {
      assert.equal(r.data.includes(Buffer.from('PK\x03\x04', 'latin1')), false);
      assert.equal(r.data.includes(Buffer.from('<script')), false);
      assert.equal(r.data.includes(Buffer.from('index.html')), false);
    }
  });
});

describe('watermark', () => {
  const presets = parseConfig(
    {
      presets: [
        { name: 'big', width: 800, formats: [{ format: 'png' }] },
        { name: 'thumb', width: 200, formats: [{ format: 'png' }] },
        { name: 'plain', width: 800, watermark: false, formats: [{ format: 'png' }] },
      ],
    },
    't',
  ).presets;

  async function differingRegion(a: Buffer, b: Buffer) {
    const [ra, rb] = await Promise.all([
      sharp(a).raw().toBuffer({ resolveWithObject: true }),
      sharp(b).raw().toBuffer(),
    ]);
    let minX = Number.POSITIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxX = -1;
    let maxY = -1;
    const { width, channels } = ra.info;
    for (let i = 0; i < ra.data.length; i += channels) {
      if (Math.abs((ra.data[i] ?? 0) - (rb[i] ?? 0)) > 8) {
        const x = (i / channels) % width;
        const y = Math.floor(i / channels / width);
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    }
    return maxX < 0 ? undefined : { minX, minY, maxX, maxY, width, height: ra.info.height };
  }

  it('draws text with the bundled font at the gravity, sized to the rendition, skipped below minWidth', async () => {
    const input = await photoLike(1600, 1000, 2);
    const marked = await renderImage(
      input,
      withConfig(
        { watermark: { text: '© pixelmill', gravity: 'southeast', scale: 0.3, minWidth: 400 } },
        presets,
      ),
    );
    const region = await differingRegion(
      one(marked.renditions, 'big', 'png').data,
      one(marked.renditions, 'plain', 'png').data,
    );
    assert.ok(region, 'the watermark changed pixels');
    assert.ok(
      region.minX > region.width / 2 && region.minY > region.height / 2,
      `bottom right: ${JSON.stringify(region)}`,
    );
    const markWidth = region.maxX - region.minX + 1;
    assert.ok(
      markWidth > 0.2 * region.width && markWidth <= 0.3 * region.width + 2,
      `about 30 % wide: ${markWidth}`,
    );
    const unmarked = await renderImage(input, withConfig({}, presets));
    assert.deepEqual(
      one(marked.renditions, 'thumb', 'png').data,
      one(unmarked.renditions, 'thumb', 'png').data,
      'below minWidth: untouched',
    );
  });

  it('overlays an image watermark (data URI) at the north-west corner, with opacity', async () => {
    const logo = await sharp({
      create: { width: 100, height: 50, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } },
    })
      .png()
      .toBuffer();
    const image = `data:image/png;base64,${logo.toString('base64')}`;
    const input = await photoLike(1600, 1000, 2);
    const marked = await renderImage(
      input,
      withConfig(
        { watermark: { image, gravity: 'northwest', opacity: 0.5, scale: 0.25 } },
        presets,
      ),
    );
    const big = one(marked.renditions, 'big', 'png').data;
    const region = await differingRegion(big, one(marked.renditions, 'plain', 'png').data);
    assert.ok(
      region && region.maxX < region.width / 2 && region.maxY < region.height / 2,
      `top left: ${JSON.stringify(region)}`,
    );
    const margin = Math.round(0.03 * 500);
    const { data } = await sharp(big)
      .extract({ left: margin + 20, top: margin + 10, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { data: under } = await sharp(one(marked.renditions, 'plain', 'png').data)
      .extract({ left: margin + 20, top: margin + 10, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.ok(
      Math.abs((data[0] ?? 0) - (255 + (under[0] ?? 0)) / 2) <= 3,
      `half-blended red: ${data[0]} over ${under[0]}`,
    );
  });

  it('changes the keys of watermarked presets only when the watermark changes', async () => {
    const { presetHash } = await import('../../lib/config/parse.ts');
    const a = withConfig({ watermark: { text: 'one' } }, presets);
    const b = withConfig({ watermark: { text: 'two' } }, presets);
    const hashes = (c: typeof a) => c.presets.map((p) => presetHash(p, c));
    assert.deepEqual(
      hashes(a).map((h, i) => h === hashes(b)[i]),
      [false, false, true],
    );
  });
});

describe('formats', () => {
  it('keeps the original format when asked (PNG → PNG, GIF → GIF, JPEG → JPEG)', async () => {
    const cfg = parseConfig(
      { presets: [{ name: 'same', width: 100, formats: [{ format: 'original' }] }] },
      't',
    );
    for (const [name, format] of [
      ['alpha-logo.png', 'png'],
      ['animated.gif', 'gif'],
      ['small-photo.jpg', 'jpeg'],
    ] as const) {
      const result = await renderImage(await fixture(name).build(), cfg);
      assert.equal(result.renditions[0]?.format, format);
      assert.equal((await sharp(result.renditions[0]?.data).metadata()).format, format);
    }
  });

  it('fits a WebP rendition inside its cap with a note; AVIF and JPEG keep the full side', async () => {
    // A 2 × 20000 strip asked for at the tallest box a preset may have (16,384): WebP holds
    // 16,383 px a side and says so; AVIF holds 16,384 and JPEG 65,500, so neither is touched.
    const cfg = parseConfig(
      {
        presets: [
          {
            name: 'tall',
            height: 16384,
            formats: [{ format: 'avif', effort: 0 }, { format: 'webp' }, { format: 'jpeg' }],
          },
        ],
      },
      't',
    );
    const strip = await sharp({
      create: { width: 2, height: 20000, channels: 3, background: '#3a6' },
    })
      .png()
      .toBuffer();
    const result = await renderImage(strip, cfg);
    const byFormat = new Map(result.renditions.map((r) => [r.format, r]));
    for (const [format, side] of [
      ['avif', 16384],
      ['webp', 16383],
      ['jpeg', 16384],
    ] as const) {
      const r = byFormat.get(format);
      assert.ok(r, format);
      assert.equal(r.height, side, format);
      assert.equal((await sharp(r.data).metadata()).height, side, `${format} as decoded`);
      if (side < 16384) assert.match(r.note ?? '', new RegExp(`fitted inside ${side} × ${side}`));
      else assert.equal(r.note, undefined);
    }
  });

  it('keeps an animation in WebP and GIF when animating, and uses the first frame otherwise', async () => {
    const cfg = parseConfig(
      {
        presets: [
          {
            name: 'a',
            width: 32,
            formats: [{ format: 'webp' }, { format: 'gif' }, { format: 'jpeg' }],
          },
        ],
        input: { animated: 'animate' },
      },
      't',
    );
    const result = await renderImage(await animatedGif(10), cfg);
    const pages = async (r: Rendition) =>
      (await sharp(r.data, { animated: true }).metadata()).pages ?? 1;
    assert.equal(await pages(one(result.renditions, 'a', 'webp')), 10);
    assert.equal(await pages(one(result.renditions, 'a', 'gif')), 10);
    assert.equal(await pages(one(result.renditions, 'a', 'jpeg')), 1);
    assert.equal(one(result.renditions, 'a', 'webp').height, 32);
    const still = await renderImage(
      await animatedGif(10),
      parseConfig({ presets: cfg.presets }, 't'),
    );
    assert.equal(await pages(one(still.renditions, 'a', 'webp')), 1);
  });

  it('decodes TIFF and SVG only when input.formats allows them', async () => {
    const tiff = await fixture('photo.tiff').build();
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="#2a6"/></svg>',
    );
    const open = withConfig({ input: { formats: ['jpeg', 'png', 'tiff', 'svg'] } });
    assert.equal((await renderImage(tiff, open)).analysis.format, 'tiff');
    const fromSvg = await renderImage(svg, open);
    assert.equal(fromSvg.analysis.width, 300);
    assert.equal(fromSvg.renditions[0]?.format, 'jpeg');
    await assert.rejects(renderImage(svg, config), { reason: 'format-not-allowed' });
    const hugeSvg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>',
    );
    await assert.rejects(renderImage(hugeSvg, open), { reason: 'pixel-limit' });
  });
});

describe('analysis', () => {
  it('records a placeholder, the dominant colour, a perceptual hash and the SHA-256', async () => {
    const red = await sharp({
      create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 30, b: 30 } },
    })
      .png()
      .toBuffer();
    const { analysis } = await renderImage(red, config);
    const placeholder = thumbHashToRGBA(Buffer.from(analysis.placeholder, 'base64'));
    assert.ok(placeholder.w > placeholder.h, 'the placeholder keeps the landscape aspect');
    assert.ok(
      Math.abs((placeholder.rgba[0] ?? 0) - 200) < 24,
      `placeholder colour ${placeholder.rgba[0]}`,
    );
    const [r, g, b] = [1, 3, 5].map((i) =>
      Number.parseInt(analysis.dominantColour.slice(i, i + 2), 16),
    );
    assert.ok((r ?? 0) > 150 && (g ?? 255) < 80 && (b ?? 255) < 80, analysis.dominantColour);
    assert.match(analysis.phash, /^[0-9a-f]{16}$/);
    assert.match(analysis.sha256, /^[0-9a-f]{64}$/);
  });

  it('takes the dominant colour from what is visible, not from transparent pixels', async () => {
    // A teal logo covering a quarter of a transparent canvas (stored as transparent black).
    const logo = await alphaLogo({ r: 20, g: 160, b: 150 });
    const { analysis } = await renderImage(logo, config);
    const [r, g, b] = [1, 3, 5].map((i) =>
      Number.parseInt(analysis.dominantColour.slice(i, i + 2), 16),
    );
    assert.ok(
      Math.abs((r ?? 0) - 20) < 12 &&
        Math.abs((g ?? 0) - 160) < 12 &&
        Math.abs((b ?? 0) - 150) < 12,
      analysis.dominantColour,
    );
  });

  it('takes the dominant colour of a photograph, not of its flat white border', async () => {
    const { analysis } = await renderImage(await tealPortrait(), config);
    const [r, g, b] = [1, 3, 5].map((i) =>
      Number.parseInt(analysis.dominantColour.slice(i, i + 2), 16),
    ) as [number, number, number];
    // Teal: green and blue alike, far above red; and not the border's near-white.
    assert.ok(
      g - r > 60 && b - r > 60 && Math.abs(g - b) < 16 && r < 60,
      `teal expected, got ${analysis.dominantColour}`,
    );
  });

  it("takes a photograph's colour over its clipped highlights (../shared/corpus)", {
    skip: corpusMissing('photos', 'd12_free_o6.jpg'),
  }, async () => {
    // A bird under a grey ceiling lit by white lamps: the ceiling's grey, not the lamps' white.
    const { analysis } = await renderImage(
      readFileSync(corpusPath('photos', 'd12_free_o6.jpg')),
      config,
    );
    const channels = [1, 3, 5].map((i) =>
      Number.parseInt(analysis.dominantColour.slice(i, i + 2), 16),
    );
    assert.ok(
      channels.every((c) => c > 60 && c < 180),
      `a mid grey expected, got ${analysis.dominantColour}`,
    );
  });

  it('finds near-duplicates by perceptual hash and tells different pictures apart', async () => {
    const original = await scene(1200, 800, 3);
    const resaved = await sharp(original)
      .resize(500)
      .modulate({ brightness: 1.1 })
      .jpeg({ quality: 40 })
      .toBuffer();
    const other = await scene(1200, 800, 11);
    const hash = async (b: Buffer) => (await renderImage(b, config)).analysis.phash;
    const [a, b, c] = await Promise.all([hash(original), hash(resaved), hash(other)]);
    assert.ok(hammingDistance(a, b) <= 6, `near-duplicate distance ${hammingDistance(a, b)}`);
    assert.ok(hammingDistance(a, c) >= 20, `different picture distance ${hammingDistance(a, c)}`);
  });

  it('separates real photographs and recognises them resaved (../shared/corpus)', {
    skip: corpusMissing('photos'),
  }, async () => {
    const hash = async (b: Buffer) => (await renderImage(b, config)).analysis.phash;
    const names = ['n05_sunset.jpg', 'n06_bridge.jpg', 'n07_wine.jpg', 's02_storm_small.jpg'];
    const hashes: string[] = [];
    for (const name of names) {
      const source = readFileSync(corpusPath('photos', name));
      const h = await hash(source);
      const resaved = await hash(await sharp(source).resize(400).jpeg({ quality: 40 }).toBuffer());
      assert.ok(
        hammingDistance(h, resaved) <= 6,
        `${name} resaved: ${hammingDistance(h, resaved)}`,
      );
      hashes.push(h);
    }
    for (let i = 0; i < hashes.length; i++) {
      for (let j = i + 1; j < hashes.length; j++) {
        const d = hammingDistance(hashes[i] ?? '', hashes[j] ?? '');
        assert.ok(d >= 20, `${names[i]} vs ${names[j]}: ${d}`);
      }
    }
  });

  it('records when the name or Content-Type claims another format than the bytes', async () => {
    const png = await fixture('png-named-jpg.jpg').build();
    const spoofed = await renderImage(png, config, { extension: 'jpg', contentType: 'image/jpeg' });
    assert.equal(spoofed.analysis.format, 'png');
    assert.equal(spoofed.analysis.typeMismatch, true);
    const honest = await renderImage(png, config, { extension: 'png', contentType: 'image/png' });
    assert.equal(honest.analysis.typeMismatch, false);
  });
});
