/** The pixel pool's options, events and counters, and what it keeps about each process and image. */
import type { ChildProcess } from 'node:child_process';
import type { PixelmillConfig } from '../../../events/config/schema.ts';
import type { DeclaredType } from '../analyse.ts';
import type { RenderResult } from '../render.ts';
import type { ProcessMeter, ProcessReading } from './process-meter.ts';

export interface PixelPoolOptions {
  readonly config: PixelmillConfig;
  /** The child's entry file (workers/pixel-child.ts, or its bundle on Lambda). */
  readonly childModule: string | URL;
  /** Child processes. @default the CPU cores */
  readonly size?: number;
  /** libvips threads per child. @default 1 (one image per core beats one image on every core) */
  readonly threadsPerChild?: number;
  /** @default 25 */
  readonly sampleMs?: number;
  /** Told about processes started, killed and lost (the worker logs them). */
  readonly onEvent?: (event: PixelPoolEvent) => void;
  /**
   * The child's environment (MALLOC_ARENA_MAX is added). The caller chooses what to pass: a
   * process that parses untrusted images should see no credentials.
   * @default none
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the procfs meter (tests of the non-Linux fallback pass `null`). */
  readonly meter?: ProcessMeter | null;
}

export type PixelPoolEvent =
  | { readonly kind: 'started'; readonly pid: number }
  | {
      readonly kind: 'killed';
      readonly pid: number;
      readonly reason: 'timeout' | 'memory-limit' | 'starved' | 'recycled' | 'abandoned' | 'closed';
      readonly cpuSeconds?: number;
      readonly peakMb?: number;
    }
  | { readonly kind: 'crashed'; readonly pid: number; readonly detail: string };

export interface PixelPoolStats {
  rendered: number;
  /** Presets rendered, over every image rendered (a subset render counts only its own). */
  presets: number;
  started: number;
  killed: Record<'timeout' | 'memory-limit' | 'starved' | 'recycled' | 'abandoned', number>;
  crashed: number;
}

export interface Job {
  readonly input: Buffer;
  readonly declared: DeclaredType | undefined;
  /** Only these presets (by name); every preset when undefined. */
  readonly presets: readonly string[] | undefined;
  resolve(result: RenderResult): void;
  reject(error: Error): void;
}

export interface Running {
  readonly id: number;
  readonly job: Job;
  readonly startedAt: number;
  readonly cpuAtStart: number;
}

export interface Measured {
  readonly wallSeconds: number;
  readonly reading: ProcessReading | undefined;
  readonly cpuSeconds: number;
  readonly peakMb: number;
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  ready: boolean;
  running?: Running | undefined;
  /** Why the pool killed it, so its exit is not taken for a crash. */
  killedFor?: string | undefined;
}
