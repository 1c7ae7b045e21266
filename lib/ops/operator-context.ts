/**
 * What the operator commands (dlq, redrive, audit, status) work with: the pipeline's resources
 * through the adapters, and the settings that decide what "in flight" means.
 */
import type { ImageTable } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import type { Queue } from '../aws/queue.ts';
import type { PipelineResources } from './resources.ts';

export interface OperatorContext {
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly workQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly resources: PipelineResources;
  /**
   * The rendition config whose rows count. Undefined (on AWS without `--config`): a row under
   * any config counts for its object version.
   */
  readonly configHash?: string | undefined;
  /** The work queue's visibility timeout: how long a silent message may legitimately be away. */
  readonly visibilityTimeoutSeconds: number;
}
