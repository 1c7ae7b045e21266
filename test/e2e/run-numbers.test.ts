/**
 * `pixelmill run`'s numbers say what happened: inputs are counted as inputs (a file that is not
 * an image is one, REJECTED, and said to be no image), images per second counts only the images
 * this run processed over the time it spent on them (a rerun that finds everything finished
 * processed nothing), and an input with nothing in it is said and is not a success.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Manifest } from '../../lib/run/manifest.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { runCli } from '../helpers/cli.ts';
import { inputRunDir } from '../helpers/photo-dirs.ts';

describe('pixelmill run numbers', () => {
  it('counts inputs, says which are not images, and rates only what this run processed', {
    timeout: 120_000,
  }, async (t) => {
    const { dir, input } = await inputRunDir(t, 'numbers', 'mixed');
    await writeFile(join(input, 'a.jpg'), await photoLike(200, 150, 1));
    await writeFile(join(input, 'b.jpg'), await photoLike(200, 150, 2));
    await writeFile(join(input, 'notes.txt'), 'not an image at all\n');
    await writeFile(join(input, 'empty.jpg'), '');
    const args = ['run', input, '--out', join(dir, 'out'), '--state', join(dir, 'state')];

    const first = await runCli([...args, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const s = (JSON.parse(first.stdout) as Manifest).summary;
    assert.deepEqual(
      [s.total, s.done, s.rejected, s.notImages, s.refused, s.processed],
      [4, 2, 2, 2, 0, 4],
    );
    assert.ok(s.processingSeconds > 0 && s.processingSeconds <= s.seconds, JSON.stringify(s));
    // Four images over the processing time (both rounded to hundredths in the file).
    const rate = 4 / s.processingSeconds;
    assert.ok(Math.abs(s.imagesPerSecond - rate) <= rate * 0.02 + 0.01, JSON.stringify(s));

    // Everything finished before: nothing processed, no rate; the summary says inputs.
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^pixelmill run: 4 inputs in [\d.]+ s; 0 processed by this run\n/);
    assert.match(again.stderr, /REJECTED\s+2\s+2 not images/);
    assert.doesNotMatch(again.stderr, /images\/s/);
    const rerun = await runCli([...args, '--json']);
    const r = (JSON.parse(rerun.stdout) as Manifest).summary;
    assert.deepEqual([r.total, r.done, r.processed, r.imagesPerSecond], [4, 2, 0, 0]);
  });

  it('says when an input holds nothing to run, and exits 2', { timeout: 60_000 }, async (t) => {
    const { dir, input } = await inputRunDir(t, 'empty-input', 'nothing');
    await writeFile(join(input, '.hidden.jpg'), await photoLike(32, 32, 1));
    const r = await runCli([
      'run',
      input,
      '--out',
      join(dir, 'out'),
      '--state',
      join(dir, 'state'),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no inputs found in .*nothing \(hidden files are skipped\)/);
  });
});
