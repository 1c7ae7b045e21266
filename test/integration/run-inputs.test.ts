/**
 * `run`'s inputs into a real local bucket: every input ends as exactly one outcome, in the order
 * read, whatever fails — an upload S3 refuses, a source gone after it was checked, a body that
 * cannot be read — and the next input is still read and sent.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ExportPaths } from '../../lib/run/export-paths.ts';
import { planInputs } from '../../lib/run/inputs.ts';
import { type InputOutcome, uploadInputs } from '../../lib/run/upload-inputs.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { tempDir } from '../helpers/temp.ts';

/** An outcome in a line, sources relative to `dir`. */
function brief(dir: string) {
  return (o: InputOutcome): string =>
    o.kind === 'uploaded'
      ? `uploaded ${o.key}${o.alreadyThere ? ' (already there)' : ''}`
      : `${o.kind} ${o.reason} ${relative(dir, o.source)}`;
}

describe('run inputs', () => {
  it('gives every input one outcome and goes on past each failure', async (t) => {
    const env = await startTestCloud(t);
    const dir = await tempDir(t, 'run-inputs');
    const photo = await photoLike(24, 16);
    await mkdir(join(dir, 'photos'));
    await writeFile(join(dir, 'photos', 'a.jpg'), photo);
    await writeFile(join(dir, 'photos', 'b.jpg'), photo);
    await writeFile(join(dir, 'gone.jpg'), photo);
    await writeFile(join(dir, 'manifest.json'), photo);
    const prefix = env.cloud.topology.uploadsPrefix;
    const sources = await planInputs(
      [join(dir, 'photos'), join(dir, 'gone.jpg'), join(dir, 'manifest.json')],
      prefix,
    );
    // Checked, then gone before it is read.
    await rm(join(dir, 'gone.jpg'));
    const options = (claimed: ExportPaths) => ({
      keyPrefix: prefix,
      concurrency: 2,
      claimOutput: (name: string) => claimed.claim(name),
    });
    const paths = () => new ExportPaths(['manifest.json', 'report.html'], new Set(['w320.jpg']));

    // Outcomes arrive as uploads settle, several at once: compared in a fixed order.
    const upload = async (bucket: string, from: typeof sources, claimed: ExportPaths) => {
      const outcomes: InputOutcome[] = [];
      await uploadInputs(env.store, bucket, from, {
        ...options(claimed),
        onOutcome: (o) => outcomes.push(o),
      });
      return outcomes.sort((a, b) => brief(dir)(a).localeCompare(brief(dir)(b)));
    };
    const refusedByS3 = await upload('no-such-bucket', sources, paths());
    assert.deepEqual(refusedByS3.map(brief(dir)), [
      'failed read-failed gone.jpg',
      'failed upload-failed photos/a.jpg',
      'failed upload-failed photos/b.jpg',
      'refused output-collision manifest.json',
    ]);
    for (const o of refusedByS3) if (o.kind !== 'uploaded') assert.ok(o.message.length > 10);

    const bucket = env.cloud.topology.uploadsBucket;
    const sent = await upload(bucket, sources, paths());
    assert.deepEqual(sent.map(brief(dir)), [
      'failed read-failed gone.jpg',
      'refused output-collision manifest.json',
      `uploaded ${prefix}photos/a.jpg`,
      `uploaded ${prefix}photos/b.jpg`,
    ]);
    const again = await upload(bucket, sources.slice(0, 1), paths());
    assert.deepEqual(again.map(brief(dir)), [
      `uploaded ${prefix}photos/a.jpg (already there)`,
      `uploaded ${prefix}photos/b.jpg (already there)`,
    ]);
  });
});
