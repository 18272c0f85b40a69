// Errors of the CNI runtime. A plugin failure becomes a CniError carrying what the plugin said
// (spec error codes 0-99, plugin-specific 100+), or one of the runtime's own codes (900+) when the
// plugin could not be found, died, hung or printed garbage. Its message is one line, fit for a pod
// event. Bad configuration or input is a CniConfigError naming the file and the field.

/** Well-known codes from the CNI spec (section "Error"). */
export const CNI_ERR_INCOMPATIBLE_VERSION = 1;
export const CNI_ERR_TRY_AGAIN_LATER = 11;
export const CNI_ERR_PLUGIN_NOT_AVAILABLE = 50;
/** The runtime's own codes: outside the spec's ranges in practice, never sent by a plugin. */
export const CNI_ERR_PLUGIN_NOT_FOUND = 900;
export const CNI_ERR_PLUGIN_EXIT = 901;
export const CNI_ERR_PLUGIN_TIMEOUT = 902;
export const CNI_ERR_BAD_OUTPUT = 903;

export interface CniErrorFields {
  /** The plugin type (binary name), e.g. "bridge". */
  plugin: string;
  /** ADD, DEL, CHECK, STATUS, GC or VERSION. */
  command: string;
  code: number;
  msg: string;
  details?: string;
}

export class CniError extends Error {
  readonly plugin: string;
  readonly command: string;
  readonly code: number;
  readonly msg: string;
  readonly details: string | undefined;

  constructor(f: CniErrorFields) {
    const details = f.details ? `: ${f.details}` : '';
    super(flat(`CNI plugin ${f.plugin} failed ${f.command} (code ${f.code}): ${f.msg}${details}`));
    this.name = 'CniError';
    this.plugin = f.plugin;
    this.command = f.command;
    this.code = f.code;
    this.msg = f.msg;
    this.details = f.details;
  }
}

/** A network configuration or a runtime argument is wrong; names where and how to fix it. */
export class CniConfigError extends Error {
  constructor(
    /** The JSON path or argument, e.g. `plugins[1].type` or `containerId`. */
    readonly field: string,
    problem: string,
    /** The configuration file, when the problem is in one. */
    readonly file?: string,
  ) {
    super(flat(`${file ? `${file}: ` : ''}${field}: ${problem}`));
    this.name = 'CniConfigError';
  }
}

/** Collapse whitespace so a message stays one line (plugins put newlines in details). */
export function flat(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
