/**
 * Builds the ready-made pipeline stack in-process for template assertions: the same context as
 * `cdk synth` (cdk.json's feature flags), bundling skipped so tests stay fast and offline, and a
 * stub worker entry so they do not depend on workers/process.ts. Readers narrow template JSON from
 * `unknown`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { ImagePipeline } from '../../infra/cdk/image-pipeline.ts';
import type { ImagePipelineProps } from '../../infra/cdk/image-pipeline-props.ts';
import { REPO_ROOT } from '../../infra/cdk/paths.ts';
import { PipelineStack } from '../../infra/cdk/pipeline-stack.ts';

export const STUB_WORKER_ENTRY = fileURLToPath(
  new URL('./fixtures/stub-worker.ts', import.meta.url),
);

export interface PipelineUnderTest {
  readonly stack: Stack;
  readonly pipeline: ImagePipeline;
  readonly template: Template;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'));
  assert.ok(isRecord(cdkJson) && isRecord(cdkJson.context), 'cdk.json has a context object');
  return cdkJson.context;
}

/**
 * An app as `cdk synth` makes it, without bundling (an empty bundling-stacks list). Give `outdir`
 * (a temporary directory) when the test calls `app.synth()`.
 */
export function testApp(outdir?: string): App {
  return new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    ...(outdir ? { outdir } : {}),
  });
}

export function buildPipeline(props: ImagePipelineProps = {}): PipelineUnderTest {
  const stack = new PipelineStack(testApp(), 'PipelineUnderTest', {
    pipeline: { workerEntry: STUB_WORKER_ENTRY, ...props },
  });
  return { stack, pipeline: stack.pipeline, template: Template.fromStack(stack) };
}

/** The logical ID of the CloudFormation resource behind an L2 construct. */
export function logicalIdOf(p: PipelineUnderTest, construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  assert.ok(resource instanceof CfnElement, `${construct.node.path} has a CloudFormation resource`);
  assert.equal(Stack.of(construct), p.stack, `${construct.node.path} is in the stack under test`);
  return p.stack.getLogicalId(resource);
}

/** Every resource of the template, by logical ID. */
export function resourcesOf(p: PipelineUnderTest): Record<string, Record<string, unknown>> {
  const resources: unknown = p.template.toJSON().Resources;
  assert.ok(isRecord(resources), 'the template has Resources');
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, resource] of Object.entries(resources)) {
    assert.ok(isRecord(resource), `resource ${id} is an object`);
    out[id] = resource;
  }
  return out;
}

/** The logical IDs and Properties of every resource of a type. */
export function propertiesOfType(
  p: PipelineUnderTest,
  type: string,
): Array<{ id: string; properties: Record<string, unknown> }> {
  return Object.entries(resourcesOf(p))
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => {
      const properties = resource.Properties ?? {};
      assert.ok(isRecord(properties), `resource ${id} has Properties`);
      return { id, properties };
    });
}

/** The Properties of the CloudFormation resource behind an L2 construct. */
export function propertiesOf(p: PipelineUnderTest, construct: IConstruct): Record<string, unknown> {
  const id = logicalIdOf(p, construct);
  const properties = resourcesOf(p)[id]?.Properties;
  assert.ok(isRecord(properties), `resource ${id} has Properties`);
  return properties;
}

/** The value at a path of keys and indexes, or undefined where the path does not exist. */
export function at(value: unknown, ...path: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === 'number') current = Array.isArray(current) ? current[step] : undefined;
    else current = isRecord(current) ? current[step] : undefined;
  }
  return current;
}

export function numberAt(value: unknown, ...path: ReadonlyArray<string | number>): number {
  const found = at(value, ...path);
  assert.equal(typeof found, 'number', `expected a number at ${path.join('.')}`);
  return Number(found);
}

export const ref = (p: PipelineUnderTest, construct: IConstruct) => ({
  Ref: logicalIdOf(p, construct),
});

export const arnOf = (p: PipelineUnderTest, construct: IConstruct) => ({
  'Fn::GetAtt': [logicalIdOf(p, construct), 'Arn'],
});

/** Every statement of every IAM policy attached to `role`, as the template writes it. */
export function roleStatements(p: PipelineUnderTest, role: IConstruct): Record<string, unknown>[] {
  const roleRef = JSON.stringify({ Ref: logicalIdOf(p, role) });
  return propertiesOfType(p, 'AWS::IAM::Policy')
    .filter(({ properties }) =>
      (Array.isArray(properties.Roles) ? properties.Roles : []).some(
        (r) => JSON.stringify(r) === roleRef,
      ),
    )
    .flatMap(({ properties }) => {
      const list = at(properties, 'PolicyDocument', 'Statement');
      return Array.isArray(list) ? list.filter(isRecord) : [];
    });
}

/** A statement's Action or Resource as a list (a single one may be written bare). */
export const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
