/**
 * Powertools' Logger, printing to a LineSink when given one. Everything else (JSON layout, keys,
 * levels, debug sampling, the Lambda context) is Powertools' own; only the final write changes.
 * Without a sink it is Powertools' Logger unchanged.
 * https://docs.aws.amazon.com/powertools/typescript/latest/features/logger/
 */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import type { LineSink } from './line-sink.ts';

/**
 * The sink of the logger being constructed. Powertools' constructor already prints (e.g. "Setting
 * log level to DEBUG due to sampling rate") before a subclass's fields exist; those lines must go
 * to the sink too, never to stdout, which the CLI's `--json` owns.
 */
let sinkUnderConstruction: LineSink | undefined;

export class SinkLogger extends Logger {
  // A plain field, not `#sink`: printLog runs during the base constructor, before it is set.
  private readonly sink: LineSink | undefined;

  constructor(sink: LineSink | undefined, options: ConstructorOptions = {}) {
    sinkUnderConstruction = sink;
    try {
      super(options);
    } finally {
      sinkUnderConstruction = undefined;
    }
    this.sink = sink;
  }

  /** Child loggers (`createChild`) print where their parent prints. */
  protected override createLogger(options?: ConstructorOptions): Logger {
    return new SinkLogger(this.sink, options);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    const sink = this.sink ?? sinkUnderConstruction;
    if (sink === undefined) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    sink(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}
