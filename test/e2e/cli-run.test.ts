/** `pixelmill run` as a user runs it: a child process, real files in, real files and JSON out. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { Manifest } from '../../lib/run/manifest.ts';
import { fixtures, reasonMatches } from '../fixtures/catalogue.ts';
import { runCli, runManifest, writeFixtures } from '../helpers/cli.ts';
import { inputRunDir } from '../helpers/photo-dirs.ts';
import { tempDir } from '../helpers/temp.ts';

describe('pixelmill CLI', () => {
  it('prints help for the program and for run', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: pixelmill <command>/);
    assert.match(top.stdout, /run\s+process files and directories/);
    const run = await runCli(['run', '--help']);
    assert.equal(run.code, 0);
    for (const option of [
      '--out DIR',
      '--config FILE',
      '--state DIR',
      '--concurrency N',
      '--json',
    ]) {
      assert.ok(run.stdout.includes(option), `run --help documents ${option}`);
    }
  });

  it('exits 2 with a clear message on a usage error, before touching anything', async (t) => {
    const dir = await tempDir(t, 'usage');
    const cases: [string[], RegExp][] = [
      [['run', dir], /Expected --out DIR/],
      [['run', dir, '--out', join(dir, 'o'), '--colour'], /Unknown option --colour/],
      [
        ['run', dir, '--out', join(dir, 'o'), '--concurrency', 'two'],
        /Expected positive integer for --concurrency/,
      ],
      [
        ['run', join(dir, 'missing'), '--out', join(dir, 'o'), '--state', join(dir, 's')],
        /No such file or directory/,
      ],
      [['frobnicate'], /Unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')} → ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const config = join(dir, 'bad.json');
    await writeFile(
      config,
      JSON.stringify({
        presets: [{ name: 'x', width: 10, formats: [{ format: 'jpeg' }], colour: 'red' }],
      }),
    );
    const bad = await runCli(['run', dir, '--out', join(dir, 'o'), '--config', config]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /config\.presets\[0\]: unknown key "colour"/);
  });

  it('runs a folder end to end and writes renditions and manifest.json', async (t) => {
    const { dir, input } = await inputRunDir(t, 'run', 'catalogue');
    await writeFixtures(input, fixtures);
    const out = join(dir, 'out');
    const printed = await runManifest(input, out, join(dir, 'state'));
    const written = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual(printed, written);

    const expectedDone = fixtures.filter((f) => f.expect.status === 'DONE').length;
    assert.equal(written.summary.total, fixtures.length);
    assert.equal(written.summary.done, expectedDone);
    assert.equal(written.summary.rejected, fixtures.length - expectedDone);
    assert.equal(written.summary.failed + written.summary.pending, 0);
    assert.ok(written.summary.seconds > 0 && written.summary.imagesPerSecond > 0);

    for (const f of fixtures) {
      const image = written.images.find((i) => i.key === `uploads/catalogue/${f.name}`);
      assert.ok(image, `${f.name} is in the manifest`);
      assert.equal(image.source, join(input, f.name));
      assert.equal(image.status, f.expect.status, `${f.name}: ${image.message ?? ''}`);
      if (f.expect.status === 'REJECTED') {
        assert.ok(reasonMatches(f.expect.reason, image.reason ?? ''), `${f.name}: ${image.reason}`);
        assert.ok(image.message);
        assert.equal(image.renditions.length, 0);
        continue;
      }
      assert.equal(image.width, f.upright?.width);
      assert.equal(image.height, f.upright?.height);
      assert.equal(image.renditions.length, 6);
      assert.match(image.analysis?.placeholder ?? '', /^[A-Za-z0-9+/]+=*$/);
      assert.match(image.analysis?.dominantColour ?? '', /^#[0-9a-f]{6}$/);
      assert.match(image.analysis?.phash ?? '', /^[0-9a-f]{16}$/);
      assert.equal(image.analysis?.typeMismatch, f.name === 'png-named-jpg.jpg');
      for (const r of image.renditions) {
        assert.ok(!r.path.startsWith('/') && !r.path.includes('..'));
        const file = join(out, r.path);
        assert.equal((await stat(file)).size, r.bytes);
        const meta = await sharp(file).metadata();
        assert.equal(meta.width, r.width);
        assert.equal(meta.height, r.height);
        // Only a rendition its format could not hold at the preset's size says so.
        const capped =
          r.format === 'webp' &&
          ((f.name === 'tall-screenshot.png' && r.name === 'w1600') ||
            f.name === 'one-by-32768.png');
        if (capped) {
          assert.equal(Math.max(r.width, r.height), 16_383, `${f.name} ${r.path}`);
          assert.match(r.note ?? '', /fitted inside 16383 × 16383, the largest WebP can hold/);
        } else {
          assert.equal(r.note, undefined, `${f.name} ${r.path}: ${r.note}`);
        }
      }
    }

    // The report beside the manifest: every image on it, the run's own queue samples charted.
    const report = await readFile(join(out, 'report.html'), 'utf8');
    for (const image of written.images) assert.ok(report.includes(image.key), image.key);
    assert.match(report, /Sampled from the queues while the run went on/);
    // On the contact sheet (the duplicates section shows some of them again).
    const sheet = report.slice(
      report.indexOf('<section id="images"'),
      report.indexOf('</section>'),
    );
    assert.equal(
      (sheet.match(/<img [^>]*src="data:image\/webp;base64,/g) ?? []).length,
      expectedDone,
      'a thumbnail per DONE image',
    );
  });

  it('runs the generated samples as `npm start` does', async (t) => {
    const dir = await tempDir(t, 'samples');
    const samples = await runCli(['samples', join(dir, 'samples')]);
    assert.equal(samples.code, 0, samples.stderr);
    const result = await runCli([
      'run',
      join(dir, 'samples'),
      '--out',
      join(dir, 'out'),
      '--state',
      join(dir, 'state'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /pixelmill run: 6 inputs in [\d.]+ s; 6 processed by this run/);
    assert.match(result.stderr, /DONE\s+5\s+30 renditions/);
    assert.match(result.stderr, /REJECTED\s+1/);
    assert.match(result.stderr, /damaged\.jpg: truncated/);
    assert.ok(existsSync(join(dir, 'out', 'manifest.json')));
    assert.ok(existsSync(join(dir, 'out', 'samples', 'portrait-exif-6.jpg', 'w320.webp')));
  });
});
