/**
 * The streaming audit on the embedded cloud, through real SDK calls: 50 uploads spread over the
 * key ranges, one of every outcome and gap kind, audited five versions to a page. Its memory is
 * shown by construction (no page ever holds more rows than the page size), not by timing; a pass
 * cut after three pages resumes from its checkpoint in the table to the same report, counting
 * every version once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { runAudit } from '../../lib/ops/audit.ts';
import { tableCheckpointStore } from '../../lib/ops/audit-checkpoint.ts';
import { splitSegments } from '../../lib/ops/audit-segments.ts';
import { assertResumedLike, auditSummary, gapKeys, seedAuditOutcomes } from '../helpers/audit.ts';
import { startTestCloud, type TestCloud } from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';

const hash = configHash(defaultConfig());
/** First characters that fall in different key ranges (and one below every cut). */
const FIRSTS = ['_', '0', '7', 'C', 'N', 'b', 'm', 'x', 'z', 'Q'];
/** 50 uploads spread over the key ranges: the i-th has outcome AUDIT_OUTCOMES[i % 6]. */
const seed = (env: TestCloud) =>
  seedAuditOutcomes(
    env,
    hash,
    Array.from(
      { length: 50 },
      (_, i) => `uploads/${FIRSTS[i % FIRSTS.length]}${String(i).padStart(2, '0')}.jpg`,
    ),
  );

const EXPECTED = {
  objects: 50,
  done: 9,
  rejected: 9,
  inFlight: 0,
  inDeadLetterQueue: 0,
  gapCount: 32,
  gapsByKind: { 'no-row': 8, stuck: 8, 'failed-not-in-dlq': 8, 'missing-renditions': 8 },
};

describe('streaming audit', () => {
  it('covers every key exactly once with its segments', () => {
    const segments = splitSegments('uploads/', 16);
    assert.equal(segments.length, 16);
    assert.equal(segments[0]?.after, undefined);
    assert.equal(segments.at(-1)?.through, undefined);
    for (let i = 1; i < segments.length; i++)
      assert.equal(segments[i]?.after, segments[i - 1]?.through, 'each starts where one ends');
  });

  it('finds every kind of gap five versions at a time, holding no more rows than a page', async (t) => {
    const env = await startTestCloud(t);
    await seed(env);
    const ctx = await operatorContext(env);
    const paged = await runAudit(ctx, { graceSeconds: 0, pageSize: 5, concurrency: 3 });
    assert.deepEqual(auditSummary(paged), EXPECTED);
    assert.equal(paged.complete, true);
    assert.ok(paged.pages >= 10, `${paged.pages} pages`);
    assert.ok(paged.peakHeldRows > 0 && paged.peakHeldRows <= 5, `${paged.peakHeldRows} rows held`);
    // The same answer in one page and one range: the page size changes the memory, not the result.
    const whole = await runAudit(ctx, { graceSeconds: 0, pageSize: 1000, segments: 1 });
    assert.deepEqual(auditSummary(whole), EXPECTED);
    assert.deepEqual(gapKeys(whole), gapKeys(paged));
    assert.equal(whole.pages, 1);
    // Details are capped; the counts are not.
    const capped = await runAudit(ctx, { graceSeconds: 0, pageSize: 5, maxGapDetails: 3 });
    assert.equal(capped.gaps.length, 3);
    assert.equal(capped.gapCount, 32);
  });

  it('resumes a pass cut after three pages from its checkpoint to the same report', async (t) => {
    const env = await startTestCloud(t);
    await seed(env);
    const ctx = await operatorContext(env);
    const full = await runAudit(ctx, { graceSeconds: 0, pageSize: 5 });
    const checkpoint = tableCheckpointStore(env.table, 'resume-test');
    const cut = await runAudit(ctx, {
      graceSeconds: 0,
      pageSize: 5,
      concurrency: 1,
      checkpoint,
      maxPages: 3,
    });
    assert.equal(cut.complete, false);
    assert.equal(cut.objects, 15, 'three pages of five');
    const saved = await checkpoint.load();
    assert.equal(saved?.finished, false);
    const resumed = await runAudit(ctx, {
      graceSeconds: 0,
      pageSize: 5,
      concurrency: 2,
      checkpoint,
      resume: true,
    });
    assertResumedLike(resumed, full);
    assert.deepEqual(gapKeys(resumed), gapKeys(full));
    // A finished pass is not resumed: the next one starts over.
    const next = await runAudit(ctx, { graceSeconds: 0, checkpoint, resume: true });
    assert.equal(next.sessions, 1);
    assert.deepEqual(auditSummary(next), auditSummary(full));
  });
});
