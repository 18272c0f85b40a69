// Network configuration lists, loaded from a configuration directory as libcni does: `*.conflist`
// files hold a list; a `*.conf` or `*.json` file holds one plugin and is upgraded to a list of
// one. Without a name the first file in lexical order wins (hence the "10-" prefixes). Errors
// name the file and the JSON field.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CniConfigError } from './errors.js';
import { isSupportedVersion, SUPPORTED_VERSIONS } from './version.js';

/** One plugin of a list: `type` names the binary; any other keys are the plugin's own. */
export interface PluginConfig {
  type: string;
  /** Capabilities the plugin accepts in `runtimeConfig`, e.g. `{ portMappings: true }`. */
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  plugins: PluginConfig[];
  /** The file it was loaded from, when it was. */
  file?: string;
}

export const CONFIG_EXTENSIONS = ['.conflist', '.conf', '.json'];

// libcni's rule for network names; also keeps cache file names safe.
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and validate a configuration file's text; `file` names it in errors. */
export function parseNetworkConfig(text: string, file: string): NetworkConfigList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CniConfigError('(file)', `not valid JSON: ${(e as Error).message}`, file);
  }
  if (!isObject(raw)) throw new CniConfigError('(file)', 'must be a JSON object', file);
  // A list has "plugins"; a single plugin configuration (.conf) is upgraded to a list of one.
  if (file.endsWith('.conflist') || 'plugins' in raw) return validateList(raw, file);
  const list = validateList({ cniVersion: raw.cniVersion, name: raw.name, plugins: [raw] }, file, (f) =>
    f.startsWith('plugins[0].') ? f.slice('plugins[0].'.length) : f,
  );
  return list;
}

function validateList(raw: Json, file: string, rename: (f: string) => string = (f) => f): NetworkConfigList {
  const fail = (field: string, problem: string): never => {
    throw new CniConfigError(rename(field), problem, file);
  };
  const { cniVersion, name, plugins, disableCheck, disableGC } = raw;
  if (typeof cniVersion !== 'string' || cniVersion === '')
    fail('cniVersion', `is required; one of ${SUPPORTED_VERSIONS.join(', ')}`);
  if (!isSupportedVersion(cniVersion as string))
    fail(
      'cniVersion',
      `"${String(cniVersion)}" is not supported; use one of ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  if (typeof name !== 'string' || name === '') fail('name', 'is required: the network name');
  if (!NAME_RE.test(name as string))
    fail(
      'name',
      `"${String(name)}" must be letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  if (disableCheck !== undefined && typeof disableCheck !== 'boolean')
    fail('disableCheck', 'must be true or false');
  if (disableGC !== undefined && typeof disableGC !== 'boolean') fail('disableGC', 'must be true or false');
  if (!Array.isArray(plugins) || plugins.length === 0)
    fail('plugins', 'must be a non-empty array of plugin configurations');
  const out: PluginConfig[] = (plugins as unknown[]).map((p, i) => {
    const at = `plugins[${i}]`;
    if (!isObject(p)) return fail(at, 'must be an object with a "type"');
    if (typeof p.type !== 'string' || p.type === '')
      return fail(`${at}.type`, 'is required: the plugin binary name');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(p.type))
      return fail(`${at}.type`, `"${p.type}" must be a plain binary name (no "/")`);
    const caps = p.capabilities;
    if (caps !== undefined) {
      if (!isObject(caps)) return fail(`${at}.capabilities`, 'must be an object like {"portMappings": true}');
      for (const [k, v] of Object.entries(caps))
        if (typeof v !== 'boolean') fail(`${at}.capabilities.${k}`, 'must be true or false');
    }
    if (p.runtimeConfig !== undefined && !isObject(p.runtimeConfig))
      fail(`${at}.runtimeConfig`, 'must be an object');
    return p as PluginConfig;
  });
  const list: NetworkConfigList = {
    cniVersion: cniVersion as string,
    name: name as string,
    plugins: out,
    file,
  };
  if (disableCheck !== undefined) list.disableCheck = disableCheck as boolean;
  if (disableGC !== undefined) list.disableGC = disableGC as boolean;
  return list;
}

/** Configuration files in `confDir`, in lexical order (none when it does not exist). */
export async function configFiles(confDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(confDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => CONFIG_EXTENSIONS.some((x) => n.endsWith(x)))
    .sort()
    .map((n) => join(confDir, n));
}

/**
 * The network named `name` in `confDir`, or the first file's when no name is given. With a
 * name, invalid files are passed over but mentioned if nothing matches.
 */
export async function loadNetworkConfig(confDir: string, name?: string): Promise<NetworkConfigList> {
  const files = await configFiles(confDir);
  const exts = CONFIG_EXTENSIONS.map((x) => `*${x}`).join(', ');
  if (files.length === 0)
    throw new CniConfigError('confDir', `no network configuration (${exts}) in ${confDir}; write one there`);
  if (name === undefined) return parseNetworkConfig(await readFile(files[0]!, 'utf8'), files[0]!);
  const seen: string[] = [];
  const broken: string[] = [];
  for (const f of files) {
    try {
      const list = parseNetworkConfig(await readFile(f, 'utf8'), f);
      if (list.name === name) return list;
      seen.push(list.name);
    } catch (e) {
      if (!(e instanceof CniConfigError)) throw e;
      broken.push(e.message);
    }
  }
  const found = seen.length ? `networks found: ${seen.join(', ')}` : 'no valid network found';
  const bad = broken.length ? `; invalid files: ${broken.join('; ')}` : '';
  throw new CniConfigError('name', `no network "${name}" in ${confDir} (${found}${bad})`);
}
