/**
 * SDK errors turned into domain errors at the adapter boundary. The class is the contract: the
 * per-image flow turns ObjectNotFoundError and ObjectTooLargeError into REJECTED and
 * ConditionFailedError into a lost lease; every other AwsAdapterError is transient, retried
 * through SQS and, if it persists, dead-lettered with its code on the image's row. Anything about
 * the image itself is decided by the imaging module, never here.
 */
export class AwsAdapterError extends Error {
  override readonly name: string = 'AwsAdapterError';
  readonly operation: string;
  /** The SDK's error name, e.g. `ThrottlingException`, or a network code. */
  readonly code: string;
  readonly httpStatus: number | undefined;
  constructor(
    operation: string,
    code: string,
    message: string,
    options: ErrorOptions & { httpStatus?: number | undefined } = {},
  ) {
    super(`${operation} failed: ${code}: ${message}`, options);
    this.operation = operation;
    this.code = code;
    this.httpStatus = options.httpStatus;
  }
}

/** The object (or the version the event named) does not exist. */
export class ObjectNotFoundError extends AwsAdapterError {
  override readonly name = 'ObjectNotFoundError';
}

/** A DynamoDB condition did not hold (someone else owns or finished the row). */
export class ConditionFailedError extends AwsAdapterError {
  override readonly name = 'ConditionFailedError';
}

/** A table item read as an image row is not one (events/image-row.ts's schema). */
export class InvalidRowError extends AwsAdapterError {
  override readonly name = 'InvalidRowError';
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion', 'PreconditionFailed']);

/** Wraps any error thrown by an SDK call into the adapter's taxonomy. */
/** Runs one adapter operation, turning whatever it throws into the adapter's error (above). */
export async function adapted<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toAdapterError(operation, error);
  }
}

export function toAdapterError(operation: string, error: unknown): AwsAdapterError {
  if (error instanceof AwsAdapterError) return error;
  const shape = shapeOf(error);
  const code = shape.name ?? shape.code ?? 'UnknownError';
  const message = shape.message ?? String(error);
  const httpStatus = shape.$metadata?.httpStatusCode;
  if (NOT_FOUND.has(code) || httpStatus === 404 || httpStatus === 412) {
    return new ObjectNotFoundError(operation, code, message, { cause: error, httpStatus });
  }
  if (code === 'ConditionalCheckFailedException') {
    return new ConditionFailedError(operation, code, message, { cause: error, httpStatus });
  }
  // Everything else (throttling, 5xx, timeouts, refused connections, and also access denied or
  // a missing bucket, which an operator must fix) is retried through SQS and, if it persists,
  // lands in the DLQ with this error on the image's row: visible, never lost.
  return new AwsAdapterError(operation, code, message, { cause: error, httpStatus });
}
