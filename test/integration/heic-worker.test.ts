/**
 * HEIC through the real worker on the embedded cloud, under the default config (HEIC is on by
 * default): the handler, its pixel pool of child processes, libheif-js decoding in them, real
 * SDK calls. Fixtures are made by heif-enc and patched here (test/fixtures/heic.ts); without
 * heif-enc the tests skip and say why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { ImageRow } from '../../events/image-row.ts';
import { parseConfig } from '../../lib/config/parse.ts';
import { iccTaggedPng } from '../../lib/imaging/tagged-png.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import {
  colrNclx,
  exifOrientation,
  heicGrid,
  heicWithProperties,
  heifEnc,
  heifEncMissing,
  imirBox,
  irotBox,
} from '../fixtures/heic.ts';
import { isUprightMarker, orientedMarker } from '../fixtures/orientation.ts';
import {
  settledRow as outcome,
  startTestCloud,
  startTestWorker,
  type TestCloud,
  uploadImage,
} from '../helpers/local-cloud.ts';

const skip = heifEncMissing();
/** How long an outcome may take: a loaded 2-core machine runs a HEVC grid slowly. */
const WAIT_MS = 180_000;

/** A marker stored as EXIF `orientation` would store it, as a JPEG with no EXIF at all. */
const storedAs = async (orientation: number) =>
  sharp(await orientedMarker(orientation))
    .jpeg({ quality: 95 })
    .toBuffer();

/** Display P3 → sRGB for one 8-bit colour: linear-light matrix (D65 both), sRGB's curve. */
function p3ToSrgb(rgb: readonly number[]): number[] {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const enc = (v: number) => {
    const c = Math.min(1, Math.max(0, v));
    return Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055));
  };
  const m = [
    [1.2249, -0.2247, 0],
    [-0.042, 1.0419, 0],
    [-0.0197, -0.0786, 1.0979],
  ];
  const l = rgb.map(lin);
  return m.map((row) => enc(row.reduce((sum, k, i) => sum + k * (l[i] ?? 0), 0)));
}

const P3_COLOUR = [200, 100, 100] as const;

async function flatP3(tagged: boolean): Promise<Buffer> {
  const size = 64;
  const rgba = Buffer.alloc(size * size * 4);
  for (let i = 0; i < size * size; i++) rgba.set([...P3_COLOUR, 255], i * 4);
  if (!tagged)
    return sharp(rgba, { raw: { width: size, height: size, channels: 4 } })
      .png()
      .toBuffer();
  const p3 = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
    .withIccProfile('p3')
    .png()
    .toBuffer();
  const { icc } = await sharp(p3).metadata();
  assert.ok(icc, 'libvips has a Display P3 profile');
  return iccTaggedPng(rgba, size, size, icc);
}

async function renditionBytes(env: TestCloud, row: ImageRow): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const r of row.renditions ?? []) {
    out.push(
      await env.store.getBytes({ bucket: env.cloud.topology.renditionsBucket, key: r.key }, 1e9),
    );
  }
  return out;
}

describe('HEIC input through the real worker', { skip }, () => {
  it('comes out DONE, upright by HEIF rotation only, sRGB and metadata-free', async (t) => {
    const lossless = ['-L', '-p', 'chroma=444'];
    const fixtures = {
      // Pixels stored upright, EXIF orientation 6 left in: must not be turned.
      'exif-6-upright.heic': heifEnc(
        await sharp(await storedAs(1))
          .withMetadata({ orientation: 6 })
          .jpeg({ quality: 95 })
          .toBuffer(),
      ),
      // Stored turned 90° clockwise; irot 1 turns it back (90° anti-clockwise).
      'irot-90.heic': heicWithProperties(heifEnc(await storedAs(8)), { extra: [irotBox(1)] }),
      // Stored upside down and mirrored left-right: irot 180° then imir (vertical axis) … upright.
      'irot-180-imir.heic': heicWithProperties(heifEnc(await storedAs(4)), {
        extra: [irotBox(2), imirBox(1)],
      }),
      'p3-icc.heic': heifEnc(await flatP3(true), lossless),
      // heif-enc 1.15 writes no nclx box for HEVC: it is added here.
      'p3-nclx.heic': heicWithProperties(heifEnc(await flatP3(false), lossless), {
        descriptive: [colrNclx(12, 13)],
      }),
    };
    assert.equal(exifOrientation(fixtures['exif-6-upright.heic']), 6, 'EXIF 6 is left in');
    const env = await startTestCloud(t);
    startTestWorker(t, env);
    const keys = new Map<string, { pk: string; sk: string }>();
    for (const [name, bytes] of Object.entries(fixtures)) {
      keys.set(name, await uploadImage(env, `uploads/heic/${name}`, bytes));
    }
    const expectedRed = p3ToSrgb(P3_COLOUR);
    for (const [name, key] of keys) {
      const row = await outcome(env, key, WAIT_MS);
      assert.equal(row.status, 'DONE', `${name}: ${row.reason} ${row.message ?? ''}`);
      assert.equal(row.analysis?.format ?? 'heic', 'heic');
      assert.equal(row.renditions?.length, 6, name);
      const upright = name.startsWith('p3') ? [64, 64] : [240, 160];
      assert.deepEqual([row.width, row.height], upright, `${name} is its upright size`);
      for (const [i, bytes] of (await renditionBytes(env, row)).entries()) {
        const meta = await sharp(bytes).metadata();
        const what: string = `${name} → ${row.renditions?.[i]?.key}`;
        assert.equal(meta.exif, undefined, `${what}: no EXIF`);
        assert.equal(meta.icc, undefined, `${what}: no ICC profile`);
        assert.equal(meta.xmp, undefined, `${what}: no XMP`);
        if (!name.startsWith('p3')) {
          assert.ok(await isUprightMarker(bytes), `${what} is upright`);
          continue;
        }
        const { data } = await sharp(bytes)
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const centre = [...data.subarray(0, 3)];
        for (const [c, v] of centre.entries()) {
          assert.ok(
            Math.abs(v - (expectedRed[c] ?? -99)) <= 4,
            `${what}: ${centre} is P3 ${P3_COLOUR} in sRGB (${expectedRed}), not left as is`,
          );
        }
      }
    }
  });

  it('refuses lying and oversized containers before or instead of decoding them', async (t) => {
    const tile = heifEnc(await storedAs(1)); // 240 × 160
    const attacks: Record<string, [Buffer, string, RegExp]> = {
      // A 40 × 40 grid of the one tile behind a 64 × 64 output: 61 MP counted from the container.
      'grid-bomb.heic': [
        heicGrid(tile, { rows: 40, columns: 40, outputWidth: 64, outputHeight: 64 }),
        'pixel-limit',
        /40 × 40 grid of 240 × 160 tiles/,
      ],
      // ispe smaller than the bitstream: libheif refuses it before decoding.
      'ispe-smaller.heic': [
        heicWithProperties(tile, { ispe: { width: 64, height: 64 } }),
        'corrupt',
        /HEIC/,
      ],
      // ispe a little larger than the bitstream: decoded, then refused for its size.
      'ispe-larger.heic': [
        heicWithProperties(tile, { ispe: { width: 250, height: 170 } }),
        'corrupt',
        /declares 250 × 170 .* decodes to 240 × 160|HEIC/,
      ],
      'ispe-huge.heic': [
        heicWithProperties(tile, { ispe: { width: 40_000, height: 10 } }),
        'dimension-limit',
        /40000 × 10/,
      ],
    };
    const env = await startTestCloud(t);
    startTestWorker(t, env);
    const keys = new Map<string, { pk: string; sk: string }>();
    for (const [name, [bytes]] of Object.entries(attacks)) {
      keys.set(name, await uploadImage(env, `uploads/heic-bombs/${name}`, bytes));
    }
    for (const [name, key] of keys) {
      const [, reason, message] = attacks[name] ?? [];
      const row = await outcome(env, key, WAIT_MS);
      assert.equal(row.status, 'REJECTED', `${name}: ${row.message}`);
      assert.equal(row.reason, reason, `${name}: ${row.message}`);
      assert.match(row.message ?? '', message ?? /$^/, name);
      assert.equal(row.attempts, 1, `${name} is never retried`);
      t.diagnostic(`${name}: ${row.reason}: ${row.message} (${row.cpuMs} CPU ms)`);
    }
  });

  it('stops a large HEIC decode at its CPU budget by killing the wasm with its process', async (t) => {
    // An honest 6 × 6 grid of 1024² tiles: 37.7 MP, several CPU-seconds of HEVC in wasm.
    const tile = heifEnc(await photoLike(1024, 1024, 7));
    const big = heicGrid(tile, { rows: 6, columns: 6, outputWidth: 6144, outputHeight: 6144 });
    const config = parseConfig(
      {
        presets: [{ name: 'w320', width: 320, formats: [{ format: 'jpeg' }] }],
        limits: { timeoutSeconds: 1 },
      },
      'test',
    );
    const env = await startTestCloud(t);
    startTestWorker(t, env, { config });
    const key = await uploadImage(env, 'uploads/heic-big/grid.heic', big, config);
    const row = await outcome(env, key, WAIT_MS);
    assert.equal(row.status, 'REJECTED', `${row.reason} ${row.message ?? ''}`);
    assert.equal(row.reason, 'timeout', row.message);
    t.diagnostic(`${row.message} (${row.cpuMs} CPU ms, ${row.peakMb} MiB)`);
  });
});
