/**
 * The retained heap of a bench that reads a large listing: the heap after a forced GC at the
 * start, and the highest heap after a forced GC at each sample. Forcing GC needs `--expose-gc`;
 * without it the figures are the live heap (garbage included) and `gcForced` says so.
 */
import { saveResult, table } from './report.ts';

const MB = 1e6;

export interface RetainedHeapFigures {
  readonly heapStartMB: number;
  readonly heapRetainedPeakMB: number;
  readonly gcForced: boolean;
}

export interface RetainedHeap {
  /** Forces a GC (when it can) and keeps the heap if it is the highest yet. */
  sample(): void;
  figures(): RetainedHeapFigures;
}

/** Starts sampling: forces a GC and reads the starting heap now. */
export function retainedHeap(): RetainedHeap {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  let heapPeak = heapStart;
  return {
    sample() {
      gc?.();
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    },
    figures: () => ({
      heapStartMB: Math.round(heapStart / MB),
      heapRetainedPeakMB: Math.round(heapPeak / MB),
      gcForced: gc !== undefined,
    }),
  };
}

/**
 * A retained-heap bench's main: warns when GC could not be forced, prints its one row and saves
 * the result under bench/results/, then exits (the embedded cloud's handles would keep it alive).
 */
export async function reportRetainedHeapBench<R extends RetainedHeapFigures>(
  title: string,
  rowName: string,
  saveAs: string,
  result: R,
): Promise<never> {
  if (!result.gcForced)
    process.stderr.write('bench: run with --expose-gc to read the retained heap after a GC\n');
  process.stdout.write(
    table(title, [{ name: rowName, values: { ...result, gcForced: String(result.gcForced) } }]),
  );
  process.stderr.write(`saved ${await saveResult(saveAs, result)}\n`);
  process.exit(0);
}
