/**
 * Where the worker's structured output goes: one JSON document (a log line or an EMF metrics
 * blob) per call. On Lambda there is none, and Powertools writes to stdout/stderr, which Lambda
 * sends to CloudWatch Logs; the CLI passes one that appends to `.pixelmill/logs/pixelmill.log`,
 * because its stdout carries `--json` output.
 */
export type LineSink = (line: string) => void;
