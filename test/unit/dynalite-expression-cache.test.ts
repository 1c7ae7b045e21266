/**
 * The parse cache for dynalite's expressions against dynalite's own parsers: a cached tree, built
 * again with new values, equals a fresh parse of the same request; used names and values are
 * marked as a parse marks them; errors are never cached; value-dependent expressions bypass it.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { memoizedParse } from '../../infra/local/dynalite-expression-cache.ts';

const require = createRequire(import.meta.url);
type Parse = Parameters<typeof memoizedParse>[0];
const conditions = require('dynalite/db/conditionParser.js') as { parse: Parse };
const updates = require('dynalite/db/updateParser.js') as { parse: Parse };
const db = require('dynalite/db') as { compare: unknown };

const names = {
  '#pk': 'pk',
  '#status': 'status',
  '#until': 'leaseUntil',
  '#owner': 'leaseOwner',
  '#h': 'history',
  '#a': 'attempts',
};
function context(values: Record<string, Record<string, unknown>>) {
  return {
    attrNames: names,
    attrVals: values,
    unusedAttrNames: Object.fromEntries(Object.keys(names).map((k) => [k, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(values).map((k) => [k, true])),
    isReserved: () => false,
    compare: db.compare,
  };
}
const values = (n: number) => ({
  ':done': { S: 'DONE' },
  ':now': { N: String(1000 + n) },
  ':owner': { S: `m${n}/` },
  ':none': { L: [] },
  ':entry': { L: [{ M: { at: { S: `t${n}` } } }] },
  ':one': { N: '1' },
  ':spare': { S: 'never used' },
});
const condition =
  'attribute_not_exists(#pk) OR (#status <> :done AND (#until < :now OR begins_with(#owner, :owner)))';
const update = 'SET #h = list_append(if_not_exists(#h, :none), :entry), #a = #a + :one';

describe('the dynalite expression cache', () => {
  for (const [label, parser, expression] of [
    ['condition', conditions, condition],
    ['update', updates, update],
  ] as const) {
    it(`builds a ${label} tree equal to a fresh parse, with each request's values`, () => {
      const cached = memoizedParse(parser.parse.bind(parser));
      for (let n = 0; n < 3; n++) {
        const a = context(values(n));
        const b = context(values(n));
        assert.deepEqual(
          cached(expression, { context: a }),
          parser.parse(expression, { context: b }),
        );
        assert.deepEqual(a.unusedAttrNames, b.unusedAttrNames);
        assert.deepEqual(a.unusedAttrVals, b.unusedAttrVals);
        assert.ok(':spare' in a.unusedAttrVals, 'an unused value is still found unused');
      }
    });
  }

  it('never caches an error, and leaves value-dependent expressions to the parser', () => {
    const cached = memoizedParse(conditions.parse.bind(conditions));
    // dynalite's parsers throw syntax errors and return other errors as their message.
    for (let i = 0; i < 2; i++) {
      assert.match(
        String(cached('#status <> :missing', { context: context(values(1)) })),
        /attribute value used in expression is not defined/,
      );
      assert.throws(() => cached('#status <> <>', { context: context(values(1)) }));
    }
    let calls = 0;
    const counting = memoizedParse((input, options) => {
      calls++;
      return conditions.parse(input, options);
    });
    counting('#a BETWEEN :one AND :now', { context: context(values(1)) });
    counting('#a BETWEEN :one AND :now', { context: context(values(2)) });
    counting(condition, { context: context(values(1)) });
    counting(condition, { context: context(values(2)) });
    assert.equal(calls, 3, 'BETWEEN parsed twice, the plain condition once');
  });
});
