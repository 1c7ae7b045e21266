/**
 * The pixel pool: every decode and encode runs in a child process (one image per process at a
 * time, by default one process per core and one libvips thread each), apart from the event loop
 * that talks to S3, SQS and DynamoDB. A process can be stopped, which a libvips call cannot: a
 * progressive JPEG's 2,600 scans or libheif's tiles run on inside the decoder whatever timeout is
 * asked of it, holding threads and memory that other images need.
 *
 * Each image is held to its limits by watching its process (process-meter.ts), every `sampleMs`:
 * - `limits.timeoutSeconds` is CPU time, counted from when the image's own work starts. Waiting
 *   for a free process is never charged; neither is a share of the CPU given to neighbours. Past
 *   it the process is killed and the image REJECTED `timeout`.
 * - `limits.maxMemoryMb` is the process's peak resident memory while it works on the image
 *   (VmHWM, reset at the start of each image). Past it the process is killed and the image
 *   REJECTED `memory-limit`. The machine sees at most the cap plus what the decoder allocates
 *   within one sampling period.
 * - A process whose image gets so little CPU that its wall-clock time passes three times the
 *   timeout (plus 5 s) is starved, not slow: it is killed and the image fails transiently
 *   (`pixel-worker-starved`) to be retried, never REJECTED for a neighbour's load.
 * - A process that dies on its own (a decoder crash, the kernel's OOM killer) fails its image
 *   transiently (`pixel-worker-crashed`); a replacement starts at once.
 * - An image whose caller gives up on it (its `signal` aborts: the invocation's deadline) leaves
 *   the queue, or, if it is rendering, its process is killed: abandoned work never holds a
 *   process that a later image needs.
 * The verdict does not depend on sampling: a finished image whose readings at the end are over a
 * limit is refused as if it had been caught in the act.
 *
 * Without procfs (macOS, Windows) there is no meter: the timeout is wall-clock time and there is
 * no memory cap.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { DeclaredType } from '../analyse.ts';
import { type ImageUsage, PixelPoolError } from '../errors.ts';
import type { RenderResult } from '../render.ts';
import { MIB, measure, overLimit } from './image-verdict.ts';
import type {
  Child,
  Job,
  Measured,
  PixelPoolOptions,
  PixelPoolStats,
  Running,
} from './pool-types.ts';
import { type ProcessMeter, type ProcessReading, processMeter } from './process-meter.ts';
import { answerOf, type FromChild, type ToChild } from './protocol.ts';

const STARTUP_FAILURES_BEFORE_GIVING_UP = 3;

export class PixelPool {
  readonly stats: PixelPoolStats = {
    rendered: 0,
    presets: 0,
    started: 0,
    killed: { timeout: 0, 'memory-limit': 0, starved: 0, recycled: 0, abandoned: 0 },
    crashed: 0,
  };
  readonly #options: PixelPoolOptions;
  readonly #size: number;
  readonly #meter: ProcessMeter | undefined;
  readonly #children = new Set<Child>();
  readonly #queue: Job[] = [];
  readonly #memoryBytes: number;
  #nextId = 1;
  #sampler: NodeJS.Timeout | undefined;
  #startupFailures = 0;
  /** Set after repeated failed starts; the next render tries again. */
  #gaveUp = false;
  #closed = false;

  constructor(options: PixelPoolOptions) {
    this.#options = options;
    this.#size = Math.max(1, options.size ?? availableParallelism());
    this.#meter = options.meter === null ? undefined : (options.meter ?? processMeter());
    this.#memoryBytes = options.config.limits.maxMemoryMb * MIB;
    this.#fill();
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Renders one image (only the named `presets` if given) in a child; rejects with
   * ImageRejectedError, PixelPoolError, or the signal's reason once it aborts (dequeued or killed).
   */
  render(
    input: Buffer,
    declared?: DeclaredType,
    signal?: AbortSignal,
    presets?: readonly string[],
  ): Promise<RenderResult> {
    if (this.#closed) {
      return Promise.reject(new PixelPoolError('pixel-pool-closed', 'The pixel pool is closed'));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RenderResult>((resolve, reject) => {
      const onAbort = () => this.#abandon(job, signal?.reason);
      const job: Job = {
        input,
        declared,
        presets,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(job);
      this.#gaveUp = false;
      this.#fill();
      this.#dispatch();
    });
  }

  /** The caller gave up on `job`: out of the queue, or its process killed if it is rendering. */
  #abandon(job: Job, reason: unknown): void {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      job.reject(error);
      return;
    }
    for (const child of this.#children) {
      if (child.running?.job !== job) continue;
      child.running = undefined;
      this.stats.killed.abandoned++;
      this.#kill(child, 'abandoned');
      job.reject(error);
      return;
    }
  }

  /** Stops every child; queued images fail with `pixel-pool-closed`. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sampler);
    for (const job of this.#queue.splice(0)) {
      job.reject(new PixelPoolError('pixel-pool-closed', 'The pixel pool closed first'));
    }
    const exits = [...this.#children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) resolve();
          else child.process.once('exit', () => resolve());
          // Unreferenced while idle: held now, so the wait for its exit keeps this process up.
          child.process.ref();
          this.#kill(child, 'closed');
        }),
    );
    await Promise.all(exits);
  }

  /** Starts processes until there are `size` of them. */
  #fill(): void {
    while (!this.#closed && !this.#gaveUp && this.#children.size < this.#size) {
      if (!this.#spawn()) break;
    }
  }

  #spawn(): boolean {
    const proc = fork(this.#options.childModule, [], {
      serialization: 'advanced',
      // Not the parent's flags (a test runner's, a debugger's): a plain process.
      execArgv: ['--max-semi-space-size=4'],
      // glibc's per-thread arenas fragment a decoder's heap (README, Performance).
      env: { ...this.#options.env, MALLOC_ARENA_MAX: '2' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pid = proc.pid;
    if (pid === undefined) {
      this.#failStartup(new Error('the pixel process could not be started'));
      return false;
    }
    // An idle pool never keeps its process alive (a CLI command that is done exits; its children
    // then see their channel close and exit too); while an image renders, the sampler does.
    proc.unref();
    proc.channel?.unref();
    const child: Child = { process: proc, pid, ready: false };
    this.#children.add(child);
    this.stats.started++;
    proc.on('message', (message: FromChild) => this.#onMessage(child, message));
    proc.on('error', () => undefined); // 'exit' follows and says what happened
    proc.once('exit', (code, signal) => this.#onExit(child, code, signal));
    const threads = this.#options.threadsPerChild ?? 1;
    const init: ToChild = { kind: 'init', config: this.#options.config, threads };
    proc.send(init);
    this.#options.onEvent?.({ kind: 'started', pid });
    return true;
  }

  #onMessage(child: Child, message: FromChild): void {
    if (message.kind === 'ready') {
      child.ready = true;
      this.#startupFailures = 0;
      this.#dispatch();
      return;
    }
    const running = child.running;
    if (!running || running.id !== message.id) return;
    const measured = measure(this.#meter, child.pid, running);
    const verdict = this.#verdict(child, measured, true);
    child.running = undefined;
    const usage: ImageUsage | undefined = measured.reading
      ? { cpuMs: Math.round(measured.cpuSeconds * 1000), peakMb: Math.round(measured.peakMb) }
      : undefined;
    const answer = verdict ? { error: verdict } : answerOf(message, usage);
    if ('result' in answer) {
      this.stats.rendered++;
      this.stats.presets += new Set(answer.result.renditions.map((r) => r.presetName)).size;
      running.job.resolve(answer.result);
    } else running.job.reject(answer.error);
    this.#afterJob(child, measured.reading);
  }

  /**
   * After an image (`reading`: the process as the image left it): recycle a process whose heap
   * stayed large, then hand out the next job.
   */
  #afterJob(child: Child, reading: ProcessReading | undefined): void {
    const recycleAt = Math.max(256 * MIB, this.#memoryBytes / 2);
    if (!child.killedFor && reading && reading.rssBytes > recycleAt) {
      this.stats.killed.recycled++;
      this.#kill(child, 'recycled');
    }
    this.#dispatch();
  }

  #onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.#children.delete(child);
    this.#meter?.forget(child.pid);
    const running = child.running;
    child.running = undefined;
    if (!child.killedFor) {
      const detail = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (!child.ready) {
        this.#failStartup(new Error(`the pixel process ${detail} before it was ready`));
      } else {
        this.stats.crashed++;
        this.#options.onEvent?.({ kind: 'crashed', pid: child.pid, detail });
      }
      running?.job.reject(
        new PixelPoolError(
          'pixel-worker-crashed',
          `The pixel process working on this image ${detail} (not the image's verdict: retried)`,
        ),
      );
    }
    this.#fill();
    this.#dispatch();
  }

  #failStartup(cause: Error): void {
    this.#startupFailures++;
    if (this.#startupFailures < STARTUP_FAILURES_BEFORE_GIVING_UP) return;
    // Nothing can render: fail what waits (transient; the next render tries to start again).
    this.#gaveUp = true;
    for (const job of this.#queue.splice(0)) {
      job.reject(
        new PixelPoolError('pixel-worker-crashed', `No pixel process starts: ${cause.message}`, {
          cause,
        }),
      );
    }
    this.#startupFailures = 0;
  }

  #dispatch(): void {
    for (const child of this.#children) {
      if (this.#queue.length === 0) break;
      if (!child.ready || child.running || child.killedFor) continue;
      const job = this.#queue.shift();
      if (!job) break;
      this.#meter?.resetPeak(child.pid);
      const running: Running = {
        id: this.#nextId++,
        job,
        startedAt: performance.now(),
        cpuAtStart: this.#meter?.cpuSeconds(child.pid) ?? 0,
      };
      child.running = running;
      const { input, declared, presets } = job;
      const message: ToChild = { kind: 'render', id: running.id, input, declared, presets };
      child.process.send(message);
    }
    this.#sampler ??= setInterval(() => this.#sample(), this.#options.sampleMs ?? 25);
    if (![...this.#children].some((c) => c.running)) {
      clearInterval(this.#sampler);
      this.#sampler = undefined;
    }
  }

  #sample(): void {
    for (const child of this.#children) {
      const running = child.running;
      if (!running || child.killedFor) continue;
      const verdict = this.#verdict(child, measure(this.#meter, child.pid, running), false);
      if (!verdict) continue;
      child.running = undefined;
      running.job.reject(verdict);
    }
  }

  /**
   * Whether an image is over a limit, killing its process if so. `finished`: its answer arrived,
   * so the process lives on unless the readings condemn it.
   */
  #verdict(child: Child, measured: Measured, finished: boolean): Error | undefined {
    const limits = this.#options.config.limits;
    const found = overLimit(measured, limits, this.#meter !== undefined, finished);
    if (!found) return undefined;
    if (this.#meter) this.#killFor(child, found.reason, measured.cpuSeconds, measured.peakMb);
    else this.#killFor(child, found.reason);
    return found.error;
  }

  #killFor(
    child: Child,
    reason: 'timeout' | 'memory-limit' | 'starved',
    cpuSeconds?: number,
    peakMb?: number,
  ): void {
    this.stats.killed[reason]++;
    this.#kill(child, reason, cpuSeconds, peakMb);
  }

  #kill(
    child: Child,
    reason: 'timeout' | 'memory-limit' | 'starved' | 'recycled' | 'abandoned' | 'closed',
    cpuSeconds?: number,
    peakMb?: number,
  ): void {
    if (child.killedFor) return;
    child.killedFor = reason;
    child.process.kill('SIGKILL');
    this.#options.onEvent?.({
      kind: 'killed',
      pid: child.pid,
      reason,
      ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
      ...(peakMb !== undefined ? { peakMb } : {}),
    });
  }
}
