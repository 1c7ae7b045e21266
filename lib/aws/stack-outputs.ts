/**
 * A deployed stack's outputs (CloudFormation DescribeStacks): how the CLI finds the physical
 * names CloudFormation generated, given only `--stack NAME`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AwsAdapterError, toAdapterError } from './errors.ts';
import type { AwsTarget } from './target.ts';

export class StackNotFoundError extends AwsAdapterError {
  override readonly name = 'StackNotFoundError';
}

export async function readStackOutputs(
  target: AwsTarget,
  stackName: string,
  client = new CloudFormationClient({
    region: target.region,
    ...(target.credentials ? { credentials: target.credentials } : {}),
  }),
): Promise<Record<string, string>> {
  try {
    const r = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = r.Stacks?.[0];
    if (!stack) {
      throw new StackNotFoundError(
        'DescribeStacks',
        'StackNotFound',
        `no stack named ${stackName} in ${target.region}`,
      );
    }
    return Object.fromEntries(
      (stack.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
  } catch (error) {
    if (error instanceof AwsAdapterError) throw error;
    const message = (error as Error).message ?? '';
    if (/does not exist/i.test(message)) {
      throw new StackNotFoundError(
        'DescribeStacks',
        'StackNotFound',
        `no stack named ${stackName} in ${target.region}`,
        { cause: error },
      );
    }
    throw toAdapterError(`DescribeStacks ${stackName}`, error);
  } finally {
    client.destroy();
  }
}
