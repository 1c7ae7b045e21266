/** Errors of the configuration module. Every problem of a config is reported at once. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

export class InvalidConfigError extends ConfigError {
  override readonly name = 'InvalidConfigError';
  /** Where the config came from (a file path, an env var name). */
  readonly source: string;
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid config in ${source}:\n- ${problems.join('\n- ')}`, options);
    this.source = source;
    this.problems = problems;
  }
}
