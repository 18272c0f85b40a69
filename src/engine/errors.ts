// Errors of the engine, with the exit code `corral` gives for them (as podman): 125 for Corral's
// own errors (bad input, unknown image, a setup step that failed), 126 when the command cannot be
// invoked, 127 when it is not found. Messages are one line: what is wrong; how to fix it.
export const EXIT_ENGINE = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

export class EngineError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ENGINE,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A container name or id that matches nothing. */
export class NoSuchContainer extends EngineError {
  constructor(ref: string) {
    super(`no container named or with id "${ref}"; see corral ps -a`);
  }
}

/** First line of an error's message, without a trailing period. */
export function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? '').trim();
}

/**
 * The exit code for a helper error about the container's command: "not found" (PATH lookup or
 * ENOENT at execve) is 127, any other failing execve (EACCES, ENOEXEC...) 126; else undefined.
 */
export function commandErrorCode(message: string): number | undefined {
  if (/^arg: .*executable file not found/.test(message)) return EXIT_NOT_FOUND;
  if (/^exec [^:]*: No such file or directory/.test(message)) return EXIT_NOT_FOUND;
  if (/^exec /.test(message)) return EXIT_CANNOT_INVOKE;
  return undefined;
}
