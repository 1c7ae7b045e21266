/**
 * The hostile-image builders of test/fixtures (heif-builder.ts, jpeg-scans.ts): each file has the
 * structure its builder documents, and real sharp reads its header as the small image the attack
 * needs. Small sizes only (64–256 px tiles and images), so this stays fast.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  av1SequenceSize,
  avifGridBomb,
  avifHugeAlpha,
  avifLyingIspe,
  ftypHugeSize,
  type HeifItem,
  readBoxes,
  readHeif,
} from '../fixtures/heif-builder.ts';
import {
  countScans,
  jpegMarkers,
  jpegScanBomb,
  jpegTwoSoi,
  scanBombScanCount,
} from '../fixtures/jpeg-scans.ts';

/** The width and height an item's `ispe` declares. */
function ispeOf(item: HeifItem | undefined): { width: number; height: number } {
  const box = item?.properties.find((p) => p.type === 'ispe')?.box;
  assert.ok(box, `item ${item?.id} has an ispe`);
  return { width: box.readUInt32BE(12), height: box.readUInt32BE(16) };
}

function itemOf(file: ReturnType<typeof readHeif>, id: number): HeifItem {
  const item = file.items.get(id);
  assert.ok(item, `item ${id} exists`);
  return item;
}

describe('avifGridBomb', () => {
  it('declares the small output while the grid references rows × columns full tiles', async () => {
    const avif = await avifGridBomb({
      tileSize: 64,
      rows: 3,
      columns: 5,
      outputWidth: 32,
      outputHeight: 32,
    });
    const file = readHeif(avif);
    assert.equal(file.majorBrand, 'avif');
    assert.deepEqual(file.compatibleBrands, ['mif1', 'avif', 'miaf']);
    const grid = itemOf(file, file.primary);
    assert.equal(grid.type, 'grid');
    assert.deepEqual(ispeOf(grid), { width: 32, height: 32 });
    // ImageGrid in idat: version 0, flags 0, rows−1, columns−1, 16-bit output width and height.
    assert.equal(grid.constructionMethod, 1);
    assert.deepEqual([...grid.data], [0, 0, 2, 4, 0, 32, 0, 32]);

    const dimg = file.refs.filter((r) => r.type === 'dimg');
    assert.equal(dimg.length, 1);
    assert.equal(dimg[0]?.from, grid.id);
    assert.equal(dimg[0]?.to.length, 15);
    const tiles = (dimg[0]?.to ?? []).map((id) => itemOf(file, id));
    const first = tiles[0]?.extents[0];
    for (const tile of tiles) {
      assert.equal(tile.type, 'av01');
      assert.equal(tile.hidden, true);
      assert.deepEqual(ispeOf(tile), { width: 64, height: 64 });
      assert.deepEqual(
        tile.properties.map((p) => [p.type, p.essential]),
        [
          ['av1C', true],
          ['ispe', false],
          ['pixi', false],
        ],
      );
      assert.deepEqual(tile.extents, [first], 'every tile points at the one shared bitstream');
      assert.deepEqual(av1SequenceSize(tile.data), { width: 64, height: 64 });
    }
    const mdat = readBoxes(avif).find((b) => b.type === 'mdat');
    assert.equal(mdat?.body.length, first?.length, 'mdat holds a single copy');

    const meta = await sharp(avif).metadata();
    assert.equal(meta.format, 'heif');
    assert.equal(meta.mediaType, 'image/avif');
    assert.deepEqual([meta.width, meta.height], [32, 32]);
    // libheif decodes every tile at full size, then crops to the declared output.
    const { info } = await sharp(avif).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [32, 32]);
  });

  it('stores the grid descriptor in mdat on request, and lets a tile ispe lie', async () => {
    const avif = await avifGridBomb({
      tileSize: 128,
      rows: 1,
      columns: 2,
      outputWidth: 64,
      outputHeight: 64,
      declaredTileSize: 16,
      gridIn: 'mdat',
    });
    const file = readHeif(avif);
    const grid = itemOf(file, file.primary);
    assert.equal(grid.constructionMethod, 0);
    assert.deepEqual([...grid.data], [0, 0, 0, 1, 0, 64, 0, 64]);
    assert.equal(
      readBoxes(
        readBoxes(avif)
          .find((b) => b.type === 'meta')
          ?.body.subarray(4) ?? Buffer.alloc(0),
      ).some((b) => b.type === 'idat'),
      false,
    );
    const tile = itemOf(file, 2);
    assert.deepEqual(ispeOf(tile), { width: 16, height: 16 });
    assert.deepEqual(av1SequenceSize(tile.data), { width: 128, height: 128 });
    const meta = await sharp(avif).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['heif', 64, 64]);
  });

  it('fits 255 tiles in a few kilobytes', async () => {
    const avif = await avifGridBomb({
      tileSize: 64,
      rows: 15,
      columns: 17,
      outputWidth: 64,
      outputHeight: 64,
    });
    assert.ok(avif.length < 14_000, `${avif.length} bytes`);
    assert.equal(readHeif(avif).items.size, 256);
    assert.deepEqual((await sharp(avif).metadata()).width, 64);
  });

  it('refuses rows or columns a grid descriptor cannot hold', async () => {
    await assert.rejects(
      avifGridBomb({ tileSize: 64, rows: 257, columns: 1, outputWidth: 64, outputHeight: 64 }),
      /Expected integer between 1 and 256 for rows but received 257/,
    );
  });
});

describe('avifLyingIspe', () => {
  it('declares declaredSize² while the AV1 sequence header codes bitstreamSize²', async () => {
    const avif = await avifLyingIspe({ bitstreamSize: 256, declaredSize: 64 });
    const file = readHeif(avif);
    const item = itemOf(file, file.primary);
    assert.equal(item.type, 'av01');
    assert.equal(file.items.size, 1);
    assert.deepEqual(ispeOf(item), { width: 64, height: 64 });
    assert.deepEqual(av1SequenceSize(item.data), { width: 256, height: 256 });
    const meta = await sharp(avif).metadata();
    assert.deepEqual(
      [meta.format, meta.mediaType, meta.width, meta.height],
      ['heif', 'image/avif', 64, 64],
    );
  });
});

describe('avifHugeAlpha', () => {
  it('hides an alphaSize² monochrome alpha plane behind a small primary', async () => {
    const avif = await avifHugeAlpha({ size: 64, alphaSize: 256 });
    const file = readHeif(avif);
    const primary = itemOf(file, file.primary);
    assert.deepEqual(ispeOf(primary), { width: 64, height: 64 });
    const auxl = file.refs.find((r) => r.type === 'auxl');
    assert.deepEqual(auxl?.to, [primary.id]);
    const alpha = itemOf(file, auxl?.from ?? 0);
    assert.equal(alpha.type, 'av01');
    const auxC = alpha.properties.find((p) => p.type === 'auxC');
    assert.ok(auxC?.essential);
    assert.match(auxC.box.toString('latin1'), /urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0/);
    const av1C = alpha.properties.find((p) => p.type === 'av1C')?.box;
    assert.ok(av1C);
    assert.equal(((av1C[10] ?? 0) >> 4) & 1, 1, 'av1C mono_chrome');
    assert.deepEqual(ispeOf(alpha), { width: 256, height: 256 });
    assert.deepEqual(av1SequenceSize(alpha.data), { width: 256, height: 256 });

    const meta = await sharp(avif).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.hasAlpha], ['heif', 64, 64, true]);
    // libheif decodes the whole alpha plane, then scales it to the primary.
    const { info } = await sharp(avif).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [64, 64, 4]);
  });

  it("shares the primary's ispe when asked, which libheif refuses before decoding", async () => {
    const avif = await avifHugeAlpha({ size: 64, alphaSize: 512, alphaDeclaredSize: 64 });
    const file = readHeif(avif);
    const alpha = itemOf(file, 2);
    assert.deepEqual(ispeOf(alpha), { width: 64, height: 64 });
    assert.deepEqual((await sharp(avif).metadata()).width, 64);
    await assert.rejects(sharp(avif).raw().toBuffer(), /Security limit exceeded/);
  });
});

describe('ftypHugeSize', () => {
  it('is 1 KB behind an ftyp that claims 2 GB, with decoy brands at aligned offsets', async () => {
    const bytes = ftypHugeSize();
    assert.equal(bytes.length, 1024);
    assert.equal(bytes.readUInt32BE(0), 0x7ffffff0);
    assert.equal(bytes.toString('latin1', 4, 12), 'ftypqqqq');
    for (const brand of ['mif1', 'heic']) {
      const at = bytes.indexOf(brand, 0, 'latin1');
      assert.ok(at > 0 && at % 4 === 0, `${brand} at ${at}`);
    }
    assert.throws(() => readBoxes(bytes), /declares 2147483632 bytes; only 1024 remain/);
    await assert.rejects(sharp(bytes).metadata(), /unsupported image format/);
  });
});

describe('jpegScanBomb', () => {
  it('writes 2,647 legal scans that decode with failOn warning to uniform grey', async () => {
    const jpeg = jpegScanBomb({ width: 256, height: 256 });
    assert.equal(countScans(jpeg), 2647);
    assert.equal(scanBombScanCount({}), 2647);
    const markers = jpegMarkers(jpeg);
    assert.equal(markers[0]?.marker, 0xd8);
    assert.ok(
      markers.some((m) => m.marker === 0xc2),
      'SOF2',
    );
    assert.equal(markers.at(-1)?.marker, 0xd9);
    assert.equal(markers.at(-1)?.offset, jpeg.length - 2);

    const meta = await sharp(jpeg).metadata();
    assert.deepEqual(
      [meta.format, meta.width, meta.height, meta.isProgressive],
      ['jpeg', 256, 256, true],
    );
    const { data, info } = await sharp(jpeg, { failOn: 'warning' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [256, 256]);
    assert.deepEqual(new Set(data), new Set([128]));
  });

  it('writes 883 scans for one component, DC refinements, and honours maxScans', async () => {
    const grey = jpegScanBomb({ width: 40, height: 24, components: 1 });
    assert.equal(countScans(grey), 883);
    assert.equal((await sharp(grey).metadata()).channels, 1);
    const refined = jpegScanBomb({ width: 33, height: 17, dcRefinements: 13 });
    assert.equal(countScans(refined), 2660);
    const capped = jpegScanBomb({ width: 256, height: 256, maxScans: 100 });
    assert.equal(countScans(capped), 100);
    assert.equal(scanBombScanCount({ maxScans: 100 }), 100);
    for (const jpeg of [grey, refined, capped]) {
      const { data } = await sharp(jpeg, { failOn: 'warning' }).raw().toBuffer({
        resolveWithObject: true,
      });
      assert.deepEqual(new Set(data), new Set([128]));
    }
  });

  it('stays small: the DC plane is one bit per block, each AC scan a few EOB runs', () => {
    const jpeg = jpegScanBomb({ width: 2048, height: 2048 });
    // 3 × 65,536 DC bits = 24 KiB; 2,646 AC scans of 10 header bytes plus 2–3 EOB runs.
    assert.ok(jpeg.length < 130_000, `${jpeg.length} bytes`);
    assert.equal(countScans(jpeg), 2647);
  });
});

describe('jpegTwoSoi', () => {
  it('starts with two SOI markers, has no EOI, and libjpeg refuses it', async () => {
    const jpeg = jpegTwoSoi();
    assert.deepEqual([...jpeg.subarray(0, 4)], [0xff, 0xd8, 0xff, 0xd8]);
    assert.notDeepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
    await assert.rejects(sharp(jpeg).metadata(), /two SOI markers/);
    await assert.rejects(sharp(jpeg).raw().toBuffer(), /two SOI markers/);
  });
});
