/**
 * This process's peak resident set size, in bytes.
 *
 * On Linux it is `VmHWM` from /proc/self/status: the high-water mark of this process image's
 * own memory. `getrusage`'s `ru_maxrss` (process.resourceUsage().maxRSS) is not used there
 * because it is preserved across execve (man 2 getrusage): a CLI started by a large parent
 * (a test runner holding 10,000 images) would report the parent's peak as its own.
 */
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  if (process.platform === 'linux') {
    try {
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
      if (kb) return Number(kb) * 1024;
    } catch {
      // No procfs (a sandbox): fall back to getrusage below.
    }
  }
  return process.resourceUsage().maxRSS * 1024;
}
