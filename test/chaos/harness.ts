/**
 * What every chaos scenario shares, the skeleton start → upload → settle → verdict:
 * - its size and time (reduced under `npm test`, full under `npm run chaos`): chaosSize,
 *   SCENARIO_TIMEOUT_MS;
 * - the upload of its images, each expected to end DONE: uploadChaosImages;
 * - its end, settleAndJudge: wait until the pipeline has settled, read the whole metadata table,
 *   the whole renditions bucket and both queues, judge them (verdict.ts), print the scenario's
 *   figure and fail on anything lost, doubled, stuck or misplaced.
 * The scenario itself starts the cloud and its workers, and injects its faults, in between.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { type ImageRow, isLatestRow, isVersionRow } from '../../events/image-row.ts';
import type { ReceivedMessage } from '../../lib/aws/queue.ts';
import type { TestCloud } from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';
import { chaosImages } from './images.ts';
import {
  type ExpectedVersion,
  figure,
  judge,
  type PipelineSnapshot,
  TERMINAL,
  type Verdict,
  type VerifyOptions,
} from './verdict.ts';

export { type ExpectedVersion, RENDITIONS_PER_IMAGE } from './verdict.ts';

/** `npm run chaos` sets PIXELMILL_CHAOS=full; `npm test` runs the reduced sizes. */
export const CHAOS_FULL = process.env.PIXELMILL_CHAOS === 'full';

export function chaosSize(reduced: number, full: number): number {
  return CHAOS_FULL ? full : reduced;
}

/** A scenario's test timeout, and how long its end waits for the pipeline to settle. */
export const SCENARIO_TIMEOUT_MS = chaosSize(180_000, 600_000);
export const SETTLE_TIMEOUT_MS = chaosSize(150_000, 540_000);

/**
 * Uploads `count` distinct chaos images under `uploads/<folder>/` through the test's own
 * clients, one after another, and returns the versions expected to end DONE.
 */
export async function uploadChaosImages(
  env: TestCloud,
  folder: string,
  count: number,
): Promise<ExpectedVersion[]> {
  const bucket = env.cloud.topology.uploadsBucket;
  const expected: ExpectedVersion[] = [];
  for (const image of await chaosImages(count)) {
    const key = `uploads/${folder}/${image.name}`;
    await env.store.put(bucket, key, image.body);
    expected.push({ key, version: image.etag, status: 'DONE' });
  }
  return expected;
}

/** Reads everything, through the test's own clients (never the faulty ones). */
export async function snapshot(env: TestCloud): Promise<PipelineSnapshot> {
  const versionRows: ImageRow[] = [];
  const latestRows: ImageRow[] = [];
  // Items that are neither (the audit's checkpoint) are not images' rows.
  for await (const row of env.table.scan()) {
    if (isVersionRow(row)) versionRows.push(row);
    else if (isLatestRow(row)) latestRows.push(row);
  }
  const renditions = new Map<string, number>();
  for await (const o of env.store.list(env.cloud.topology.renditionsBucket, ''))
    renditions.set(o.key, o.size);
  return {
    versionRows,
    latestRows,
    renditions,
    deadLetters: await readDeadLetters(env),
    workQueue: await env.workQueue.depth(),
  };
}

/** Every DLQ message, made visible again afterwards (1 s, never 0: see DESIGN.md). */
async function readDeadLetters(env: TestCloud): Promise<ReceivedMessage[]> {
  const seen = new Map<string, ReceivedMessage>();
  for (;;) {
    const batch = await env.deadLetterQueue.receive({
      max: 10,
      waitSeconds: 1,
      visibilityTimeout: 30,
    });
    const fresh = batch.filter((m) => !seen.has(m.messageId));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.set(m.messageId, m);
  }
  const all = [...seen.values()];
  await Promise.all(all.map((m) => env.deadLetterQueue.changeVisibility(m.receiptHandle, 1)));
  return all;
}

/** With no message anywhere for this long, nothing can change a row any more. */
const QUIET_MS = 3_000;

/**
 * Waits until every expected version has a terminal row and the work queue holds nothing, not
 * even a message in flight or on its way back (a late duplicate could still change a row).
 * It also returns once the queue has been empty for QUIET_MS with images unfinished: no message
 * is left to finish them, so they are lost, and the verdict that follows says which.
 */
export async function waitUntilSettled(
  env: TestCloud,
  expected: readonly ExpectedVersion[],
  timeoutMs: number,
): Promise<void> {
  const wanted = new Set(expected.map((e) => `${e.key}\u0000${e.version}`));
  let last = 'nothing read yet';
  let emptySince: number | undefined;
  try {
    await eventually(
      `${expected.length} images to settle and the work queue to empty`,
      async () => {
        const depth = await env.workQueue.depth();
        const statuses: Record<string, number> = {};
        let terminal = 0;
        for await (const row of env.table.scan()) {
          if (!isVersionRow(row)) continue;
          statuses[row.status] = (statuses[row.status] ?? 0) + 1;
          if (TERMINAL.has(row.status) && wanted.has(`${row.key}\u0000${row.version}`)) terminal++;
        }
        last = `rows ${JSON.stringify(statuses)}, work queue ${JSON.stringify(depth)}`;
        if (depth.visible + depth.inFlight + depth.delayed > 0) {
          emptySince = undefined;
          return undefined;
        }
        if (terminal >= wanted.size) return true;
        emptySince ??= Date.now();
        return Date.now() - emptySince > QUIET_MS ? true : undefined;
      },
      timeoutMs,
      500,
    );
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; last seen: ${last}`,
    );
  }
}
/** Prints the figure, then fails on anything lost, doubled, stuck, inconsistent or misplaced. */
export async function assertVerdict(
  t: TestContext,
  options: VerifyOptions,
  verdict: Verdict,
): Promise<void> {
  t.diagnostic(figure(options, verdict));
  const problems = [
    ...verdict.lost.map((p) => `lost: ${p}`),
    ...verdict.doubled.map((p) => `doubled: ${p}`),
    ...verdict.stuck.map((p) => `stuck: ${p}`),
    ...verdict.inconsistent.map((p) => `inconsistent: ${p}`),
    ...verdict.unexpectedDeadLetters.map((p) => `unexpected: ${p}`),
  ];
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problem(s)`);
  assert.equal(
    verdict.expectedDeadLetters,
    options.deadLetterCount ?? 0,
    'messages the scenario sent to the DLQ on purpose',
  );
  assert.deepEqual(verdict.latest.slice(0, 20), [], 'LATEST rows');
}

/** Waits until the pipeline has settled, then judges it: the end of every scenario. */
export async function settleAndJudge(
  t: TestContext,
  env: TestCloud,
  options: VerifyOptions,
  settleMs: number = SETTLE_TIMEOUT_MS,
): Promise<PipelineSnapshot> {
  await waitUntilSettled(env, options.expected, settleMs);
  return expectNothingLostOrDoubled(t, env, options);
}

/** Snapshot, judge, print the figure, assert (once the pipeline has settled). */
export async function expectNothingLostOrDoubled(
  t: TestContext,
  env: TestCloud,
  options: VerifyOptions,
): Promise<PipelineSnapshot> {
  const state = await snapshot(env);
  await assertVerdict(t, options, judge(state, options));
  return state;
}
