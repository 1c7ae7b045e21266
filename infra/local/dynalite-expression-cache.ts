/**
 * dynalite parses every ConditionExpression and UpdateExpression with a PEG parser on every
 * request: ~4.7 ms of CPU for the claim's pair, most of what an UpdateItem costs the local cloud
 * (the worker sends the same few expression shapes thousands of times with new values). This
 * memoizes the parse by the expression's text, its attribute names and the *types* of its values:
 * the parsed tree is kept with a slot where each `:value` went, and a hit builds the tree again
 * with the request's own values, marking the same names and values used as a parse would (so an
 * unused value is still an error). Expressions whose validation reads values themselves
 * (BETWEEN, IN, attribute_type) are always parsed. Tied to dynalite 4.0.0's parsers, whose output
 * holds each value object as given; test/unit/dynalite-expression-cache.test.ts holds the cached
 * trees equal to fresh parses.
 */
import { createRequire } from 'node:module';

interface ParseContext {
  attrNames?: Record<string, string> | null;
  attrVals?: Record<string, Record<string, unknown>> | null;
  unusedAttrNames: Record<string, boolean>;
  unusedAttrVals: Record<string, boolean>;
  isKeyCondition?: boolean;
}

type Parse = (input: string, options: { context: ParseContext }) => unknown;

interface ParserModule {
  parse: Parse;
  __pixelmillCached?: true;
}

interface Entry {
  readonly template: unknown;
  readonly usedNames: readonly string[];
  readonly usedVals: readonly string[];
}

/** A value's place in a cached tree. */
class Slot {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

const LIMIT = 500;
const VALUE_DEPENDENT = /\bBETWEEN\b|\bIN\b|attribute_type/i;

function typesOf(values: ParseContext['attrVals']): string {
  if (!values) return '';
  return Object.keys(values)
    .sort()
    .map((k) => `${k}=${Object.keys(values[k] ?? {})[0] ?? ''}`)
    .join(',');
}

/**
 * A deep copy of `node` in which each node `replace` answers for is its answer. The parsers use
 * null-prototype objects for sets of paths: each object keeps its prototype.
 */
function copyTree(
  node: unknown,
  replace: (node: unknown) => { value: unknown } | undefined,
): unknown {
  const replaced = replace(node);
  if (replaced) return replaced.value;
  if (Array.isArray(node)) return node.map((n) => copyTree(n, replace));
  if (node && typeof node === 'object') {
    const copy = Object.create(Object.getPrototypeOf(node)) as Record<string, unknown>;
    for (const [k, v] of Object.entries(node)) copy[k] = copyTree(v, replace);
    return copy;
  }
  return node;
}

function toTemplate(node: unknown, slots: ReadonlyMap<unknown, string>): unknown {
  return copyTree(node, (n) => {
    const slot = slots.get(n);
    return slot === undefined ? undefined : { value: new Slot(slot) };
  });
}

function fromTemplate(node: unknown, values: Record<string, unknown>): unknown {
  return copyTree(node, (n) => (n instanceof Slot ? { value: values[n.name] } : undefined));
}

export function memoizedParse(parse: Parse): Parse {
  const cache = new Map<string, Entry>();
  return (input, options) => {
    const context = options.context;
    if (VALUE_DEPENDENT.test(input)) return parse(input, options);
    const key = `${input}\u0000${JSON.stringify(context.attrNames ?? null)}\u0000${typesOf(context.attrVals)}\u0000${context.isKeyCondition ? 'k' : ''}`;
    const hit = cache.get(key);
    if (hit) {
      for (const name of hit.usedNames) delete context.unusedAttrNames[name];
      for (const name of hit.usedVals) delete context.unusedAttrVals[name];
      return fromTemplate(hit.template, context.attrVals ?? {});
    }
    const namesBefore = Object.keys(context.unusedAttrNames);
    const valsBefore = Object.keys(context.unusedAttrVals);
    // Syntax errors are thrown and semantic ones returned as a message (dynalite reports both):
    // neither is cached.
    const result = parse(input, options);
    if (typeof result !== 'object' || result === null) return result;
    const slots = new Map<unknown, string>();
    for (const [name, value] of Object.entries(context.attrVals ?? {})) slots.set(value, name);
    const entry: Entry = {
      template: toTemplate(result, slots),
      usedNames: namesBefore.filter((n) => !(n in context.unusedAttrNames)),
      usedVals: valsBefore.filter((n) => !(n in context.unusedAttrVals)),
    };
    if (cache.size >= LIMIT) cache.delete(cache.keys().next().value ?? '');
    cache.set(key, entry);
    return result;
  };
}

/** Installs the cache on dynalite's condition and update parsers (once per process). */
export function cacheDynaliteExpressions(): void {
  const require = createRequire(import.meta.url);
  for (const file of ['dynalite/db/conditionParser.js', 'dynalite/db/updateParser.js']) {
    const parser = require(file) as ParserModule;
    if (parser.__pixelmillCached) continue;
    parser.parse = memoizedParse(parser.parse.bind(parser));
    parser.__pixelmillCached = true;
  }
}
