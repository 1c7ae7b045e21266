/**
 * cdk-nag acknowledgments. cdk-nag 3 is a CDK policy-validation plugin and reads acknowledgments
 * that CDK's own `Validations.of(construct).acknowledge()` records on the construct tree, so the
 * construct itself needs no cdk-nag import: an app that runs the AwsSolutions checks sees these,
 * and one that does not loses nothing. Every acknowledgment names the rule and says why.
 *
 * - Validations: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Validations.html
 * - cdk-nag rules: https://github.com/cdklabs/cdk-nag/blob/main/RULES.md
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: ruleId, reason });
}

/** A CloudFormation value as cdk-nag names it in a finding: `<Id.Attr>` for GetAtt, `<Id>` for Ref. */
function flatten(node: unknown): string {
  if (typeof node === 'string') return node.replaceAll('${', '<').replaceAll('}', '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    const join = o['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * The id of AwsSolutions-IAM5's finding for a wildcard resource (an object ARN ending in `/*`),
 * resolved the way the rule resolves it. Call after the ARN's resources exist.
 */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`;
}
