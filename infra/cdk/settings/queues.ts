/**
 * The queue, batching and retention settings: topology.ts's defaults ← the user's props, then
 * topology.ts validates them and derives the visibility timeout from the function's timeout.
 */
import { createTopology, type Topology, TopologyError, topology } from '../../topology.ts';
import type { ImagePipelineProps } from '../image-pipeline-props.ts';
import { defined, type Problems } from './problems.ts';

type QueueProps = Pick<
  ImagePipelineProps,
  | 'uploadsPrefix'
  | 'batchSize'
  | 'batchWindowSeconds'
  | 'maxReceiveCount'
  | 'workQueueRetentionSeconds'
  | 'deadLetterRetentionSeconds'
>;

/** The user's queue settings that can be checked: tokens are reported, in the props' words. */
export function queueOverrides(props: QueueProps, problems: Problems): Partial<QueueProps> {
  const overrides = problems.knownAtSynth(
    defined({
      uploadsPrefix: props.uploadsPrefix,
      batchSize: props.batchSize,
      batchWindowSeconds: props.batchWindowSeconds,
      maxReceiveCount: props.maxReceiveCount,
      workQueueRetentionSeconds: props.workQueueRetentionSeconds,
      deadLetterRetentionSeconds: props.deadLetterRetentionSeconds,
    }),
  );
  if (typeof props.uploadsPrefix === 'string' && props.uploadsPrefix.length === 0) {
    problems.add('Expected a non-empty uploadsPrefix ending with "/" but received ""');
  }
  return overrides;
}

/** The merged topology; on a problem, topology.ts's defaults, so later checks still run. */
export function resolveTopology(
  overrides: Partial<QueueProps>,
  size: { readonly memoryMb: number; readonly timeoutSeconds: number },
  problems: Problems,
): Topology {
  try {
    return createTopology({
      ...overrides,
      workerTimeoutSeconds: size.timeoutSeconds,
      workerMemoryMb: size.memoryMb,
    });
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    // Timeout and memory problems were reported by resolveFunctionSize, in the props' own words.
    for (const p of error.problems) {
      if (!/workerTimeoutSeconds|workerMemoryMb/.test(p)) problems.add(p);
    }
    return topology;
  }
}
