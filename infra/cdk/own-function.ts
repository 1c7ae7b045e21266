/**
 * A Node.js function with a log group and a role of its own, which the image worker and the
 * scheduled audit both are. Its role has no AWS managed policy (AWSLambdaBasicExecutionRole
 * allows writing to any log group): it writes its own log group only, and the construct adds
 * each data action it needs.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
 */
import {
  Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  type RemovalPolicy,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LOCK_FILE, REPO_ROOT } from './paths.ts';

export interface OwnFunctionProps {
  /** What the function does; its role's description says what it may do. */
  readonly description: string;
  readonly roleDescription: string;
  /** Absolute path of the module that exports `handler`, under the repository root. */
  readonly entry: string;
  readonly architecture: lambda.Architecture;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly reservedConcurrency?: number | undefined;
  readonly bundling: nodejs.BundlingOptions;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export interface OwnFunction {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/** Creates `Logs`, `Role` and `Function` in `scope`. */
export function createOwnFunction(scope: Construct, props: OwnFunctionProps): OwnFunction {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, 'Function', {
    description: props.description,
    entry: props.entry,
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: props.architecture,
    timeout: Duration.seconds(props.timeoutSeconds),
    memorySize: props.memoryMb,
    // Opt-in: a reservation fails the deploy in accounts with a small concurrency quota.
    ...(props.reservedConcurrency !== undefined
      ? { reservedConcurrentExecutions: props.reservedConcurrency }
      : {}),
    role,
    logGroup,
    // Resolved from this file, not the working directory (see paths.ts).
    projectRoot: REPO_ROOT,
    depsLockFilePath: LOCK_FILE,
    bundling: props.bundling,
    environment: props.environment,
  });
  return { function: fn, role, logGroup };
}
