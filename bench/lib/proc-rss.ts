/** A process's resident set from procfs, in MiB; 0 when it has gone (or there is no procfs). */
import { readFileSync } from 'node:fs';

export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
