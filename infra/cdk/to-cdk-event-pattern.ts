/**
 * Maps a pattern from events/ (EventBridge's own JSON shape, plain data) onto CDK's
 * `events.EventPattern`, so the deployed rule and the local cloud's bridge use one definition.
 *
 * Contract: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - CDK names the envelope's fields in camelCase (`detailType` renders as `detail-type`) and types
 *   them as `string[]`: a `{ prefix }` matcher there goes through `Match.prefix` (with
 *   `Match.anyOf` to keep it beside literals), which renders the same `{ "prefix": … }` object.
 * - `detail` is free-form in CDK and already in EventBridge's syntax, so it is passed through as
 *   is; `{ prefix }` objects, literals and nested fields render unchanged.
 */
import { type EventPattern as CdkEventPattern, Match } from 'aws-cdk-lib/aws-events';
import type { EventPattern, PatternMatcher } from '../../events/event-pattern.ts';

/** EventBridge envelope field → CDK `EventPattern` property. */
const ENVELOPE_FIELDS = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
} as const;

type EnvelopeField = keyof typeof ENVELOPE_FIELDS;
type MutableCdkEventPattern = { -readonly [K in keyof CdkEventPattern]: CdkEventPattern[K] };

export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Cannot map the event pattern onto CDK:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

function isMatcherList(
  value: readonly PatternMatcher[] | EventPattern,
): value is readonly PatternMatcher[] {
  return Array.isArray(value);
}

function isEnvelopeField(field: string): field is EnvelopeField {
  return Object.hasOwn(ENVELOPE_FIELDS, field);
}

function envelopeMatchers(
  field: string,
  matchers: readonly PatternMatcher[],
  problems: string[],
): string[] | undefined {
  if (matchers.length === 0) {
    problems.push(`Expected at least one matcher for ${field} but received an empty array`);
    return undefined;
  }
  const rendered: Array<string | string[]> = [];
  let literalsOnly = true;
  for (const matcher of matchers) {
    if (typeof matcher === 'string') rendered.push(matcher);
    else if (typeof matcher === 'object') {
      rendered.push(Match.prefix(matcher.prefix));
      literalsOnly = false;
    } else {
      problems.push(
        `Expected a string or { prefix } matcher for envelope field ${field} but received ` +
          `${typeof matcher} ${String(matcher)}`,
      );
    }
  }
  return literalsOnly ? rendered.flat() : Match.anyOf(...rendered);
}

export function toCdkEventPattern(pattern: EventPattern): CdkEventPattern {
  const problems: string[] = [];
  const out: MutableCdkEventPattern = {};
  for (const [field, value] of Object.entries(pattern)) {
    if (field === 'detail') {
      if (isMatcherList(value)) {
        problems.push('Expected detail to be a nested pattern but received an array of matchers');
      } else {
        out.detail = value;
      }
    } else if (isEnvelopeField(field)) {
      if (!isMatcherList(value)) {
        problems.push(`Expected an array of matchers for ${field} but received a nested pattern`);
      } else {
        const matchers = envelopeMatchers(field, value, problems);
        if (matchers !== undefined) out[ENVELOPE_FIELDS[field]] = matchers;
      }
    } else {
      problems.push(
        `Expected an EventBridge envelope field (${Object.keys(ENVELOPE_FIELDS).join(', ')}, ` +
          `detail) but received ${field}`,
      );
    }
  }
  if (problems.length > 0) throw new EventPatternError(problems);
  return out;
}
