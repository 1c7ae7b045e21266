import type { MiddlewareStack } from '@smithy/types';

/** Where the adapters send their calls: AWS itself, or the embedded local cloud. */
export interface AwsTarget {
  readonly region: string;
  /** The local cloud's gateway, e.g. `http://127.0.0.1:4566`. Absent on AWS. */
  readonly endpoint?: string | undefined;
  /** Static credentials (the local cloud accepts any). On AWS the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** SDK attempts per call, including the first. Default 3 (the SDK's standard mode). */
  readonly maxAttempts?: number | undefined;
  /**
   * Adds middleware to each SDK client once it is made: how the chaos tests (and `pixelmill
   * worker` under PIXELMILL_FAULTS, cli/fault-injection.ts) fail or crash calls from outside.
   * Production wiring never sets it, so no fault code is in the Lambda bundle.
   */
  readonly addMiddleware?: ClientMiddleware | undefined;
  /**
   * A local cloud run by another process, which may stop and start again (perhaps on another
   * port) while this one works: calls that cannot connect wait for it (cloud-reconnect.ts).
   */
  readonly cloudLink?: CloudLink | undefined;
}

/** What the SDK clients need to know about a local cloud that can go away and come back. */
export interface CloudLink {
  /** Where the cloud listens now (`endpoint` until it moves). */
  endpoint(): string;
  /**
   * A call could not connect to `endpoint`. Resolves true once the cloud answers again (the
   * call is then sent again, to `endpoint()`), false when the call should fail with its error.
   */
  unreachable(endpoint: string, error: unknown): Promise<boolean>;
}

/** The client (`s3`, `sqs`, `dynamodb`) and its middleware stack, to add to. */
export type ClientMiddleware = (
  service: 's3' | 'sqs' | 'dynamodb',
  stack: MiddlewareStack<object, object>,
) => void;

export const LOCAL_CREDENTIALS = {
  accessKeyId: 'pixelmill',
  secretAccessKey: 'pixelmill',
} as const;
