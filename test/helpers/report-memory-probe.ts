/**
 * Run as its own process (`node --expose-gc report-memory-probe.ts '<json>'`): collects a report
 * over a running local cloud's table and prints what the collection kept alive while it read,
 * as JSON on stdout. Its own process so the heap holds the collector and the SDK only — not the
 * emulators, the test runner or the rows the test wrote.
 *
 * The measure is the live heap, not the peak: every `every` rows of the scan (and once after the
 * last) a full GC runs and heapUsed is read, so garbage — a page of rows already dropped — never
 * counts, and whatever the collector holds on to does. A first collection beforehand loads every
 * module and lazy structure the collection touches, so the baseline taken after it is warm.
 */
import { createAwsClients } from '../../lib/aws/clients.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { Queue } from '../../lib/aws/queue.ts';
import type { AwsTarget } from '../../lib/aws/target.ts';
import type { OperatorContext } from '../../lib/ops/operator-context.ts';
import type { PipelineResources } from '../../lib/ops/resources.ts';
import type { CollectOptions } from '../../lib/report/collect-options.ts';
import type { ReportData } from '../../lib/report/data.ts';

export interface ProbeInput {
  readonly target: AwsTarget;
  readonly resources: Omit<PipelineResources, 'workQueueUrl' | 'deadLetterQueueUrl'> & {
    readonly workQueue: string;
    readonly deadLetterQueue: string;
  };
  readonly configHash: string;
  readonly options: Omit<CollectOptions, 'now'>;
  /** Sample every this many rows. */
  readonly every: number;
  /** The collector module to measure (default the project's); for showing the probe can fail. */
  readonly collector?: string;
}

export interface ProbeOutput {
  /** Live heap after the warm-up collection, bytes. */
  readonly baseline: number;
  /** Live heap at each sample during the measured collection, bytes. */
  readonly samples: readonly number[];
  readonly rows: number;
  readonly summary: ReportData['summary'];
}

const gc = globalThis.gc;
if (typeof gc !== 'function') throw new Error('Expected --expose-gc for report-memory-probe.ts');

function live(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** The real table adapter, sampling the live heap as its scan goes. */
class SampledTable extends ImageTable {
  readonly samples: number[] = [];
  sampling = false;
  rows = 0;
  every = 1000;

  override async *scan(options: { attributes?: readonly string[] } = {}) {
    for await (const row of super.scan(options)) {
      if (this.sampling && this.rows++ % this.every === 0) this.samples.push(live());
      yield row;
    }
    if (this.sampling) this.samples.push(live());
  }
}

const input = JSON.parse(process.argv[2] ?? '') as ProbeInput;
const collector = (await import(
  input.collector ?? new URL('../../lib/report/collect.ts', import.meta.url).href
)) as typeof import('../../lib/report/collect.ts');
const clients = createAwsClients(input.target);
const table = new SampledTable(clients.dynamo, input.resources.table);
table.every = input.every;
const workQueue = await Queue.byName(clients.sqs, input.resources.workQueue);
const deadLetterQueue = await Queue.byName(clients.sqs, input.resources.deadLetterQueue);
const ctx: OperatorContext = {
  store: new ObjectStore(clients.s3),
  table,
  workQueue,
  deadLetterQueue,
  resources: {
    uploadsBucket: input.resources.uploadsBucket,
    uploadsPrefix: input.resources.uploadsPrefix,
    renditionsBucket: input.resources.renditionsBucket,
    table: input.resources.table,
    workQueueUrl: workQueue.url,
    deadLetterQueueUrl: deadLetterQueue.url,
  },
  configHash: input.configHash,
  visibilityTimeoutSeconds: 30,
};
await collector.collectReportData(ctx, input.options);
const baseline = live();
table.sampling = true;
const data = await collector.collectReportData(ctx, input.options);
clients.destroy();
const output: ProbeOutput = {
  baseline,
  samples: table.samples,
  rows: table.rows,
  summary: data.summary,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
