/**
 * Real `pixelmill worker` processes against the test's local cloud (they find it through
 * `<state>/cloud.json`), so a kill is a real `kill -9` of a real process: whatever it held in
 * flight is left exactly as a dead Lambda leaves it. Faults reach them through the test-only
 * PIXELMILL_FAULTS variable (cli/test-faults.ts).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.ts';

/** PIXELMILL_FAULTS as cli/test-faults.ts reads it. */
export interface WorkerFaults {
  readonly seed?: number;
  readonly crashAfterRecords?: number;
  readonly crashBeforeDoneRate?: number;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

export interface WorkerProcess {
  readonly pid: number;
  readonly exited: Promise<WorkerExit>;
  readonly alive: () => boolean;
  kill(signal: NodeJS.Signals): void;
}

export function spawnWorker(
  stateDir: string,
  options: { concurrency?: number; faults?: WorkerFaults } = {},
): WorkerProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'cli', 'main.ts'),
      'worker',
      '--state',
      stateDir,
      '--concurrency',
      String(options.concurrency ?? 1),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NO_COLOR: '1',
        MALLOC_ARENA_MAX: '2',
        ...(options.faults ? { PIXELMILL_FAULTS: JSON.stringify(options.faults) } : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let running = true;
  const exited = new Promise<WorkerExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ code, signal, stderr });
    });
  });
  if (child.pid === undefined) throw new Error('pixelmill worker did not start');
  return {
    pid: child.pid,
    exited,
    alive: () => running,
    kill: (signal) => {
      if (running) child.kill(signal);
    },
  };
}

/** Stops workers the way an operator does (SIGTERM: finish the batches held), then waits. */
export async function stopWorkers(workers: readonly WorkerProcess[]): Promise<WorkerExit[]> {
  for (const w of workers) w.kill('SIGTERM');
  return Promise.all(workers.map((w) => w.exited));
}

/** The workers a test spawns: every one is killed when the test ends, whatever happened in it. */
export class WorkerFleet {
  readonly #stateDir: string;
  readonly #all: WorkerProcess[] = [];
  constructor(t: { after: (fn: () => Promise<void>) => void }, stateDir: string) {
    this.#stateDir = stateDir;
    killAllOnExit(t, () => this.#all);
  }
  spawn(options: Parameters<typeof spawnWorker>[1] = {}): WorkerProcess {
    const worker = spawnWorker(this.#stateDir, options);
    this.#all.push(worker);
    return worker;
  }
  /** How many were spawned. */
  get size(): number {
    return this.#all.length;
  }
}

/** Makes sure no worker outlives its test, whatever happened in it. */
function killAllOnExit(
  t: { after: (fn: () => Promise<void>) => void },
  workers: () => readonly WorkerProcess[],
): void {
  t.after(async () => {
    const left = workers().filter((w) => w.alive());
    for (const w of left) w.kill('SIGKILL');
    await Promise.all(left.map((w) => w.exited));
  });
}

interface LogLine {
  readonly message?: string;
  readonly pid?: number;
  readonly component?: string;
}

/** The JSON lines of `<state>/logs/pixelmill.log` (workers and cloud log there). */
export async function readLog(stateDir: string): Promise<LogLine[]> {
  const text = await readFile(join(stateDir, 'logs', 'pixelmill.log'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        // A worker killed mid-write leaves half a line.
        return {};
      }
    });
}

/** The event-source mapping's line for a whole-batch failure (infra/local/event-source.ts). */
export const WHOLE_BATCH_RETRY = 'invocation failed; the whole batch will be retried';

/**
 * Stops the workers a scenario left running: each must exit 0, and no batch may have failed as a
 * whole (a killed worker's records are taken over one by one, never by retrying its batch).
 */
export async function stopCleanly(
  workers: readonly WorkerProcess[],
  stateDir: string,
): Promise<void> {
  for (const exit of await stopWorkers(workers)) assert.equal(exit.code, 0, exit.stderr);
  const log = await readLog(stateDir);
  assert.equal(
    log.filter((l) => l.message === WHOLE_BATCH_RETRY).length,
    0,
    'no whole-batch retry',
  );
}
