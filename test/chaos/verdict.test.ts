/**
 * The verdict must be able to fail: fed a pipeline state with one defect at a time, it names
 * that defect, and only it. (Each scenario was also run against a deliberately broken pipeline;
 * this keeps the verifier honest on every `npm test`, in milliseconds.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import type { ReceivedMessage } from '../../lib/aws/queue.ts';
import {
  type ExpectedVersion,
  judge,
  type PipelineSnapshot,
  RENDITIONS_PER_IMAGE,
  type Verdict,
} from './verdict.ts';

const KEY = 'uploads/a.jpg';
const VERSION = 'etag-1';

function renditions(key: string, version: string): RenditionRecord[] {
  return Array.from({ length: RENDITIONS_PER_IMAGE }, (_, i) => ({
    name: `p${i}`,
    format: 'jpeg',
    width: 10,
    height: 10,
    bytes: 100 + i,
    key: `${key}/${version}/p${i}.jpg`,
    presetHash: 'h',
  }));
}

function row(overrides: Partial<ImageRow> = {}): ImageRow {
  const key = overrides.key ?? KEY;
  const version = overrides.version ?? VERSION;
  return {
    pk: `bucket/${key}`,
    sk: `v#${version}#c#cfg`,
    status: 'DONE',
    bucket: 'bucket',
    key,
    version,
    etag: version,
    sequencer: '01',
    configHash: 'cfg',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    attempts: 1,
    renditions: renditions(key, version),
    ...overrides,
  };
}

function healthy(): PipelineSnapshot {
  const done = row();
  return {
    versionRows: [done],
    latestRows: [{ ...done, sk: 'latest#c#cfg', latestOf: done.sk }],
    renditions: new Map((done.renditions ?? []).map((r) => [r.key, r.bytes])),
    deadLetters: [],
    workQueue: { visible: 0, inFlight: 0, delayed: 0 },
  };
}

const expected: ExpectedVersion[] = [{ key: KEY, version: VERSION, status: 'DONE' }];

function defects(state: PipelineSnapshot, expect = expected): Record<string, number> {
  const v: Verdict = judge(state, { scenario: 'test', faults: 0, expected: expect });
  const counts = {
    lost: v.lost.length,
    doubled: v.doubled.length,
    stuck: v.stuck.length,
    inconsistent: v.inconsistent.length,
    latest: v.latest.length,
    unexpectedDeadLetters: v.unexpectedDeadLetters.length,
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

describe('chaos verdict', () => {
  it('passes a healthy pipeline', () => {
    assert.deepEqual(defects(healthy()), {});
  });

  it('catches an image with no row, and one left PROCESSING (a stuck lease)', () => {
    const nothing = { ...healthy(), versionRows: [], renditions: new Map<string, number>() };
    assert.deepEqual(defects(nothing), { lost: 1, latest: 1 });
    // Its renditions were written before the crash: leftovers of an image that never finished.
    const processing = row({ status: 'PROCESSING', leaseOwner: 'dead-worker' });
    assert.deepEqual(defects({ ...healthy(), versionRows: [processing] }), {
      lost: 1,
      stuck: 1,
      inconsistent: RENDITIONS_PER_IMAGE,
    });
  });

  it('catches a missing rendition, a rendition of the wrong size, and a short rendition set', () => {
    const state = healthy();
    const [first, second] = [...state.renditions.keys()];
    const renditionsNow = new Map(state.renditions);
    renditionsNow.delete(first ?? '');
    renditionsNow.set(second ?? '', 1);
    assert.deepEqual(defects({ ...state, renditions: renditionsNow }), {
      lost: 1,
      inconsistent: 1,
    });
    const short = row({ renditions: renditions(KEY, VERSION).slice(1) });
    assert.deepEqual(defects({ ...state, versionRows: [short] }), {
      inconsistent: 1,
      doubled: 1,
    });
  });

  it('catches a second row, a second rendition set, and a result for nothing expected', () => {
    const state = healthy();
    const again = row({ sk: 'v#etag-1#c#other' });
    assert.deepEqual(defects({ ...state, versionRows: [...state.versionRows, again] }), {
      doubled: 1,
    });
    const extra = new Map(state.renditions).set(`${KEY}/etag-0/p0.jpg`, 5);
    assert.deepEqual(defects({ ...state, renditions: extra }), { doubled: 1 });
    const stranger = row({ key: 'uploads/b.jpg' });
    assert.deepEqual(defects({ ...state, versionRows: [...state.versionRows, stranger] }), {
      doubled: 1,
    });
  });

  it('catches the wrong outcome and a stale LATEST row', () => {
    const state = healthy();
    assert.deepEqual(
      defects(state, [{ key: KEY, version: VERSION, status: 'REJECTED', reason: 'corrupt' }]),
      { inconsistent: 1, latest: 1, doubled: RENDITIONS_PER_IMAGE },
    );
    const stale = state.latestRows.map((r) => ({ ...r, latestOf: 'v#etag-0#c#cfg' }));
    assert.deepEqual(defects({ ...state, latestRows: stale }), { latest: 1 });
  });

  it('catches a message left in the DLQ or on the work queue', () => {
    const letter: ReceivedMessage = {
      messageId: 'm',
      receiptHandle: 'r',
      body: '{}',
      md5OfBody: '',
      attributes: {},
      messageAttributes: {},
    };
    assert.deepEqual(defects({ ...healthy(), deadLetters: [letter] }), {
      unexpectedDeadLetters: 1,
    });
    assert.deepEqual(
      defects({ ...healthy(), workQueue: { visible: 0, inFlight: 1, delayed: 0 } }),
      { stuck: 1 },
    );
  });
});
