/**
 * `pixelmill dlq delete` and `dlq purge`: dead letters an operator gives up on are deleted, each
 * deletion written in the image's history (where the message has an image), previewed first with
 * --dry-run (delete) or without --yes (purge); images stay FAILED, which the audit still sees.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { topology } from '../../infra/topology.ts';
import { Queue } from '../../lib/aws/queue.ts';
import { finished, runCli, spawnCli } from '../helpers/cli.ts';
import { cliJson, startCliStack } from '../helpers/cli-stack.ts';
import { photoRunDir } from '../helpers/photo-dirs.ts';
import { eventually } from '../helpers/temp.ts';

const FAULTS = {
  rules: [
    {
      service: 's3',
      commands: ['PutObjectCommand'],
      keyPrefix: 'uploads/verbs/',
      rate: 1,
      error: 'server-error',
    },
  ],
  backoff: { baseSeconds: 1, factor: 1, maxSeconds: 1 },
};

interface Letter {
  messageId: string;
  key: string | null;
  status: string | null;
}
interface Deletion {
  dryRun: boolean;
  selected: Letter[];
  deleted: Letter[];
  failed: unknown[];
}
interface Story {
  inDeadLetterQueue: boolean;
  rows: { sk: string; status: string; history: { event: string; messageId?: string }[] }[];
}

describe('dlq delete and purge', () => {
  it('delete one, preview and purge the rest, each recorded on its row', {
    timeout: 180_000,
  }, async (t) => {
    const { dir, state, input } = await photoRunDir(t, 'dlq-verbs', 'verbs', {
      count: 2,
      width: 96,
      height: 64,
      seed: 3,
      name: (i) => `v${i}.jpg`,
    });
    const stack = await startCliStack(t, state);
    const run = await finished(
      spawnCli(['run', input, '--out', join(dir, 'out'), '--state', state], {
        env: { PIXELMILL_FAULTS: JSON.stringify(FAULTS) },
      }),
    );
    assert.equal(run.code, 1, run.stderr);
    // A message that is no image's: nothing to record it on.
    const dlq = await Queue.byName(stack.clients.sqs, topology.deadLetterQueue);
    await dlq.send('{"not":"an event"}');
    const list = async () =>
      (
        await cliJson<{ count: number; messages: Letter[] }>([
          'dlq',
          'list',
          '--state',
          state,
          '--json',
        ])
      ).value;
    await eventually('three dead letters', async () =>
      (await list()).count === 3 ? true : undefined,
    );
    const json = async <T>(args: string[]) =>
      (await cliJson<T>([...args, '--state', state, '--json'])).value;
    const story = async (key: string) => {
      const s = await json<Story>(['dlq', 'show', key]);
      return { ...s, row: s.rows.find((r) => r.sk.startsWith('v#')) };
    };

    // delete by key: previewed, then done and written in the image's history.
    const v0 = 'uploads/verbs/v0.jpg';
    const preview = await json<Deletion>(['dlq', 'delete', v0, '--dry-run']);
    assert.deepEqual(
      [preview.dryRun, preview.selected.map((l) => l.key), preview.deleted],
      [true, [v0], []],
    );
    assert.equal((await list()).count, 3, 'a dry run deletes nothing');
    const messageId = preview.selected[0]?.messageId;
    const deleted = await json<Deletion>(['dlq', 'delete', v0]);
    assert.deepEqual(
      deleted.deleted.map((l) => l.key),
      [v0],
    );
    const after = await story(v0);
    assert.equal(after.inDeadLetterQueue, false);
    assert.equal(after.row?.status, 'FAILED', 'the image stays FAILED');
    const noted = after.row?.history.find((h) => h.event === 'dlq-deleted');
    assert.equal(noted?.messageId, messageId, 'the deletion names its message');
    assert.equal((await list()).count, 2);

    // A miss is said, exit 1; an unknown verb gets a suggestion.
    const miss = await runCli(['dlq', 'delete', 'uploads/verbs/nope.jpg', '--state', state]);
    assert.equal(miss.code, 1);
    assert.match(miss.stdout, /No dead letter with message id or key/);
    const typo = await runCli(['dlq', 'prge', '--state', state]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean purge\?/);

    // purge without --yes only says what it would delete.
    const plan = await json<Deletion>(['dlq', 'purge']);
    assert.equal(plan.dryRun, true);
    assert.equal(plan.selected.length, 2);
    assert.equal((await list()).count, 2);
    const purged = await json<Deletion>(['dlq', 'purge', '--yes']);
    assert.deepEqual([purged.dryRun, purged.deleted.length, purged.failed.length], [false, 2, 0]);
    assert.equal((await list()).count, 0);
    const v1 = await story('uploads/verbs/v1.jpg');
    assert.ok(v1.row?.history.some((h) => h.event === 'dlq-deleted'));

    // The images are FAILED without a message: the audit still sees both.
    const audit = await cliJson<{ gaps: { kind: string }[] }>([
      'audit',
      '--state',
      state,
      '--grace',
      '0',
      '--json',
    ]);
    assert.deepEqual(
      audit.value.gaps.map((g) => g.kind),
      ['failed-not-in-dlq', 'failed-not-in-dlq'],
    );
  });
});
