/**
 * The walking skeleton's acceptance run on real photographs (../shared/corpus/photos: 15 JPEG
 * and PNG files, 0.3–24 MP, EXIF orientations 1 and 6). Skipped, with a message, without it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { defaultConfig } from '../../lib/config/parse.ts';
import { runManifest } from '../helpers/cli.ts';
import { corpusMissing, corpusPath } from '../helpers/corpus.ts';
import { meanAbsDiff } from '../helpers/perceptual.ts';
import { tempDir } from '../helpers/temp.ts';

const skip = corpusMissing('photos');

describe('pixelmill run on ../shared/corpus/photos', { skip }, () => {
  it('ends with 15 DONE, six correct, upright, metadata-free renditions each', {
    timeout: 300_000,
  }, async (t) => {
    const dir = await tempDir(t, 'corpus-photos');
    const out = join(dir, 'out');
    const photos = corpusPath('photos');
    const manifest = await runManifest(photos, out, join(dir, 'state'));

    const tsv = (await readFile(join(photos, 'MANIFEST.tsv'), 'utf8')).trim().split('\n');
    const header = tsv[0]?.split('\t') ?? [];
    const rows = tsv
      .slice(1)
      .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [header[i], v])));
    assert.equal(rows.length, 15);
    assert.equal(manifest.summary.done, 15);
    // The folder's own MANIFEST.tsv is uploaded too, and refused for what it is.
    const others = manifest.images.filter((i) => i.status !== 'DONE');
    assert.deepEqual(
      others.map((i) => [i.key, i.status, i.reason]),
      [['uploads/photos/MANIFEST.tsv', 'REJECTED', 'unrecognised-format']],
    );

    const widths = new Map(defaultConfig().presets.map((p) => [p.name, p.width ?? 0]));
    for (const row of rows) {
      const file = String(row.file);
      const image = manifest.images.find((i) => i.key === `uploads/photos/${file}`);
      assert.ok(image, `${file} in the manifest`);
      const rotated = row.exif_orientation === '6';
      const stored = { width: Number(row.width), height: Number(row.height) };
      const upright = rotated ? { width: stored.height, height: stored.width } : stored;
      assert.equal(image.width, upright.width, `${file} upright width`);
      assert.equal(image.height, upright.height, `${file} upright height`);
      assert.equal(image.renditions.length, 6, `${file} has six renditions`);
      for (const r of image.renditions) {
        const path = join(out, r.path);
        const meta = await sharp(path).metadata();
        assert.equal(meta.width, r.width);
        assert.equal(meta.height, r.height);
        assert.equal(meta.exif, undefined, `${r.path} carries no EXIF`);
        assert.equal(meta.xmp, undefined, `${r.path} carries no XMP`);
        assert.ok(r.width <= (widths.get(r.name) ?? 0), `${r.path} no wider than asked`);
        assert.ok(
          r.width <= upright.width && r.height <= upright.height,
          `${r.path} not larger than its source`,
        );
        const expectedHeight = (r.width * upright.height) / upright.width;
        assert.ok(
          Math.abs(r.height - expectedHeight) <= 1,
          `${r.path}: ${r.width}x${r.height} keeps the aspect ratio`,
        );
      }
      if (rotated) {
        const small = image.renditions.find((r) => r.name === 'w320' && r.format === 'jpeg');
        assert.ok(small);
        const reference = await sharp(join(photos, file))
          .autoOrient()
          .resize(320)
          .jpeg()
          .toBuffer();
        const upsideDown = await sharp(reference).rotate(180).toBuffer();
        const sideways = await sharp(join(photos, file)).resize(320).jpeg().toBuffer();
        const diff = await meanAbsDiff(join(out, small.path), reference);
        assert.ok(diff < 6, `${file} matches the upright reference (diff ${diff.toFixed(1)})`);
        assert.ok(
          diff * 3 < (await meanAbsDiff(join(out, small.path), upsideDown)),
          `${file} is not upside down`,
        );
        assert.ok(
          diff * 3 < (await meanAbsDiff(join(out, small.path), sideways)),
          `${file} is not sideways`,
        );
      }
    }
  });
});
