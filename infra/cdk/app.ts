/**
 * The CDK app (`cdk.json`: `node infra/cdk/app.ts`). Synthesizes offline: no lookups, an
 * environment-agnostic stack, and bundling that runs locally from the npm cache.
 *
 * The stack is named `Pixelmill` unless `-c stackName=NAME` says otherwise; no physical name is
 * fixed, so several stacks can share an account and region. `-c architecture=arm64` runs the
 * worker on Graviton (default x86_64). Everything else: ImagePipeline's props, in your own app.
 *
 * cdk-nag's AwsSolutions checks run as a CDK policy-validation plugin: any finding that is not
 * acknowledged (with its reason, in the construct that causes it) fails the synth.
 * https://github.com/cdklabs/cdk-nag
 */
import { App, aws_lambda as lambda, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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
const architecture: unknown = app.node.tryGetContext('architecture') ?? 'x86_64';
const architectures: Record<string, lambda.Architecture> = {
  x86_64: lambda.Architecture.X86_64,
  arm64: lambda.Architecture.ARM_64,
};
const chosen = typeof architecture === 'string' ? architectures[architecture] : undefined;
if (!chosen) {
  throw new Error(`Expected architecture x86_64 or arm64 but received ${String(architecture)}`);
}
new PipelineStack(app, stackName, {
  description: 'pixelmill image pipeline: S3 → EventBridge → SQS → Lambda (sharp) → S3 + DynamoDB',
  pipeline: { architecture: chosen },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
