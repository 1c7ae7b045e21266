/**
 * EventBridge event patterns as plain data, and a matcher for the subset pixelmill uses, so the
 * local cloud routes an upload exactly as the deployed rule would.
 *
 * Contract: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * A pattern field holds either a nested pattern or an array of allowed values; an array matches
 * when any element matches (a literal by equality, `{ prefix }` by string prefix). A field named
 * in the pattern but absent from the event never matches. Fields the pattern does not name are
 * ignored.
 */
export type PatternMatcher = string | number | boolean | { readonly prefix: string };

export interface EventPattern {
  readonly [field: string]: readonly PatternMatcher[] | EventPattern;
}

function matchesValue(matcher: PatternMatcher, value: unknown): boolean {
  if (typeof matcher === 'object') {
    return typeof value === 'string' && value.startsWith(matcher.prefix);
  }
  return value === matcher;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isRecord(event)) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    if (!(field in event)) return false;
    const actual = event[field];
    if (Array.isArray(expected)) {
      const values: readonly unknown[] = Array.isArray(actual) ? actual : [actual];
      const matchers: readonly PatternMatcher[] = expected;
      if (!values.some((value) => matchers.some((m) => matchesValue(m, value)))) return false;
    } else if (!matchesEventPattern(expected as EventPattern, actual)) {
      return false;
    }
  }
  return true;
}
