/**
 * Samples the queues while a run goes on, for the report's measured timeline: the work queue's
 * visible and in-flight messages, the DLQ's depth, and how many images have finished. At most
 * `maxPoints` are kept: when full, every other point is dropped and the interval doubles, so a
 * run of any length keeps an even, bounded record.
 */
import type { Queue } from '../aws/queue.ts';
import type { TimelinePoint } from './data.ts';

export interface QueueSampler {
  /** Stops sampling (after one last sample) and returns the points, oldest first; idempotent. */
  stop(): Promise<TimelinePoint[]>;
}

export function startQueueSampler(options: {
  readonly workQueue: Queue;
  readonly deadLetterQueue: Queue;
  /** Images finished (DONE or REJECTED) so far. */
  readonly finished: () => number;
  readonly intervalMs?: number;
  readonly maxPoints?: number;
}): QueueSampler {
  const maxPoints = Math.max(4, options.maxPoints ?? 600);
  let interval = options.intervalMs ?? 1000;
  let points: TimelinePoint[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> = Promise.resolve();

  const sample = async () => {
    try {
      const [work, dlq] = await Promise.all([
        options.workQueue.depth(),
        options.deadLetterQueue.depth(),
      ]);
      points.push({
        at: new Date().toISOString(),
        waiting: work.visible + work.delayed,
        inFlight: work.inFlight,
        deadLetters: dlq.visible + dlq.inFlight,
        finished: options.finished(),
      });
      if (points.length >= maxPoints) {
        const last = points[points.length - 1];
        points = points.filter((_, i) => i % 2 === 0);
        if (last && points[points.length - 1] !== last) points.push(last);
        interval *= 2;
      }
    } catch {
      // A missed sample is a gap in a chart, never a reason to fail the run.
    }
  };
  const loop = () => {
    if (stopped) return;
    sampling = sample().then(() => {
      if (!stopped) timer = setTimeout(loop, interval);
    });
  };
  loop();

  let result: Promise<TimelinePoint[]> | undefined;
  return {
    stop() {
      result ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        await sampling;
        await sample();
        return points;
      })();
      return result;
    },
  };
}
