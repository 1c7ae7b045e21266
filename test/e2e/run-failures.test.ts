/**
 * A run whose images FAIL has a way forward: its progress line says what is retrying and why,
 * its FAILED images' messages are in the DLQ when it ends, its summary names the next commands,
 * and the same run again, once the cause is fixed, retries them (redriven from the DLQ, recorded
 * on their rows) instead of reporting FAILED at once. On the way, `--prefix` selects the run's
 * keys for `redrive` and `report` as it does for `ingest` (relative to the uploads prefix), and
 * `redrive --dry-run --json` lists the moves it would make.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Manifest } from '../../lib/run/manifest.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { runCli } from '../helpers/cli.ts';
import { cliJson } from '../helpers/cli-stack.ts';
import { tempDir } from '../helpers/temp.ts';
import { noTerminal, runCliOnTerminal, terminalLines } from '../helpers/terminal.ts';

/**
 * Every rendition write of the broken images fails, as a broken dependency would: a PUT, or the
 * copy an exact duplicate gets (broken0 has good0's bytes).
 */
const FAULTS = {
  rules: [
    {
      service: 's3',
      commands: ['PutObjectCommand', 'CopyObjectCommand'],
      keyPrefix: 'uploads/batch/broken/',
      rate: 1,
      error: 'server-error',
    },
  ],
  backoff: { baseSeconds: 1, factor: 1, maxSeconds: 1 },
};

interface DlqList {
  count: number;
  messages: { key: string; reason: string }[];
}
interface RedriveJson {
  dryRun: boolean;
  matched: number;
  plan: { key: string; reason: string; decision: { action: string } }[];
  moved: unknown[];
}
interface DlqShow {
  inDeadLetterQueue: boolean;
  rows: {
    sk: string;
    status: string;
    attempts: number;
    redrives: number;
    history: { event: string }[];
  }[];
}

describe('a run with FAILED images', () => {
  it('says what retries and why, leaves them in the DLQ, names the next commands, and a rerun retries them', {
    timeout: 240_000,
  }, async (t) => {
    const why = noTerminal();
    if (why) {
      t.skip(why);
      return;
    }
    const dir = await tempDir(t, 'run-failures');
    const input = join(dir, 'batch');
    for (const sub of ['good', 'broken']) {
      await mkdir(join(input, sub), { recursive: true });
      for (let i = 0; i < 2; i++)
        await writeFile(join(input, sub, `${sub}${i}.jpg`), await photoLike(160, 120, i + 7));
    }
    const state = join(dir, 'state');
    const out = join(dir, 'out');
    const args = ['run', input, '--out', out, '--state', state, '--concurrency', '1'];

    const first = await runCliOnTerminal(args, { PIXELMILL_FAULTS: JSON.stringify(FAULTS) });
    assert.equal(first.code, 1, first.stdout);
    const lines = terminalLines(first.stdout);
    assert.ok(
      lines.some((l) => /Processing .* · [12] retrying \(last error InternalError\)/.test(l)),
      `the progress line says what retries and why:\n${lines.slice(-30).join('\n')}`,
    );
    const text = lines.join('\n');
    assert.match(text, /FAILED\s+2/);
    assert.ok(text.includes('Next:'), text);
    assert.ok(text.includes(`pixelmill dlq list --state ${state}`), text);
    assert.ok(text.includes(`pixelmill run ${args.slice(1).join(' ')}`), text);
    assert.ok(text.includes(`pixelmill redrive --state ${state} --prefix batch/ --dry-run`), text);

    // The run ended with their messages in the DLQ, where the next commands look.
    const dlq = (await cliJson<DlqList>(['dlq', 'list', '--state', state, '--json'])).value;
    assert.deepEqual(dlq.messages.map((m) => [m.key, m.reason]).sort(), [
      ['uploads/batch/broken/broken0.jpg', 'InternalError'],
      ['uploads/batch/broken/broken1.jpg', 'InternalError'],
    ]);

    // --prefix is below the uploads prefix, for redrive as for ingest; the dry run's JSON lists
    // the moves it would make, and changes nothing.
    const plan = (
      await cliJson<RedriveJson>([
        'redrive',
        '--state',
        state,
        '--prefix',
        'batch/broken',
        '--dry-run',
        '--json',
      ])
    ).value;
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.plan.map((p) => [p.key, p.decision.action]).sort(), [
      ['uploads/batch/broken/broken0.jpg', 'move'],
      ['uploads/batch/broken/broken1.jpg', 'move'],
    ]);
    assert.deepEqual(plan.moved, []);
    const good = (
      await cliJson<RedriveJson>([
        'redrive',
        '--state',
        state,
        '--prefix',
        'batch/good',
        '--dry-run',
        '--json',
      ])
    ).value;
    assert.equal(good.matched, 0);
    const report = await cliJson<{ images: number }>([
      'report',
      '--state',
      state,
      '--prefix',
      'batch/good/',
      '--out',
      join(dir, 'good.html'),
      '--json',
    ]);
    assert.equal(report.value.images, 2, 'report --prefix selects the ingest-relative keys');
    assert.equal(
      (await cliJson<DlqList>(['dlq', 'list', '--state', state, '--json'])).value.count,
      2,
      'the dry run moved nothing',
    );

    // The cause fixed (no fault): the same command again retries what FAILED.
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /retrying 2 image\(s\) an earlier run left FAILED/);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual(
      manifest.images.map((i) => i.status),
      ['DONE', 'DONE', 'DONE', 'DONE'],
    );
    assert.equal(manifest.summary.processed, 2, 'only the two retried images were processed');
    assert.equal(
      (await cliJson<DlqList>(['dlq', 'list', '--state', state, '--json'])).value.count,
      0,
    );
    for (const key of ['uploads/batch/broken/broken0.jpg', 'uploads/batch/good/good0.jpg']) {
      const story = (await cliJson<DlqShow>(['dlq', 'show', key, '--state', state, '--json']))
        .value;
      // The object version's own row (the key's LATEST row mirrors it, without a history).
      const row = story.rows.find((r) => r.sk.startsWith('v#'));
      assert.equal(row?.status, 'DONE', key);
      const events = row?.history.map((h) => h.event) ?? [];
      if (key.includes('broken')) {
        assert.equal(row?.redrives, 1, 'the redrive is recorded on the row');
        assert.ok(events.includes('redriven'), events.join(' '));
        assert.ok((row?.attempts ?? 0) > 5, `attempts keep counting: ${row?.attempts}`);
      } else {
        assert.deepEqual(events, ['claimed', 'done'], 'a DONE image is not processed again');
      }
    }
  });
});
