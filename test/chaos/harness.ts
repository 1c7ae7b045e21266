/**
 * What every chaos scenario shares: its size (reduced under `npm test`, full under
 * `npm run chaos`), waiting until the pipeline has settled, and the verdict. The verdict reads the
 * whole metadata table, the whole renditions bucket and both queues, and counts what the issue
 * forbids: an image lost (no terminal row, the wrong outcome, a rendition missing), an image
 * doubled (a second row, a rendition no row owns), a lease left stuck, or a message where it
 * should not be.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import type { ReceivedMessage } from '../../lib/aws/queue.ts';
import type { TestCloud } from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';

/** `npm run chaos` sets PIXELMILL_CHAOS=full; `npm test` runs the reduced sizes. */
export const CHAOS_FULL = process.env.PIXELMILL_CHAOS === 'full';

export function chaosSize(reduced: number, full: number): number {
  return CHAOS_FULL ? full : reduced;
}

/** Renditions per DONE image under the default config (three presets × JPEG and WebP). */
export const RENDITIONS_PER_IMAGE = 6;

/** One object version and the outcome the scenario demands for it. */
export interface ExpectedVersion {
  readonly key: string;
  /** The ETag (the local uploads bucket is not versioned). */
  readonly version: string;
  readonly status: 'DONE' | 'REJECTED';
  readonly reason?: string;
  /** The version the key's LATEST row must mirror; by default a key's only expected version. */
  readonly newest?: boolean;
}

export interface PipelineSnapshot {
  readonly versionRows: readonly ImageRow[];
  readonly latestRows: readonly ImageRow[];
  /** Rendition object key → size in bytes. */
  readonly renditions: ReadonlyMap<string, number>;
  readonly deadLetters: readonly ReceivedMessage[];
  readonly workQueue: { visible: number; inFlight: number; delayed: number };
}

/** Reads everything, through the test's own clients (never the faulty ones). */
export async function snapshot(env: TestCloud): Promise<PipelineSnapshot> {
  const versionRows: ImageRow[] = [];
  const latestRows: ImageRow[] = [];
  for await (const row of env.table.scan())
    (isVersionRow(row) ? versionRows : latestRows).push(row);
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

const TERMINAL = new Set(['DONE', 'REJECTED']);

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

export interface Verdict {
  readonly lost: readonly string[];
  readonly doubled: readonly string[];
  readonly stuck: readonly string[];
  readonly inconsistent: readonly string[];
  /** LATEST rows missing, stale, or mirroring an older version. */
  readonly latest: readonly string[];
  readonly unexpectedDeadLetters: readonly string[];
  readonly expectedDeadLetters: number;
}

export interface VerifyOptions {
  readonly scenario: string;
  /** Faults injected, for the printed figure. */
  readonly faults: number;
  /** What the faults were, printed after the count, e.g. "kill -9 of a worker process". */
  readonly faultDetail?: string;
  readonly expected: readonly ExpectedVersion[];
  /** DLQ messages the scenario put there on purpose (poison); any other DLQ message fails. */
  readonly isExpectedDeadLetter?: (message: ReceivedMessage) => boolean;
  /** How many DLQ messages the scenario expects (default 0). */
  readonly deadLetterCount?: number;
  /** Set to LATEST_IS_BEST_EFFORT where the scenario's faults can hit that known bug. */
  readonly latestKnownBug?: string;
}

/** Judges a snapshot against the expectation; pure, so a wrong expectation can be shown to fail. */
export function judge(state: PipelineSnapshot, options: VerifyOptions): Verdict {
  const lost: string[] = [];
  const doubled: string[] = [];
  const stuck: string[] = [];
  const inconsistent: string[] = [];
  const latestProblems: string[] = [];
  const id = (key: string, version: string) => `${key} @ ${version}`;

  const rowsByVersion = new Map<string, ImageRow[]>();
  for (const row of state.versionRows) {
    const list = rowsByVersion.get(id(row.key, row.version)) ?? [];
    list.push(row);
    rowsByVersion.set(id(row.key, row.version), list);
    if (!TERMINAL.has(row.status))
      stuck.push(
        `${id(row.key, row.version)} is ${row.status} (lease ${row.leaseOwner ?? 'none'})`,
      );
  }

  const expectedIds = new Set(options.expected.map((e) => id(e.key, e.version)));
  for (const [versionId, rows] of rowsByVersion) {
    if (!expectedIds.has(versionId))
      doubled.push(`${versionId}: a row for a version never expected`);
    else if (rows.length > 1) doubled.push(`${versionId}: ${rows.length} rows`);
  }

  const owned = new Map<string, string>();
  for (const e of options.expected) {
    const row = rowsByVersion.get(id(e.key, e.version))?.[0];
    const name = id(e.key, e.version);
    if (!row) {
      lost.push(`${name}: no row`);
      continue;
    }
    if (row.status !== e.status || (e.reason !== undefined && row.reason !== e.reason)) {
      if (TERMINAL.has(row.status))
        inconsistent.push(
          `${name}: ${row.status} ${row.reason ?? ''}, expected ${e.status} ${e.reason ?? ''}`,
        );
      else lost.push(`${name}: ${row.status}, never finished`);
      continue;
    }
    const renditions = row.renditions ?? [];
    if (row.status === 'REJECTED' && renditions.length > 0)
      inconsistent.push(`${name}: REJECTED with ${renditions.length} renditions recorded`);
    if (row.status !== 'DONE') continue;
    if (renditions.length !== RENDITIONS_PER_IMAGE)
      inconsistent.push(
        `${name}: ${renditions.length} renditions recorded, expected ${RENDITIONS_PER_IMAGE}`,
      );
    for (const r of renditions) {
      const size = state.renditions.get(r.key);
      if (size === undefined) lost.push(`${name}: rendition ${r.key} is missing`);
      else if (size !== r.bytes)
        inconsistent.push(`${name}: rendition ${r.key} has ${size} bytes, the row says ${r.bytes}`);
      const owner = owned.get(r.key);
      if (owner !== undefined) doubled.push(`${r.key} is claimed by ${owner} and ${name}`);
      owned.set(r.key, name);
    }
  }
  // A rendition no DONE row names is a second result when its image has a DONE row, and the
  // leftover of an unfinished one otherwise (`<upload key>/<version hash>/<preset>.<ext>`).
  const doneKeys = new Set(state.versionRows.filter((r) => r.status === 'DONE').map((r) => r.key));
  for (const key of state.renditions.keys()) {
    if (owned.has(key)) continue;
    const uploadKey = key.split('/').slice(0, -2).join('/');
    if (doneKeys.has(uploadKey)) doubled.push(`rendition ${key} beside its image's DONE row`);
    else inconsistent.push(`rendition ${key} of an image that never finished`);
  }

  // The LATEST row of each key mirrors its newest version, never an older one.
  const newestByKey = new Map<string, ExpectedVersion>();
  for (const e of options.expected) {
    if (e.newest || !options.expected.some((o) => o.key === e.key && o !== e))
      newestByKey.set(e.key, e);
  }
  const latestByKey = new Map(state.latestRows.map((r) => [r.key, r]));
  for (const [key, newest] of newestByKey) {
    const latest = latestByKey.get(key);
    const want = rowsByVersion.get(id(key, newest.version))?.[0]?.sk;
    if (!latest) latestProblems.push(`${key}: no LATEST row`);
    else if (latest.latestOf !== want || latest.status !== newest.status)
      latestProblems.push(
        `${key}: LATEST mirrors ${latest.latestOf} (${latest.status}), not ${want}`,
      );
  }
  for (const key of latestByKey.keys()) {
    if (!newestByKey.has(key)) doubled.push(`${key}: a LATEST row for a key never expected`);
  }

  const unexpectedDeadLetters: string[] = [];
  let expectedDeadLetters = 0;
  for (const m of state.deadLetters) {
    if (options.isExpectedDeadLetter?.(m)) expectedDeadLetters++;
    else unexpectedDeadLetters.push(`DLQ: ${m.body.slice(0, 160)}`);
  }
  const depth = state.workQueue;
  if (depth.visible + depth.inFlight + depth.delayed > 0)
    stuck.push(`work queue still holds ${JSON.stringify(depth)}`);
  return {
    lost,
    doubled,
    stuck,
    inconsistent,
    latest: latestProblems,
    unexpectedDeadLetters,
    expectedDeadLetters,
  };
}

/** The scenario's figure, e.g. "throttling: 412 faults injected, 300 images, 0 lost, 0 doubled". */
export function figure(options: VerifyOptions, verdict: Verdict): string {
  const images = new Set(options.expected.map((e) => `${e.key}\u0000${e.version}`)).size;
  return (
    `${options.scenario}: ${options.faults} faults injected` +
    (options.faultDetail ? ` (${options.faultDetail})` : '') +
    ', ' +
    `${images} images, ${verdict.lost.length} lost, ${verdict.doubled.length} doubled` +
    (verdict.stuck.length ? `, ${verdict.stuck.length} stuck` : '') +
    (verdict.inconsistent.length ? `, ${verdict.inconsistent.length} inconsistent` : '') +
    (verdict.latest.length ? `, ${verdict.latest.length} LATEST rows wrong` : '') +
    (verdict.unexpectedDeadLetters.length
      ? `, ${verdict.unexpectedDeadLetters.length} unexpected in the DLQ`
      : '')
  );
}

/**
 * Why a scenario's LATEST rows may be wrong for a reason already reported against production
 * code: they are then checked in a `todo` subtest, which shows the failure without failing the
 * run, until the fix lands (then the subtest passes and the todo should go).
 */
export const LATEST_IS_BEST_EFFORT =
  'known bug: the LATEST row is written after DONE, best effort (publishLatest in ' +
  'lib/pipeline/process-record.ts); a failed write or a crash in between leaves it missing or ' +
  'stale, and a redelivery, being a duplicate of a finished image, never writes it';

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
  const latestOk = () => assert.deepEqual(verdict.latest.slice(0, 20), [], 'LATEST rows');
  if (options.latestKnownBug === undefined) latestOk();
  else
    await t.test(
      "every LATEST row mirrors its key's newest version",
      { todo: options.latestKnownBug },
      latestOk,
    );
}

/** Snapshot, judge, print the figure, assert: the end of every scenario. */
export async function expectNothingLostOrDoubled(
  t: TestContext,
  env: TestCloud,
  options: VerifyOptions,
): Promise<PipelineSnapshot> {
  const state = await snapshot(env);
  await assertVerdict(t, options, judge(state, options));
  return state;
}
