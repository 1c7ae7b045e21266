/**
 * Reads another process's CPU time and memory, as the kernel accounts them: the pixel pool holds
 * each image to its limits through these readings of the process that works on it.
 *
 * Linux (Lambda, CI, most servers) through procfs (proc(5)):
 * - `/proc/<pid>/stat` fields 14–15, utime and stime, in clock ticks of 1/100 s (USER_HZ, fixed
 *   at 100 in the kernel's ABI), summed over every thread of the process: libvips' threads count.
 * - `/proc/<pid>/status` VmRSS (resident now) and VmHWM (the peak since the last reset), in kB.
 *   Writing "5" to `/proc/<pid>/clear_refs` resets VmHWM to the current RSS, so the peak read at
 *   the end of an image is that image's own, however briefly it lasted between two readings.
 * Elsewhere there is no meter: the pool then falls back to wall-clock time and no memory cap.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface ProcessReading {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** The largest resident size since the last `resetPeak` (or the process's start). */
  readonly peakBytes: number;
}

export interface ProcessMeter {
  read(pid: number): ProcessReading | undefined;
  /** The CPU seconds alone (one file read instead of two): undefined once the process is gone. */
  cpuSeconds(pid: number): number | undefined;
  resetPeak(pid: number): void;
  /** Drops what is kept about a process that has exited. */
  forget(pid: number): void;
}

const USER_HZ = 100;

function kilobytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

class ProcfsMeter implements ProcessMeter {
  /** Peaks seen by sampling, for kernels that refuse the VmHWM reset. */
  readonly #sampledPeak = new Map<number, number>();
  readonly #resettable = new Map<number, boolean>();

  cpuSeconds(pid: number): number | undefined {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      return undefined; // gone
    }
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  }

  read(pid: number): ProcessReading | undefined {
    const cpuSeconds = this.cpuSeconds(pid);
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'latin1');
    } catch {
      return undefined; // gone
    }
    if (cpuSeconds === undefined) return undefined;
    const rss = kilobytes(status, 'VmRSS') ?? 0;
    const sampled = Math.max(this.#sampledPeak.get(pid) ?? 0, rss);
    this.#sampledPeak.set(pid, sampled);
    const hwm = this.#resettable.get(pid) ? (kilobytes(status, 'VmHWM') ?? 0) : 0;
    return { cpuSeconds, rssBytes: rss, peakBytes: Math.max(sampled, hwm) };
  }

  resetPeak(pid: number): void {
    this.#sampledPeak.set(pid, 0);
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      this.#resettable.set(pid, true);
    } catch {
      this.#resettable.set(pid, false);
    }
  }

  forget(pid: number): void {
    this.#sampledPeak.delete(pid);
    this.#resettable.delete(pid);
  }
}

/** The meter for this platform, or undefined where there is none. */
export function processMeter(): ProcessMeter | undefined {
  return existsSync(`/proc/${process.pid}/stat`) ? new ProcfsMeter() : undefined;
}
