/**
 * Whether an image is over its limits, from its process's readings: the rules the pixel pool
 * kills a process by (pixel-pool.ts states them). Pure: the pool does the killing.
 */
import { ImageRejectedError, PixelPoolError } from '../errors.ts';
import type { Measured, Running } from './pool-types.ts';
import type { ProcessMeter } from './process-meter.ts';

export const MIB = 1024 * 1024;

export interface ImageLimits {
  readonly timeoutSeconds: number;
  readonly maxMemoryMb: number;
}

/** The image's use so far: wall time since its work started, and its process's CPU and peak. */
export function measure(meter: ProcessMeter | undefined, pid: number, running: Running): Measured {
  const wallSeconds = (performance.now() - running.startedAt) / 1000;
  const reading = meter?.read(pid);
  return {
    wallSeconds,
    reading,
    cpuSeconds: reading ? reading.cpuSeconds - running.cpuAtStart : 0,
    peakMb: reading ? reading.peakBytes / MIB : 0,
  };
}

/**
 * The limit an image is over and the error it ends with, or undefined. `metered`: there is a
 * process meter (without one the timeout is wall-clock time). `finished`: its answer arrived, so
 * a slow wall clock no longer means starvation.
 */
export function overLimit(
  measured: Measured,
  limits: ImageLimits,
  metered: boolean,
  finished: boolean,
): { reason: 'timeout' | 'memory-limit' | 'starved'; error: Error } | undefined {
  const { wallSeconds, reading, peakMb } = measured;
  const cpu = measured.cpuSeconds;
  const limit = limits.timeoutSeconds;
  const usage = { cpuMs: Math.round(cpu * 1000), peakMb: Math.round(peakMb) };
  if (!metered) {
    if (wallSeconds <= limit) return undefined;
    return {
      reason: 'timeout',
      error: new ImageRejectedError(
        'timeout',
        `Processing took longer than the ${limit} s per-image limit (wall-clock time: this ` +
          'platform has no per-process CPU accounting)',
      ),
    };
  }
  if (!reading) return undefined; // exited: its 'exit' says why
  if (reading.peakBytes > limits.maxMemoryMb * MIB) {
    return {
      reason: 'memory-limit',
      error: new ImageRejectedError(
        'memory-limit',
        `Processing needed ${Math.round(peakMb)} MiB, over the ${limits.maxMemoryMb} MiB ` +
          'per-image memory limit',
        { usage },
      ),
    };
  }
  if (cpu > limit) {
    return {
      reason: 'timeout',
      error: new ImageRejectedError(
        'timeout',
        `Processing used ${cpu.toFixed(2)} CPU seconds, over the ${limit} s per-image limit`,
        { usage },
      ),
    };
  }
  if (!finished && wallSeconds > 3 * limit + 5) {
    return {
      reason: 'starved',
      error: new PixelPoolError(
        'pixel-worker-starved',
        `The image got ${cpu.toFixed(1)} CPU seconds in ${wallSeconds.toFixed(0)} s: the machine ` +
          'is overloaded (retried, not charged to the image)',
      ),
    };
  }
  return undefined;
}
