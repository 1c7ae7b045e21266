/**
 * The structured logger the pipeline writes to. Workers plug in their own (Powertools on Lambda);
 * the default writes one JSON object per line to stderr.
 */
export interface PipelineLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function jsonLineLogger(options: {
  level?: Level;
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}): PipelineLogger {
  const min = order[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    write(
      JSON.stringify({
        level: level.toUpperCase(),
        message,
        timestamp: new Date().toISOString(),
        ...options.base,
        ...fields,
      }),
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: PipelineLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * A logger that adds `fields` to every line (a line's own fields win on a clash). The pipeline
 * scopes one to each record, so every line about an image carries its key and message id even
 * when a batch works on several records at once.
 */
export function withFields(log: PipelineLogger, fields: Record<string, unknown>): PipelineLogger {
  return {
    debug: (m, f) => log.debug(m, { ...fields, ...f }),
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, f) => log.error(m, { ...fields, ...f }),
  };
}
