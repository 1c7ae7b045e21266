/** The local cloud's thread: starts the cloud, forwards its log lines, stops when asked. */
import { parentPort, workerData } from 'node:worker_threads';
import type { PipelineLogger } from '../../lib/pipeline/log.ts';
import { startLocalCloud } from './cloud.ts';
import type {
  CloudThreadCommand,
  CloudThreadMessage,
  CloudThreadOptions,
} from './cloud-thread-protocol.ts';
import { CloudAlreadyRunningError } from './errors.ts';

const port = parentPort;
if (!port) throw new Error('cloud-thread-main.ts runs as a worker thread (see cloud-thread.ts)');
const post = (message: CloudThreadMessage) => port.postMessage(message);
const line =
  (level: 'debug' | 'info' | 'warn' | 'error') =>
  (message: string, fields?: Record<string, unknown>) =>
    post({ kind: 'log', level, message, ...(fields ? { fields } : {}) });
const log: PipelineLogger = {
  debug: line('debug'),
  info: line('info'),
  warn: line('warn'),
  error: line('error'),
};

const options = workerData as CloudThreadOptions;
try {
  const cloud = await startLocalCloud({ ...options, log });
  port.on('message', (command: CloudThreadCommand) => {
    if (command.kind !== 'stop') return;
    void cloud.stop().finally(() => port.close());
  });
  const { bridge: _bridge, stop: _stop, ...info } = cloud;
  post({ kind: 'ready', info });
} catch (error) {
  post({
    kind: 'failed',
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof CloudAlreadyRunningError
      ? { running: error.endpoint ? { endpoint: error.endpoint } : {} }
      : {}),
  });
  port.close();
}
