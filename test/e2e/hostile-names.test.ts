/**
 * Inputs named or linked the way an attacker would, through the real CLI:
 * - a symbolic link in a directory to a "secret" outside it is refused (`link-outside-source`) by
 *   `run` and `ingest`, named in the summary and in `--json`, and its bytes are never uploaded;
 * - each name that used to end a whole `run` (254 bytes, not UTF-8, `manifest.json`,
 *   `report.html`, `x.gif` beside a directory `x.gif/` holding `w320.jpg`) gets its own outcome,
 *   the run exits 0 and writes manifest.json and report.html, and every path in the manifest is
 *   unique and inside --out;
 * - names, keys and messages holding OSC 52, CSI and C1 sequences reach no terminal as control
 *   bytes: not from run, ingest, dlq, redrive, audit or status, in text or in --json.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { DLQ_ATTRIBUTES } from '../../events/dead-letter.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { createAwsClients } from '../../lib/aws/clients.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import type { SourceReport } from '../../lib/ingest/ingest.ts';
import type { Manifest } from '../../lib/run/manifest.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { type CliResult, runCli } from '../helpers/cli.ts';
import { startTestCloud, type TestCloud } from '../helpers/local-cloud.ts';
import { tempDir } from '../helpers/temp.ts';

/** OSC 52 (write "Hello" to the clipboard) ended by BEL, then CSI "erase the line". */
const ESCAPES = '\u001b]52;c;SGVsbG8=\u0007-\u001b[2K';
/** The same attacks in one C1 character each: CSI, OSC, ST. */
const C1 = '\u009b2J\u009d0;pwned\u009c';

/** ESC, BEL, and C1 controls as UTF-8 (C2 80–C2 9F): what a terminal may obey. */
function controlBytes(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const found: string[] = [];
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] ?? 0;
    const next = bytes[i + 1] ?? 0;
    if (b === 0x1b || b === 0x07) found.push(`0x${b.toString(16)} at ${i}`);
    if (b === 0xc2 && next >= 0x80 && next <= 0x9f) found.push(`C1 0x${next.toString(16)} at ${i}`);
  }
  return found;
}

function assertTerminalSafe(what: string, result: CliResult): void {
  assert.deepEqual(controlBytes(result.stderr), [], `${what}: stderr ${result.stderr}`);
  assert.deepEqual(controlBytes(result.stdout), [], `${what}: stdout ${result.stdout}`);
}

/** Every object's bytes in every bucket of the local cloud on `stateDir`, keyed bucket/key. */
async function storedObjects(
  env: Pick<TestCloud, 'clients' | 'store'>,
): Promise<Map<string, Buffer>> {
  const objects = new Map<string, Buffer>();
  const buckets = (await env.clients.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
  for (const b of buckets) {
    const bucket = b.Name ?? '';
    for await (const o of env.store.list(bucket, '')) {
      objects.set(
        `${bucket}/${o.key}`,
        await env.store.getBytes({ bucket, key: o.key }, Number.MAX_SAFE_INTEGER),
      );
    }
  }
  return objects;
}

async function withStoppedCloud<T>(
  stateDir: string,
  read: (env: Pick<TestCloud, 'clients' | 'store'>) => Promise<T>,
): Promise<T> {
  const cloud = await startLocalCloud({ stateDir });
  const clients = createAwsClients(cloud.target);
  try {
    return await read({ clients, store: new ObjectStore(clients.s3) });
  } finally {
    clients.destroy();
    await cloud.stop();
  }
}

describe('hostile names and links through the CLI', () => {
  it('run: each bad name has its own outcome, links out are refused, nothing escapes', {
    timeout: 180_000,
  }, async (t) => {
    const dir = await tempDir(t, 'names-run');
    const secret = join(dir, 'secret.txt');
    const secretBytes = Buffer.from(`pixelmill-secret-${process.pid}-${Date.now()}`);
    await writeFile(secret, secretBytes);
    const photo = await photoLike(64, 48);
    const d = join(dir, 'd');
    await mkdir(d);
    const long = `${'n'.repeat(250)}.jpg`; // 254 bytes: a name the emulator's store once failed on
    await writeFile(join(d, long), photo);
    await writeFile(Buffer.from(`${d}/bad-\xff\xfe.jpg`, 'latin1'), photo);
    await writeFile(join(d, `esc-${ESCAPES}.jpg`), photo);
    await symlink(secret, join(d, `shadow-${ESCAPES}.jpg`));
    await symlink('../secret.txt', join(d, 'relative.jpg'));
    await symlink(long, join(d, 'inside.jpg'));
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a', 'x.gif'), photo);
    await mkdir(join(dir, 'b', 'x.gif'), { recursive: true });
    await writeFile(join(dir, 'b', 'x.gif', 'w320.jpg'), photo);
    await mkdir(join(dir, 'top'));
    await writeFile(join(dir, 'top', 'manifest.json'), photo);
    await writeFile(join(dir, 'top', 'report.html'), photo);
    const out = join(dir, 'out');
    const state = join(dir, 'state');
    const args = [
      'run',
      join(dir, 'a', 'x.gif'),
      join(dir, 'b', 'x.gif'),
      join(dir, 'top', 'manifest.json'),
      join(dir, 'top', 'report.html'),
      d,
      '--out',
      out,
      '--state',
      state,
      '--concurrency',
      '1',
    ];

    const text = await runCli(args);
    assert.equal(text.code, 0, `refused inputs are REJECTED, the rest DONE\n${text.stderr}`);
    assertTerminalSafe('run', text);
    assert.match(
      text.stderr,
      /REFUSED\s+\S*shadow-\\u\{001b\}\]52;c;SGVsbG8=\\u\{0007\}-\\u\{001b\}\[2K\.jpg: link-outside-source — a symbolic link to /,
    );
    assert.match(text.stderr, /REJECTED\s+6\s+6 refused before upload/);
    assert.ok(existsSync(join(out, 'report.html')), 'report.html written');

    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const outcome = (source: string) => {
      const found = manifest.images.filter((i) => i.source === source);
      assert.equal(found.length, 1, `one outcome for ${source}`);
      const [image] = found;
      assert.ok(image);
      return [image.status, image.refused ? 'refused' : '-', image.reason ?? '-'].join(' ');
    };
    assert.equal(outcome(join(dir, 'a', 'x.gif')), 'DONE - -');
    assert.equal(
      outcome(join(dir, 'b', 'x.gif', 'w320.jpg')),
      'REJECTED refused output-collision',
      'x.gif/w320.jpg would be a rendition file of x.gif',
    );
    assert.equal(outcome(join(dir, 'top', 'manifest.json')), 'REJECTED refused output-collision');
    assert.equal(outcome(join(dir, 'top', 'report.html')), 'REJECTED refused output-collision');
    assert.equal(outcome(join(d, long)), 'DONE - -');
    assert.equal(outcome(join(d, 'inside.jpg')), 'DONE - -', 'a link inside the tree is followed');
    assert.equal(outcome(join(d, `esc-${ESCAPES}.jpg`)), 'DONE - -');
    assert.equal(outcome(`${d}/bad-\\x{ff}\\x{fe}.jpg`), 'REJECTED refused invalid-name');
    assert.equal(outcome(join(d, `shadow-${ESCAPES}.jpg`)), 'REJECTED refused link-outside-source');
    assert.equal(outcome(join(d, 'relative.jpg')), 'REJECTED refused link-outside-source');
    assert.equal(manifest.images.length, 10);
    assert.deepEqual(
      { ...manifest.summary, seconds: 0, processingSeconds: 0, imagesPerSecond: 0 },
      {
        total: 10,
        done: 4,
        rejected: 6,
        failed: 0,
        pending: 0,
        refused: 6,
        notImages: 0,
        processed: 4,
        seconds: 0,
        processingSeconds: 0,
        imagesPerSecond: 0,
      },
    );
    for (const image of manifest.images) {
      if (image.refused) {
        assert.equal(image.key, '', `${image.source}: nothing uploaded`);
        assert.ok((image.message ?? '').length > 10, `${image.source}: explained`);
      } else assert.equal(image.renditions.length, 6, image.source);
    }
    // Every exported path: unique, relative, inside --out, a file of the size listed.
    const paths = manifest.images.flatMap((i) => i.renditions.map((r) => r.path));
    assert.equal(new Set(paths).size, paths.length, 'no two renditions share a path');
    const root = resolve(out);
    for (const image of manifest.images) {
      for (const r of image.renditions) {
        const file = resolve(root, r.path);
        assert.ok(file.startsWith(root + sep) && !r.path.includes('..'), r.path);
        assert.ok(!['manifest.json', 'report.html'].includes(r.path.split('/')[0] ?? ''), r.path);
        assert.equal((await stat(file)).size, r.bytes, r.path);
      }
    }

    // --json on the same state (everything already finished): the manifest again, and its
    // bytes hold no control either, though the values do.
    const json = await runCli([...args, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assertTerminalSafe('run --json', json);
    const printed = JSON.parse(json.stdout) as Manifest;
    assert.ok(
      printed.images.some((i) => i.source.includes(ESCAPES)),
      'values keep their characters',
    );
    // Images are written in the order they settle, which differs from run to run.
    const outcomes = (m: Manifest) =>
      m.images
        .map((i) => [i.source, i.status, i.reason ?? ''])
        .sort((x, y) => (x[0] ?? '').localeCompare(y[0] ?? ''));
    assert.deepEqual(outcomes(printed), outcomes(manifest));

    const objects = await withStoppedCloud(state, storedObjects);
    assert.ok(objects.size > 0);
    for (const [key, bytes] of objects) {
      assert.equal(bytes.includes(secretBytes), false, `${key} holds the secret`);
    }
  });

  it('ingest: a link out of the directory is refused with its reason, in text and --json', {
    timeout: 120_000,
  }, async (t) => {
    const dir = await tempDir(t, 'names-ingest');
    const env = await startTestCloud(t, { stateDir: join(dir, 'state') });
    const secret = join(dir, 'secret.jpg');
    const secretBytes = Buffer.concat([
      await photoLike(32, 32, 7),
      Buffer.from('pixelmill-secret'),
    ]);
    await writeFile(secret, secretBytes);
    const photos = join(dir, 'photos');
    await mkdir(photos);
    await writeFile(join(photos, 'a.jpg'), await photoLike(40, 30));
    await symlink(secret, join(photos, `x-${ESCAPES}.jpg`));
    await symlink('a.jpg', join(photos, 'b.jpg'));

    const json = await runCli(['ingest', photos, '--state', env.stateDir, '--json']);
    assert.equal(json.code, 1, `a refusal makes exit 1\n${json.stderr}`);
    assertTerminalSafe('ingest --json', json);
    const [report] = (JSON.parse(json.stdout) as { sources: SourceReport[] }).sources;
    assert.ok(report);
    assert.equal(report.uploaded, 2, 'a.jpg, and b.jpg through its link inside');
    assert.deepEqual(
      report.refused.map((r) => [
        r.reason,
        r.source.endsWith('x-\\u{001b}]52;c;SGVsbG8=\\u{0007}-\\u{001b}[2K.jpg'),
      ]),
      [['link-outside-source', true]],
    );
    assert.match(report.refused[0]?.detail ?? '', /a symbolic link to .*secret\.jpg, outside /);

    const text = await runCli(['ingest', photos, '--state', env.stateDir]);
    assert.equal(text.code, 1);
    assertTerminalSafe('ingest', text);
    assert.match(text.stderr, /1 link-outside-source: a symbolic link in a directory whose target/);
    assert.match(
      text.stderr,
      /x-\\u\{001b\}\]52;c;SGVsbG8=\\u\{0007\}-\\u\{001b\}\[2K\.jpg\s+a symbolic link to /,
    );

    const objects = await storedObjects(env);
    assert.deepEqual([...objects.keys()].sort(), [
      `${env.cloud.topology.uploadsBucket}/uploads/photos/a.jpg`,
      `${env.cloud.topology.uploadsBucket}/uploads/photos/b.jpg`,
    ]);
    for (const [key, bytes] of objects) assert.equal(bytes.includes(secretBytes), false, key);
  });

  it('dlq, redrive, audit and status print hostile keys, reasons and messages escaped', {
    timeout: 120_000,
  }, async (t) => {
    const dir = await tempDir(t, 'names-operate');
    // The state directory's own name is printed by status.
    const env = await startTestCloud(t, { stateDir: join(dir, `state-${ESCAPES}`) });
    const { topology } = env.cloud;
    const key = `uploads/evil-${ESCAPES}-${C1}.jpg`;
    const put = await env.store.put(topology.uploadsBucket, key, await photoLike(16, 16));
    // A dead letter for that key, and a malformed one whose body and error attributes are C1.
    await env.deadLetterQueue.send(
      JSON.stringify(
        buildJobMessage({
          origin: 'repair',
          bucket: topology.uploadsBucket,
          key,
          size: 10,
          etag: put.etag,
          sequencer: '00',
        }),
      ),
    );
    const malformedId = await env.deadLetterQueue.send(`not json ${C1}`, {
      attributes: {
        [DLQ_ATTRIBUTES.code]: `code-${C1}`,
        [DLQ_ATTRIBUTES.message]: `message ${C1}`,
      },
    });
    const on = ['--state', env.stateDir];
    const commands: string[][] = [
      ['dlq', 'list'],
      ['dlq', 'show', key],
      ['dlq', 'show', malformedId],
      ['redrive', '--dry-run', '--reason', `code-${C1}`],
      ['audit', '--grace', '0', '--skip-renditions'],
      ['status'],
    ];
    const results = new Map<string, CliResult>();
    for (const command of commands) {
      for (const json of [false, true]) {
        const args = [...command, ...on, ...(json ? ['--json'] : [])];
        const result = await runCli(args);
        const what = command.join(' ').replace(/[^\x20-\x7e]/g, '?') + (json ? ' --json' : '');
        assert.ok(
          result.code === 0 || result.code === 1,
          `${what}: exit ${result.code} ${result.stderr}`,
        );
        assertTerminalSafe(what, result);
        if (json) JSON.parse(result.stdout);
        results.set(`${command.join(' ')}${json ? ' --json' : ''}`, result);
      }
    }
    // The escapes stand for the characters: shown, not obeyed, not lost.
    const list = results.get('dlq list')?.stdout ?? '';
    assert.match(list, /evil-\\u\{001b\}\]52;c;SGVsbG8=\\u\{0007\}-\\u\{001b\}\[2K-\\u\{009b\}2J/);
    assert.match(list, /message \\u\{009b\}2J/);
    assert.match(
      results.get(`dlq show ${malformedId}`)?.stdout ?? '',
      /body not json \\u\{009b\}2J/,
    );
    const listed = JSON.parse(results.get('dlq list --json')?.stdout ?? '') as {
      messages: { key: string | null; reason: string }[];
    };
    assert.ok(
      listed.messages.some((m) => m.key === key),
      'the key, unchanged, in --json',
    );
    assert.ok(listed.messages.some((m) => m.reason === `code-${C1}`));
    assert.match(
      results.get('audit --grace 0 --skip-renditions')?.stdout ?? '',
      /evil-\\u\{001b\}/,
      'the audit names the key, escaped',
    );
    assert.match(results.get('status')?.stdout ?? '', /local cloud at .*state-\\u\{001b\}\]52/);
  });
});
