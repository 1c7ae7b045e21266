import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { IngestCheckpoint, ingestJobId } from '../../lib/ingest/checkpoint.ts';
import { tempDir } from '../helpers/temp.ts';

describe('the ingest checkpoint', () => {
  it('keeps a watermark and the few finished beyond it, and resumes from the file', async (t) => {
    const dir = await tempDir(t, 'checkpoint');
    const job = ingestJobId({ target: 'local', prefix: 'uploads/', sources: ['/a.zip'] });
    const first = await IngestCheckpoint.open(dir, job, { resume: false, description: 'a.zip' });
    const a = first.source('/a.zip', 'size=10 mtime=1');
    for (const i of [0, 1, 3, 5, 2]) a.markDone(i);
    await first.flush();
    const saved = JSON.parse(await readFile(first.file, 'utf8')) as {
      sources: Record<string, { doneThrough: number; doneBeyond: number[] }>;
    };
    assert.deepEqual(saved.sources['/a.zip'], {
      identity: 'size=10 mtime=1',
      doneThrough: 3,
      doneBeyond: [5],
      finished: false,
    });

    const resumed = await IngestCheckpoint.open(dir, job, { resume: true, description: 'a.zip' });
    assert.equal(resumed.resumed, true);
    const again = resumed.source('/a.zip', 'size=10 mtime=1');
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => again.isDone(i)),
      [true, true, true, true, false, true, false],
    );
    assert.throws(() => resumed.source('/a.zip', 'size=11 mtime=2'), /changed since/);

    const restarted = await IngestCheckpoint.open(dir, job, { resume: false, description: 'a' });
    assert.equal(restarted.source('/a.zip', 'size=10 mtime=1').isDone(0), false);
  });

  it('names a job by its target, prefix and sources', () => {
    const base = { target: 'local', prefix: 'uploads/', sources: ['/a.zip'] };
    assert.equal(ingestJobId(base), ingestJobId({ ...base }));
    assert.notEqual(ingestJobId(base), ingestJobId({ ...base, prefix: 'uploads/x/' }));
    assert.notEqual(ingestJobId(base), ingestJobId({ ...base, sources: ['/b.zip'] }));
  });
});
