/**
 * What the probe counts for HEIF/AVIF: what the decoder will decode (grid tiles, AV1 sequence
 * headers, alpha planes), read from hand-built containers (test/fixtures/heif-builder.ts) and from
 * sharp's own output, and the exact words of a refusal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { defaultConfig } from '../../lib/config/parse.ts';
import { av1MaxFrameSize } from '../../lib/imaging/av1-sequence-header.ts';
import { ImageRejectedError } from '../../lib/imaging/errors.ts';
import { heifDecodeCost } from '../../lib/imaging/heif-decode-cost.ts';
import { BoxStructureError } from '../../lib/imaging/iso-boxes.ts';
import { probeImage } from '../../lib/imaging/probe.ts';
import { pngBombHeader } from '../fixtures/crafted.ts';
import { av1Colour, avifGridBomb, avifHugeAlpha, avifLyingIspe } from '../fixtures/heif-builder.ts';

const config = defaultConfig();

describe('HEIF decode cost', () => {
  it('counts every tile of a grid, whatever its header says', async () => {
    const bomb = await avifGridBomb({
      tileSize: 4096,
      rows: 15,
      columns: 17,
      outputWidth: 64,
      outputHeight: 64,
    });
    assert.equal((await sharp(bomb).metadata()).width, 64, 'the header is the lie');
    assert.deepEqual(heifDecodeCost(bomb), {
      pixels: 255 * 4096 * 4096,
      codedImages: 255,
      description: 'a 15 × 17 grid of 4096 × 4096 tiles',
    });
    const started = performance.now();
    await assert.rejects(probeImage(bomb, config), (error) => {
      assert.ok(error instanceof ImageRejectedError);
      assert.equal(error.reason, 'pixel-limit');
      assert.equal(
        error.message,
        'The AVIF decodes to 4,278,190,080 pixels (a 15 × 17 grid of 4096 × 4096 tiles); ' +
          'the limit is 50,000,000',
      );
      return true;
    });
    assert.ok(performance.now() - started < 1000);
  });

  it('counts an honest grid as its picture', async () => {
    const grid = await avifGridBomb({
      tileSize: 64,
      rows: 2,
      columns: 2,
      outputWidth: 128,
      outputHeight: 128,
    });
    assert.equal(heifDecodeCost(grid)?.pixels, 128 * 128);
    assert.equal((await probeImage(grid, config)).width, 128);
  });

  it('reads the AV1 sequence header, not only ispe', async () => {
    const tile = await av1Colour(4096);
    assert.deepEqual(av1MaxFrameSize(tile.data, 0, tile.data.length), {
      width: 4096,
      height: 4096,
    });
    const lying = await avifLyingIspe({ bitstreamSize: 8192, declaredSize: 64 });
    assert.equal(heifDecodeCost(lying)?.pixels, 8192 * 8192);
  });

  it('counts an alpha plane as large as it is, and a real one as the picture', async () => {
    const huge = await avifHugeAlpha({ size: 64, alphaSize: 8192 });
    assert.equal(heifDecodeCost(huge)?.pixels, 8192 * 8192);
    assert.match(heifDecodeCost(huge)?.description ?? '', /alpha plane of 8192 × 8192/);
    const real = await sharp({
      create: {
        width: 300,
        height: 200,
        channels: 4,
        background: { r: 1, g: 2, b: 3, alpha: 0.5 },
      },
    })
      .avif()
      .toBuffer();
    assert.deepEqual(heifDecodeCost(real), {
      pixels: 300 * 200,
      codedImages: 2,
      description: '300 × 200 with an alpha plane of 300 × 200',
    });
  });

  it('refuses a derivation that loops, as corrupt', async () => {
    const grid = await avifGridBomb({
      tileSize: 64,
      rows: 1,
      columns: 2,
      outputWidth: 128,
      outputHeight: 64,
    });
    // Point the grid's first tile reference back at the grid itself (iref v0: from, count, to…).
    const dimg = grid.indexOf('dimg', 0, 'latin1');
    assert.ok(dimg > 0);
    const from = grid.readUInt16BE(dimg + 4);
    grid.writeUInt16BE(from, dimg + 8);
    assert.throws(() => heifDecodeCost(grid), BoxStructureError);
    await assert.rejects(probeImage(grid, config), { reason: 'corrupt' });
  });

  it('refuses boxes that claim more than their parent holds, as corrupt', async () => {
    const avif = Buffer.from(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
        .avif()
        .toBuffer(),
    );
    const iinf = avif.indexOf('iinf', 0, 'latin1');
    avif.writeUInt32BE(0x7fff_ffff, iinf - 4);
    await assert.rejects(probeImage(avif, config), (error) => {
      assert.ok(error instanceof ImageRejectedError);
      assert.equal(error.reason, 'corrupt');
      assert.match(error.message, /container is invalid: the iinf box/);
      return true;
    });
  });

  it('says exact pixel counts just over the limit', async () => {
    await assert.rejects(probeImage(pngBombHeader(7072, 7071), config), {
      reason: 'pixel-limit',
      message: 'The header declares 7072 × 7071 = 50,006,112 pixels; the limit is 50,000,000',
    });
  });
});
