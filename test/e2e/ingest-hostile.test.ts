/**
 * The hostile archives of ../shared/corpus/hostile/synthetic (zip-slip, a tar escaping through
 * links, a ratio bomb, 10,001 empty entries, odd names) through `pixelmill ingest`, the way a
 * user runs it: each handled as its manifest row says, every refusal in the summary with its
 * reason, and nothing written anywhere but the uploads bucket under the archive's name (every
 * bucket is listed, the working directory, TMPDIR and the state directory are compared, and the
 * paths the archives aim at are checked). Skipped, with a message, without the corpus.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { SourceReport } from '../../lib/ingest/ingest.ts';
import { finished, spawnCli } from '../helpers/cli.ts';
import { corpusMissing, corpusPath, hostileManifest } from '../helpers/corpus.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { filesUnder, tempDir } from '../helpers/temp.ts';

const skip = corpusMissing('hostile', 'manifest.tsv');

/** Per archive row: the keys it may put in the bucket and its refusals, counted by reason. */
const expected: Record<string, { keys: string[]; refused: Record<string, number> }> = {
  // "extract ok/normal.png only; reject 3 entries with path-traversal reason"
  'synthetic/zip-slip.zip': {
    keys: ['uploads/zip-slip/ok/normal.png'],
    refused: { 'path-traversal': 3 },
  },
  // "only regular files; reject link/device entries; 1 image accepted"
  'synthetic/tar-symlink-escape.tar': {
    keys: ['uploads/tar-symlink-escape/images/ok.png'],
    refused: { 'not-a-regular-file': 3, 'path-traversal': 1 },
  },
  // "stop at ratio/size cap": its 100 MiB entry is over the entry cap before a byte is inflated.
  'synthetic/zip-ratio-bomb.zip': { keys: [], refused: { 'entry-too-large': 1 } },
  // "too-many-entries (cap e.g. 10,000) or zero-byte entries rejected individually"
  'synthetic/zip-many-entries.zip': { keys: [], refused: { 'empty-entry': 10_001 } },
  // "normalise/deny per rules; names > 1024 UTF-8 bytes cannot become S3 keys"
  'synthetic/zip-odd-names.zip': {
    keys: [
      'space name.png',
      'plus+sign.png',
      'percent%2Fslash.png',
      'caf\u00e9-nfc.png',
      'caf\u00e9-nfd.png',
      'ctrlbell.png',
      'rtlgnp.exe',
      'emoji-😀.png',
    ].map((n) => `uploads/zip-odd-names/${n}`),
    refused: { 'name-too-long': 1 },
  },
};

function countBy(reasons: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of reasons) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('pixelmill ingest: the hostile archives of the corpus', { skip }, () => {
  it('handles each as its manifest row says, lists every refusal, writes only into the bucket', {
    timeout: 180_000,
  }, async (t) => {
    const rows = hostileManifest()
      .filter((r) => r.expect === 'archive')
      .map((r) => r.path);
    assert.deepEqual(rows.toSorted(), Object.keys(expected).toSorted(), 'one expectation per row');

    const dir = await tempDir(t, 'ingest-hostile');
    const cwd = join(dir, 'cwd');
    const tmp = join(dir, 'tmp');
    await mkdir(cwd);
    await mkdir(tmp);
    const env = await startTestCloud(t, { stateDir: join(dir, 'state') });
    const stateBefore = await filesUnder(env.stateDir);
    const archives = rows.map((row) => corpusPath('hostile', row));
    const run = (args: readonly string[]) =>
      finished(
        spawnCli(['ingest', ...archives, '--state', env.stateDir, ...args], {
          cwd,
          env: { TMPDIR: tmp },
        }),
      );

    const json = await run(['--json']);
    assert.equal(json.code, 1, `exit 1: entries were refused\n${json.stderr}`);
    const { sources } = JSON.parse(json.stdout) as { sources: SourceReport[] };
    for (const [i, row] of rows.entries()) {
      const report = sources[i];
      const want = expected[row];
      assert.ok(report && want, row);
      assert.equal(report.uploaded, want.keys.length, `${row}: uploaded`);
      assert.deepEqual(countBy(report.refused.map((r) => r.reason)), want.refused, row);
      assert.deepEqual(report.failed, [], `${row}: no failures`);
      for (const r of report.refused)
        assert.ok(r.detail.length > 0, `${row}: ${r.reason} explained`);
    }

    // The summary a person reads names each reason, and the entries behind the first ones.
    const text = await run([]);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /0 uploaded, 10 already there/);
    assert.match(text.stderr, /Refused 10,010 \(/);
    for (const reason of [
      'path-traversal',
      'not-a-regular-file',
      'entry-too-large',
      'empty-entry',
      'name-too-long',
    ])
      assert.match(
        text.stderr,
        new RegExp(`\\d+ ${reason}: \\S`),
        `${reason} counted and described`,
      );
    assert.match(text.stderr, /\.\.\/\.\.\/evil-traversal\.png/);
    assert.match(text.stderr, /images\/link\b/);

    // The caps are the user's: with --max-entries 10000 the 10,001-entry zip stops at the cap.
    const capped = await finished(
      spawnCli([
        'ingest',
        corpusPath('hostile', 'synthetic/zip-many-entries.zip'),
        '--max-entries',
        '10000',
        '--state',
        env.stateDir,
        '--json',
      ]),
    );
    assert.equal(capped.code, 1, capped.stderr);
    const cappedReport = (JSON.parse(capped.stdout) as { sources: SourceReport[] }).sources[0];
    assert.deepEqual(countBy(cappedReport?.refused.map((r) => r.reason) ?? []), {
      'empty-entry': 10_000,
      'too-many-entries': 1,
    });

    // Nothing but these keys, in any bucket.
    const buckets = (await env.clients.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    const stored: string[] = [];
    for (const b of buckets)
      for await (const o of env.store.list(b.Name ?? '', '')) stored.push(`${b.Name}/${o.key}`);
    assert.deepEqual(
      stored.toSorted(),
      Object.values(expected)
        .flatMap((e) => e.keys)
        .map((k) => `${env.cloud.topology.uploadsBucket}/${k}`)
        .toSorted(),
    );
    // Nothing on disk: not where the entries aim, not in the working directory or TMPDIR, and
    // in the state directory only the ingest checkpoint beside the cloud's own files.
    assert.equal(existsSync('/tmp/evil-absolute.png'), false);
    assert.equal(existsSync(join(cwd, '..', '..', 'evil-traversal.png')), false);
    assert.deepEqual(await readdir(cwd), []);
    assert.deepEqual(await readdir(tmp), []);
    const added = (await filesUnder(env.stateDir, ['s3', 'sqs', 'dynamodb'])).filter(
      (f) => !stateBefore.includes(f),
    );
    // One checkpoint per ingest job (the five archives; the capped one).
    assert.equal(added.length, 2, added.join(', '));
    for (const f of added) assert.match(f, /^ingest\/[\w-]+\.json$/);
  });
});
