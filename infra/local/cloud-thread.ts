/**
 * The local cloud in a thread of its own: the emulators' request handling, their SQLite, LevelDB
 * and file writes run off the main event loop, which is left to the SDK clients, the worker's
 * handler and the CLI — on a machine whose cores are busy rendering, the two no longer queue
 * behind each other. The SDK reaches it over loopback exactly as before; only what runs where
 * changes. The thread has none of the in-process test hooks (deliveriesOf, onEvent):
 * tests that steer the EventBridge hop start the cloud in their own thread (startLocalCloud).
 */
import { Worker } from 'node:worker_threads';
import type { Topology } from '../topology.ts';
import type { LocalCloudInfo } from './cloud.ts';
import type { CloudThreadMessage, CloudThreadOptions } from './cloud-thread-protocol.ts';
import { CloudAlreadyRunningError, LocalCloudError } from './errors.ts';

export interface CloudThreadLog {
  write(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void;
}

const ENTRY = new URL('./cloud-thread-main.ts', import.meta.url);

export async function startLocalCloudThread(options: {
  readonly stateDir: string;
  readonly topology?: Topology;
  readonly port?: number;
  readonly log?: CloudThreadLog;
}): Promise<LocalCloudInfo> {
  const workerData: CloudThreadOptions = {
    stateDir: options.stateDir,
    ...(options.topology ? { topology: options.topology } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  };
  const worker = new Worker(ENTRY, { workerData });
  let stopped: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const info = await new Promise<Omit<LocalCloudInfo, 'stop'>>((resolve, reject) => {
    worker.on('message', (message: CloudThreadMessage) => {
      if (message.kind === 'log')
        options.log?.write(message.level, message.message, message.fields);
      else if (message.kind === 'ready') resolve(message.info);
      else if (message.kind === 'failed') {
        reject(
          message.running
            ? new CloudAlreadyRunningError(options.stateDir, message.running.endpoint)
            : new LocalCloudError(`The local cloud did not start: ${message.message}`),
        );
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new LocalCloudError(`The local cloud's thread exited (${code})`)),
    );
  });
  return {
    ...info,
    stop() {
      stopped ??= (async () => {
        worker.postMessage({ kind: 'stop' });
        await exited;
      })();
      return stopped;
    },
  };
}
