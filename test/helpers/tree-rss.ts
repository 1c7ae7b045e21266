/**
 * Samples the resident memory of this process and every process below it (the pixel pool's
 * children), from procfs, so a test can state what a whole worker used at its peak. Linux only:
 * elsewhere `start` returns undefined and the test says it cannot measure.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

function rssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** This process and its descendants' resident memory now, in MiB. */
export function treeRssMb(root = process.pid): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  let kb = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() ?? 0;
    kb += rssKb(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return kb / 1024;
}

export interface TreeRssSampler {
  /** The largest sample so far, MiB. */
  peakMb(): number;
  stop(): number;
}

export function sampleTreeRss(everyMs = 100): TreeRssSampler | undefined {
  if (!existsSync('/proc/self/status')) return undefined;
  let peak = treeRssMb();
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssMb());
  }, everyMs);
  return {
    peakMb: () => peak,
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
