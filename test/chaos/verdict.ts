/**
 * The verdict on a chaos scenario, as a pure function of what the pipeline holds at the end: it
 * counts what the issue forbids. Lost: an expected image version without its terminal row, with
 * the wrong outcome, or with a rendition missing. Doubled: a second row, a rendition beside a
 * DONE row that does not name it, a row for nothing expected. Stuck: a lease or a retry left
 * behind, or a message left on the work queue. Inconsistent: a row whose renditions do not match
 * the bucket. Plus LATEST rows that do not mirror their key's newest version, and DLQ messages
 * the scenario did not put there on purpose.
 */
import type { ImageRow } from '../../events/image-row.ts';
import type { ReceivedMessage } from '../../lib/aws/queue.ts';

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

export const TERMINAL: ReadonlySet<string> = new Set(['DONE', 'REJECTED']);

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
