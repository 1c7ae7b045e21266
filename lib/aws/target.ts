/** Where the adapters send their calls: AWS itself, or the embedded local cloud. */
export interface AwsTarget {
  readonly region: string;
  /** The local cloud's gateway, e.g. `http://127.0.0.1:4566`. Absent on AWS. */
  readonly endpoint?: string | undefined;
  /** Static credentials (the local cloud accepts any). On AWS the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** SDK attempts per call, including the first. Default 3 (the SDK's standard mode). */
  readonly maxAttempts?: number | undefined;
  /** Injected failures, for the fault-injection tests only. */
  readonly faults?: FaultPlan | undefined;
}

export interface FaultRule {
  readonly service: 's3' | 'sqs' | 'dynamodb';
  /** SDK command names (`PutObjectCommand`); all when absent. */
  readonly commands?: readonly string[];
  /** Share of matching calls that fail, 0..1. */
  readonly rate: number;
  /** Only calls whose S3 key or DynamoDB pk starts with this. */
  readonly keyPrefix?: string;
  readonly error: 'throttle' | 'server-error';
}

export interface FaultPlan {
  readonly rules: readonly FaultRule[];
  /** Deterministic randomness for reproducible runs. */
  readonly seed?: number;
  /** Counts injected failures, so tests can report "N faults injected". */
  readonly onInjected?: (rule: FaultRule, command: string) => void;
}

export const LOCAL_CREDENTIALS = {
  accessKeyId: 'pixelmill',
  secretAccessKey: 'pixelmill',
} as const;
