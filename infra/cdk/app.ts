/**
 * The CDK app (`cdk.json`: `node infra/cdk/app.ts`). Synthesizes offline: no lookups, an
 * environment-agnostic stack, and bundling that runs locally from the npm cache.
 *
 * The stack is named `Pixelmill` unless `-c stackName=NAME` says otherwise; no physical name is
 * fixed, so several stacks can share an account and region.
 */
import { App } from 'aws-cdk-lib';
import { STACK_NAME } from '../topology.ts';
import { PipelineStack } from './pipeline-stack.ts';

const app = new App();
const stackName: unknown = app.node.tryGetContext('stackName') ?? STACK_NAME;
if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
  // CloudFormation's rule for stack names.
  throw new Error(
    `Expected stackName to match [A-Za-z][A-Za-z0-9-]* (at most 128 characters) but received ${String(stackName)}`,
  );
}
new PipelineStack(app, stackName, {
  description: 'pixelmill image pipeline: S3 → EventBridge → SQS → Lambda (sharp) → S3 + DynamoDB',
});
app.synth();
