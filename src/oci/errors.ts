// One error type for everything a user of the runtime can act on. The CLI prints `message` as one
// line; `path` names the config.json field when the error is about the config.

export class OciError extends Error {
  constructor(
    message: string,
    /** JSON path in config.json (`process.args`), when the error is about the config. */
    readonly path?: string,
    /** Process exit code the CLI should use. */
    readonly exitCode = 1,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'OciError';
  }
}

/** Any thrown value as one line (no stack). */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, '; ');
}
