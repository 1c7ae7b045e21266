/**
 * The report a short `pixelmill run` writes reads right: each tile named by what tells it apart
 * (its key below the folder the sheet shares, the whole key on hover), a run of a few seconds said
 * in words instead of charted, and a teal portrait with a white border chipped teal.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Manifest } from '../../lib/run/manifest.ts';
import { photoLike, tealPortrait } from '../fixtures/catalogue.ts';
import { runCli } from '../helpers/cli.ts';
import { inputRunDir } from '../helpers/photo-dirs.ts';

describe('the report of a short run', () => {
  it('names tiles by what differs, says the run in words, and chips the teal portrait teal', {
    timeout: 120_000,
  }, async (t) => {
    const { dir, input } = await inputRunDir(t, 'report-polish', 'photos');
    await writeFile(join(input, 'n01_kleiber.jpg'), await photoLike(320, 240, 1));
    await writeFile(join(input, 'n02_infinite_sea.jpg'), await photoLike(320, 240, 2));
    await writeFile(join(input, 'n03_teal_portrait.jpg'), await tealPortrait());
    const out = join(dir, 'out');
    const r = await runCli(['run', input, '--out', out, '--state', join(dir, 'state'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(r.stdout) as Manifest;
    assert.ok(manifest.summary.seconds < 30, `a short run: ${manifest.summary.seconds} s`);

    const page = await readFile(join(out, 'report.html'), 'utf8');
    const tiles = [...page.matchAll(/<span class="key" title="([^"]*)">([^<]*)<\/span>/g)]
      .map((m) => [m[1], m[2]])
      .sort();
    assert.deepEqual(tiles, [
      ['uploads/photos/n01_kleiber.jpg', 'n01_kleiber.jpg'],
      ['uploads/photos/n02_infinite_sea.jpg', 'n02_infinite_sea.jpg'],
      ['uploads/photos/n03_teal_portrait.jpg', 'n03_teal_portrait.jpg'],
    ]);
    assert.match(page, /too short to chart \(under 30 s\)\. 3 images finished in/);
    assert.doesNotMatch(page, /<svg class="chart"/);

    const teal = manifest.images.find((i) => i.source.endsWith('n03_teal_portrait.jpg'));
    const chip = teal?.analysis?.dominantColour ?? '';
    const [red, green, blue] = [1, 3, 5].map((i) => Number.parseInt(chip.slice(i, i + 2), 16)) as [
      number,
      number,
      number,
    ];
    assert.ok(green - red > 60 && blue - red > 60 && red < 60, `teal expected, got ${chip}`);
    assert.ok(page.includes(`>${chip}</span>`), 'the report shows the same chip');
  });
});
