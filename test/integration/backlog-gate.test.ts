/**
 * The backlog gate of `pixelmill run` against the real local queue: uploads wait while enough
 * messages are visible, go on once the workers have taken the backlog under the low mark, and are
 * never held back by messages nobody can take yet (delayed ones) or by a depth that cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BacklogGate } from '../../lib/run/backlog-gate.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';

const OPTIONS = { high: 20, low: 10, every: 1, pollMs: 20 } as const;

/** Whether `promise` has settled `ms` from now (the gate polls every 20 ms: many rounds). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
}

describe('backlog gate', () => {
  it('holds uploads while the queue is over its high mark, until it is under the low one', async (t) => {
    const env = await startTestCloud(t);
    const queue = env.workQueue;
    const gate = new BacklogGate(queue, OPTIONS);
    await gate.ready();
    assert.equal(gate.waits, 0, 'an empty queue holds nothing back');

    for (let i = 0; i < 3; i++)
      await queue.sendBatch(Array.from({ length: 10 }, (_, j) => `m${i}${j}`));
    const waiting = gate.ready();
    assert.equal(await settledWithin(waiting, 300), false, '30 visible, high 20: it waits');

    // A worker takes 15: 15 visible is under the high mark but not the low one, so still waiting.
    const taken = [];
    while (taken.length < 15) {
      taken.push(...(await queue.receive({ max: 15 - taken.length, waitSeconds: 0 })));
    }
    assert.equal(await settledWithin(waiting, 300), false, '15 visible, low 10: still waiting');
    await queue.deleteBatch(taken.slice(0, 10).map((m) => m.receiptHandle));
    await queue.deleteBatch(taken.slice(10).map((m) => m.receiptHandle));
    const more = await queue.receive({ max: 10, waitSeconds: 0 });
    assert.ok(more.length >= 6, 'the rest can be taken');
    await waiting;
    assert.equal(gate.waits, 1);
  });

  it('is not held back by delayed messages, nor by a depth that cannot be read', async (t) => {
    const env = await startTestCloud(t);
    for (let i = 0; i < 30; i++) await env.workQueue.send(`d${i}`, { delaySeconds: 60 });
    const gate = new BacklogGate(env.workQueue, OPTIONS);
    await gate.ready();
    assert.equal(gate.waits, 0, 'delayed messages are work nobody can take yet');
    assert.equal((await env.workQueue.depth()).delayed, 30, 'the messages are there, delayed');

    const broken = new BacklogGate(
      { depth: () => Promise.reject(new Error('GetQueueAttributes failed')) },
      OPTIONS,
    );
    await broken.ready();
    assert.equal(broken.waits, 0);
  });

  it('stops waiting when the run is interrupted', async (t) => {
    const env = await startTestCloud(t);
    for (let i = 0; i < 3; i++) {
      await env.workQueue.sendBatch(Array.from({ length: 10 }, (_, j) => `m${i}${j}`));
    }
    const abort = new AbortController();
    const gate = new BacklogGate(env.workQueue, { ...OPTIONS, signal: abort.signal });
    const waiting = gate.ready();
    assert.equal(await settledWithin(waiting, 200), false);
    abort.abort();
    await waiting;
  });
});
