/**
 * A Lambda invocation context for handlers run by the local event-source mapping: the same
 * fields a handler reads on AWS, and a real deadline behind `getRemainingTimeInMillis`.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface FunctionDescription {
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly region: string;
  readonly account: string;
}

export function createLambdaContext(fn: FunctionDescription, startedAt = Date.now()): Context {
  const deadline = startedAt + fn.timeoutSeconds * 1000;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name} is a deprecated callback API, not supported by pixelmill`);
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${fn.account}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
