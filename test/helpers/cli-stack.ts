/**
 * A pipeline run the way an operator runs one, each part its own `pixelmill` process:
 * `stack up` (the local cloud), `worker`s, and one-shot commands whose JSON is read back.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { type AwsClients, createAwsClients } from '../../lib/aws/clients.ts';
import { LOCAL_CREDENTIALS } from '../../lib/aws/target.ts';
import { runCli, spawnCli } from './cli.ts';

type After = { after: (fn: () => Promise<void>) => void };

/** Stops a CLI process as Ctrl-C would, and waits for it to exit. */
export async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

export interface CliStack {
  readonly endpoint: string;
  /** The queue URLs `stack up --json` printed. */
  readonly queues: { readonly work: string; readonly deadLetter: string };
  readonly process: ChildProcess;
  /** SDK clients on the running cloud, for reading what the commands report. */
  readonly clients: AwsClients;
}

/** `pixelmill stack up --state DIR`, once it listens. Stopped when the test ends. */
export async function startCliStack(t: After, state: string): Promise<CliStack> {
  const child = spawnCli(['stack', 'up', '--state', state, '--json']);
  t.after(() => stopCli(child));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`stack up exited ${code}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  const { endpoint, queues } = JSON.parse(line) as Pick<CliStack, 'endpoint' | 'queues'>;
  const clients = createAwsClients({
    region: 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  t.after(async () => clients.destroy());
  return { endpoint, queues, process: child, clients };
}

/** `pixelmill worker --state DIR`, with test faults when given. Stopped when the test ends. */
export function startCliWorker(
  t: After,
  state: string,
  options: { faults?: object; concurrency?: number } = {},
): ChildProcess {
  const child = spawnCli(
    ['worker', '--state', state, '--concurrency', String(options.concurrency ?? 2)],
    { env: options.faults ? { PIXELMILL_FAULTS: JSON.stringify(options.faults) } : {} },
  );
  child.stdout?.resume();
  child.stderr?.resume();
  t.after(() => stopCli(child));
  return child;
}

/** Runs a reporting command with `--json` already in `args`; exit 0 or 1 expected. */
export async function cliJson<T>(args: readonly string[]): Promise<{ code: number; value: T }> {
  const r = await runCli(args);
  assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  return { code: r.code, value: JSON.parse(r.stdout) as T };
}
