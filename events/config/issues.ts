/**
 * Zod's issues, said the way sharp says invalid parameters ("Expected positive integer for width
 * but received …"), each naming where in the config it is. The worker reports a bad config file
 * this way at cold start, and `cdk synth` reports bad ImagePipeline presets and limits in the
 * same words, because both validate with the one schema (./schema.ts).
 */
import type { z } from 'zod';

/**
 * One line per issue. `root` prefixes the path: `config` gives `config.presets[0].width`, an
 * empty root gives `presets[0].width` (the props' own names).
 */
export function describeIssue(issue: z.core.$ZodIssue, root = 'config'): string {
  const steps = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`));
  const path = `${root}${steps.join('')}`.replace(/^\./, '') || root || 'config';
  const field = String(issue.path.at(-1) ?? 'config');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  if (issue.code === 'invalid_type') {
    return `${path}: Expected ${issue.expected} for ${field} but received ${describeValue(issue.input)}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const op =
      issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
    const what = issue.origin === 'array' ? 'array length' : issue.origin;
    return `${path}: Expected ${what} ${op} ${String(bound)} for ${field} but received ${describeValue(issue.input)}`;
  }
  return `${path}: ${issue.message}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  return `${JSON.stringify(value)} of type ${Array.isArray(value) ? 'array' : typeof value}`;
}
