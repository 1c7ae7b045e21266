/**
 * A HEIC's header read from its container (lib/imaging/heic-header.ts) and the probe built on it:
 * HEIF's own rotation and mirroring make the upright size, an EXIF orientation left in the file
 * does not, and the colour comes from `colr`. Fixtures from heif-enc (skipped without it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { defaultConfig } from '../../lib/config/parse.ts';
import { checkDecodedSize } from '../../lib/imaging/heic-decode.ts';
import { readHeicHeader } from '../../lib/imaging/heic-header.ts';
import { probeImage } from '../../lib/imaging/probe.ts';
import { renderImage } from '../../lib/imaging/render.ts';
import {
  colrNclx,
  exifOrientation,
  heicWithProperties,
  heifEnc,
  heifEncMissing,
  imirBox,
  irotBox,
} from '../fixtures/heic.ts';
import { orientedMarker } from '../fixtures/orientation.ts';

const plain = async () =>
  heifEnc(
    await sharp(await orientedMarker(1))
      .jpeg()
      .toBuffer(),
  );

describe('readHeicHeader', { skip: heifEncMissing() }, () => {
  it('reads ispe, and swaps the upright size for a quarter turn of irot only', async () => {
    const heic = await plain();
    const header = readHeicHeader(heic);
    assert.deepEqual(
      [header.width, header.height, header.rotation, header.mirrored, header.hasAlpha],
      [240, 160, 0, false, false],
    );
    const turned = readHeicHeader(heicWithProperties(heic, { extra: [irotBox(3)] }));
    assert.deepEqual([turned.storedWidth, turned.width, turned.height], [240, 160, 240]);
    assert.equal(turned.rotation, 270);
    const half = readHeicHeader(heicWithProperties(heic, { extra: [irotBox(2), imirBox(0)] }));
    assert.deepEqual(
      [half.width, half.height, half.rotation, half.mirrored],
      [240, 160, 180, true],
    );
  });

  it('reads the colour from colr: nclx code points, or an ICC profile', async () => {
    const heic = await plain();
    assert.deepEqual(readHeicHeader(heic).colour, { kind: 'none' });
    const nclx = heicWithProperties(heic, { descriptive: [colrNclx(12, 13)] });
    assert.deepEqual(readHeicHeader(nclx).colour, { kind: 'nclx', primaries: 12, transfer: 13 });
    const tagged = heifEnc(
      await sharp(await orientedMarker(1))
        .withIccProfile('p3')
        .png()
        .toBuffer(),
    );
    const colour = readHeicHeader(tagged).colour;
    assert.equal(colour.kind, 'icc');
    assert.equal(colour.kind === 'icc' && colour.profile.toString('latin1', 36, 40), 'acsp');
  });

  it('never takes an EXIF orientation left in the file for the orientation', async () => {
    const jpeg = await sharp(await orientedMarker(1))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, 6, 'the source says 6');
    const heic = heifEnc(jpeg);
    assert.equal(exifOrientation(heic), 6, 'heif-enc keeps it in the Exif item');
    const header = await probeImage(heic, defaultConfig());
    assert.deepEqual(
      [header.format, header.width, header.height, header.orientation],
      ['heic', 240, 160, 1],
    );
  });

  it('decodes a 10-bit HEIC to 8-bit sRGB renditions', async () => {
    const png16 = await sharp(await orientedMarker(1))
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const heic = heifEnc(png16, ['-b', '10']);
    const result = await renderImage(heic, defaultConfig());
    assert.equal(result.renditions.length, 6);
    assert.deepEqual([result.analysis.width, result.analysis.height], [240, 160]);
  });
});

describe('checkDecodedSize', () => {
  it('accepts the declared upright size, and a smaller one only under a clap crop', () => {
    const header = { width: 240, height: 160, cropped: false };
    checkDecodedSize(header, 240, 160);
    checkDecodedSize({ ...header, cropped: true }, 238, 160);
    for (const [w, h] of [
      [160, 240],
      [238, 160],
      [4000, 3000],
    ] as const) {
      assert.throws(() => checkDecodedSize(header, w, h), {
        reason: 'corrupt',
        message: `The HEIC declares 240 × 160 (ispe, upright) but decodes to ${w} × ${h}`,
      });
    }
    assert.throws(() => checkDecodedSize({ ...header, cropped: true }, 241, 160), {
      reason: 'corrupt',
    });
  });
});
