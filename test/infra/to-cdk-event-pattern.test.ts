import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import type { EventPattern } from '../../events/event-pattern.ts';
import { objectCreatedPattern } from '../../events/object-created-rule.ts';
import { EventPatternError, toCdkEventPattern } from '../../infra/cdk/to-cdk-event-pattern.ts';

/** What CloudFormation receives: CDK's pattern with tokens resolved and camelCase undone. */
function rendered(pattern: EventPattern): unknown {
  const stack = new Stack(new App(), 'PatternTest');
  const cdk = stack.resolve(toCdkEventPattern(pattern));
  const { detailType, ...rest } = cdk;
  return detailType === undefined ? rest : { ...rest, 'detail-type': detailType };
}

describe('toCdkEventPattern', () => {
  it('renders the object-created pattern exactly as events/ defines it', () => {
    const pattern = objectCreatedPattern({ bucket: 'my-bucket', prefix: 'uploads/' });
    assert.deepEqual(rendered(pattern), pattern);
  });

  it('renders { prefix } beside literals in envelope fields', () => {
    const pattern: EventPattern = {
      source: ['aws.s3', { prefix: 'com.pixelmill.' }],
      account: [{ prefix: '1234' }],
    };
    assert.deepEqual(rendered(pattern), pattern);
  });

  it('reports every field it cannot map, together', () => {
    const pattern: EventPattern = {
      source: [42],
      'detail-type': { nested: ['x'] },
      detail: ['flat'],
      colour: ['red'],
      region: [],
    };
    assert.throws(
      () => toCdkEventPattern(pattern),
      (error: unknown) => {
        assert.ok(error instanceof EventPatternError);
        assert.equal(error.problems.length, 5);
        assert.match(error.message, /source but received number 42/);
        assert.match(error.message, /detail-type but received a nested pattern/);
        assert.match(error.message, /detail to be a nested pattern/);
        assert.match(error.message, /but received colour/);
        assert.match(error.message, /region but received an empty array/);
        return true;
      },
    );
  });
});
