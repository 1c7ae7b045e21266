/** The local log file, `<state>/logs/pixelmill.log`: JSON lines from the cloud and the workers. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from '../infra/local/state-dir.ts';
import { jsonLineLogger, type PipelineLogger } from '../lib/pipeline/log.ts';
import { assertWritableDir } from './writable-path.ts';

export interface LogFile {
  readonly file: string;
  write(line: string): void;
  logger(component: string): PipelineLogger;
  close(): Promise<void>;
}

/** Opens the log; a state directory that cannot be written is a one-line usage error here. */
export function openLogFile(stateDir: string): LogFile {
  assertWritableDir(stateDir, '--state');
  const dir = join(statePaths(stateDir).root, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pixelmill.log');
  const stream: WriteStream = createWriteStream(file, { flags: 'a' });
  const write = (line: string) => {
    stream.write(`${line}\n`);
  };
  return {
    file,
    write,
    logger: (component) => jsonLineLogger({ write, base: { component, pid: process.pid } }),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
