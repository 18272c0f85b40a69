// The CNI runtime (libcni's part for containerd/CRI-O): ADD chains the plugins of a list in order,
// each getting the previous result; DEL runs them in reverse with the cached result; CHECK, STATUS
// and GC as the spec says. The cache is written before ADD (see cache.ts) so a crash mid-ADD is
// undone by a later gc().
import {
  cniArgsString,
  normalizeAttachment,
  type Attachment,
  type CapabilityArgs,
  type NormalAttachment,
} from './attachment.js';
import { AttachmentCache } from './cache.js';
import { loadNetworkConfig, type NetworkConfigList, type PluginConfig } from './config.js';
import { CNI_ERR_BAD_OUTPUT, CniConfigError, CniError } from './errors.js';
import { DEFAULT_BIN_DIRS, findPlugin, invokePlugin, type CniCommand } from './invoke.js';
import { netnsState } from './netns.js';
import { pluginConf, type ConfInjection } from './plugin-conf.js';
import { parseResult, type CniResult } from './result.js';
import { atLeast, LATEST_VERSION } from './version.js';

export interface CniRuntimeOptions {
  confDir: string;
  /** Where plugin binaries are looked up, in order (CNI_PATH). */
  binDirs?: string[];
  /** Holds results/<net>-<containerid>-<ifname>. */
  cacheDir: string;
  /** Run plugins inside this network namespace (a path like /run/netns/x) instead of the caller's. */
  hostNetns?: string;
  /** Per plugin invocation. */
  timeoutMs?: number;
}

export interface PluginVersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

export interface CachedAttachment {
  containerId: string;
  ifName: string;
  netns: string;
  /** "adding": ADD started and did not finish (or its cleanup failed). */
  state: 'adding' | 'added';
  result?: CniResult;
}

export interface GcResult {
  /** "<containerId>/<ifName>" of each stale attachment deleted. */
  deleted: string[];
  /** Stale attachments whose DEL failed; they stay cached for the next gc. */
  failed: { containerId: string; ifName: string; error: string }[];
  /** Plugins that ran the GC command, and those skipped because they do not speak 1.1.0. */
  pluginGC: string[];
  pluginGCSkipped: string[];
}

export class CniRuntime {
  readonly confDir: string;
  readonly binDirs: string[];
  readonly cache: AttachmentCache;
  private readonly hostNetns: string | undefined;
  private readonly timeoutMs: number | undefined;
  private readonly versions = new Map<string, Promise<PluginVersionInfo>>();

  constructor(o: CniRuntimeOptions) {
    this.confDir = o.confDir;
    this.binDirs = o.binDirs ?? DEFAULT_BIN_DIRS;
    this.cache = new AttachmentCache(o.cacheDir);
    this.hostNetns = o.hostNetns;
    this.timeoutMs = o.timeoutMs;
  }

  loadNetwork(name?: string): Promise<NetworkConfigList> {
    return loadNetworkConfig(this.confDir, name);
  }

  /** Attach: run every plugin's ADD in order. On failure the attachment is deleted, then the error thrown. */
  async add(net: NetworkConfigList, a: Attachment): Promise<CniResult> {
    const att = normalizeAttachment(a);
    const ns = netnsState(att.netns);
    if (ns !== 'namespace')
      throw new CniConfigError(
        'netns',
        ns === 'missing'
          ? `"${att.netns}" does not exist; ADD needs the container's network namespace`
          : `"${att.netns}" is not a network namespace (use /proc/PID/ns/net or a /run/netns/NAME mount)`,
      );
    // A second ADD would fail in the plugins and its cleanup DEL would tear down the live attachment.
    if ((await this.cache.read(net.name, att.containerId, att.ifName))?.state === 'added')
      throw new CniConfigError(
        'containerId',
        `${att.containerId}/${att.ifName} is already attached to network "${net.name}"; DEL it first`,
      );
    const record = {
      networkName: net.name,
      containerId: att.containerId,
      ifName: att.ifName,
      netns: att.netns,
      cniArgs: att.args ?? {},
      capabilityArgs: att.capabilityArgs ?? {},
      config: net,
    };
    await this.cache.write({ ...record, state: 'adding' });
    let result: CniResult | undefined;
    try {
      for (const p of net.plugins) {
        const out = await this.run(net, p, 'ADD', att, {
          prevResult: result,
          capabilityArgs: att.capabilityArgs,
        });
        if (out === undefined)
          throw new CniError({
            plugin: p.type,
            command: 'ADD',
            code: CNI_ERR_BAD_OUTPUT,
            msg: 'printed no result',
          });
        result = parseResult(out, p.type);
      }
    } catch (e) {
      // The spec's rule: a failed ADD is followed by DEL. When DEL fails too the "adding" record stays
      // for gc(); the ADD error is the one the caller needs.
      try {
        await this.delAttachment(net, att, undefined);
        await this.cache.remove(net.name, att.containerId, att.ifName);
      } catch {
        // left for gc()
      }
      throw e;
    }
    await this.cache.write({ ...record, state: 'added', result });
    return result!;
  }

  /**
   * Detach: every plugin's DEL in reverse order with the cached result as prevResult. Missing
   * netns or cache entry, or a second DEL, are fine; a plugin error keeps the entry and is thrown.
   */
  async del(net: NetworkConfigList, a: Attachment): Promise<void> {
    const att = normalizeAttachment(a);
    const rec = await this.cache.read(net.name, att.containerId, att.ifName);
    const merged: NormalAttachment = {
      ...att,
      netns: att.netns || rec?.netns || '',
      args: att.args ?? rec?.cniArgs,
      capabilityArgs: att.capabilityArgs ?? rec?.capabilityArgs,
    };
    await this.delAttachment(net, merged, rec?.result);
    await this.cache.remove(net.name, att.containerId, att.ifName);
  }

  /** Verify an attachment is as ADD left it (spec 0.4.0+; skipped when the list says disableCheck). */
  async check(net: NetworkConfigList, a: Attachment): Promise<void> {
    if (net.disableCheck) return;
    if (!atLeast(net.cniVersion, '0.4.0'))
      throw new CniConfigError(
        'cniVersion',
        `CHECK needs 0.4.0 or newer, network "${net.name}" has ${net.cniVersion}`,
        net.file,
      );
    const att = normalizeAttachment(a);
    const rec = await this.cache.read(net.name, att.containerId, att.ifName);
    if (rec?.state !== 'added' || !rec.result)
      throw new CniConfigError(
        'containerId',
        `${att.containerId}/${att.ifName} has no completed ADD on network "${net.name}"; CHECK needs one`,
      );
    const capabilityArgs = att.capabilityArgs ?? rec.capabilityArgs;
    for (const p of net.plugins)
      await this.run(
        net,
        p,
        'CHECK',
        { ...att, args: att.args ?? rec.cniArgs },
        { prevResult: rec.result, capabilityArgs },
      );
  }

  /** Whether the network is ready for ADDs (spec 1.1.0; older lists and plugins are not asked). */
  async status(net: NetworkConfigList): Promise<void> {
    if (!atLeast(net.cniVersion, '1.1.0')) return;
    for (const p of net.plugins) {
      if (!(await this.speaks(p.type, '1.1.0'))) continue;
      await this.run(net, p, 'STATUS', undefined, {});
    }
  }

  /**
   * DEL every cached attachment of `net` not in `valid` (sandboxes that no longer exist, ADDs cut
   * short by a crash), then the plugins' own GC when the list is 1.1.0+ and they speak it.
   */
  async gc(net: NetworkConfigList, valid: { containerId: string; ifName: string }[]): Promise<GcResult> {
    const key = (c: string, i: string): string => `${c}/${i}`;
    const keep = new Set(valid.map((v) => key(v.containerId, v.ifName)));
    const res: GcResult = { deleted: [], failed: [], pluginGC: [], pluginGCSkipped: [] };
    for (const rec of await this.cache.list(net.name)) {
      if (keep.has(key(rec.containerId, rec.ifName))) continue;
      try {
        await this.del(net, {
          containerId: rec.containerId,
          ifName: rec.ifName,
          netns: netnsState(rec.netns) === 'namespace' ? rec.netns : '',
        });
        res.deleted.push(key(rec.containerId, rec.ifName));
      } catch (e) {
        res.failed.push({ containerId: rec.containerId, ifName: rec.ifName, error: (e as Error).message });
      }
    }
    if (!atLeast(net.cniVersion, '1.1.0') || net.disableGC) return res;
    // Attachments whose DEL failed still hold resources: plugins must keep them too.
    const attachments = [...valid, ...res.failed].map((v) => ({
      containerID: v.containerId,
      ifname: v.ifName,
    }));
    for (const p of net.plugins) {
      if (!(await this.speaks(p.type, '1.1.0'))) {
        res.pluginGCSkipped.push(p.type);
        continue;
      }
      await this.run(net, p, 'GC', undefined, { extra: { 'cni.dev/valid-attachments': attachments } });
      res.pluginGC.push(p.type);
    }
    return res;
  }

  async cachedAttachments(net: NetworkConfigList): Promise<CachedAttachment[]> {
    return (await this.cache.list(net.name)).map((r) => ({
      containerId: r.containerId,
      ifName: r.ifName,
      netns: r.netns,
      state: r.state,
      ...(r.result ? { result: r.result } : {}),
    }));
  }

  /** The plugin's answer to VERSION (remembered per runtime). */
  version(plugin: string): Promise<PluginVersionInfo> {
    let v = this.versions.get(plugin);
    if (!v) {
      v = this.askVersion(plugin);
      this.versions.set(plugin, v);
      v.catch(() => this.versions.delete(plugin));
    }
    return v;
  }

  private async askVersion(plugin: string): Promise<PluginVersionInfo> {
    const path = await findPlugin(plugin, this.binDirs, 'VERSION');
    const out = (await invokePlugin({
      plugin,
      path,
      command: 'VERSION',
      env: {},
      binDirs: this.binDirs,
      stdin: { cniVersion: LATEST_VERSION },
      timeoutMs: this.timeoutMs,
    })) as { cniVersion?: unknown; supportedVersions?: unknown } | undefined;
    if (typeof out?.cniVersion !== 'string')
      throw new CniError({
        plugin,
        command: 'VERSION',
        code: CNI_ERR_BAD_OUTPUT,
        msg: 'answer has no cniVersion',
      });
    const supported = Array.isArray(out.supportedVersions)
      ? out.supportedVersions.filter((s): s is string => typeof s === 'string')
      : [out.cniVersion];
    return { cniVersion: out.cniVersion, supportedVersions: supported };
  }

  private async speaks(plugin: string, version: string): Promise<boolean> {
    return (await this.version(plugin)).supportedVersions.includes(version);
  }

  /** DEL through every plugin in reverse; all run even if one fails, then the first error is thrown. */
  private async delAttachment(
    net: NetworkConfigList,
    att: NormalAttachment,
    prev: CniResult | undefined,
  ): Promise<void> {
    // Before 0.4.0 DEL got no prevResult.
    const prevResult = atLeast(net.cniVersion, '0.4.0') ? prev : undefined;
    // A netns already gone (or a stale pin) is passed as "": plugins then just release what they hold.
    const netns = netnsState(att.netns) === 'namespace' ? att.netns : '';
    let first: unknown;
    for (const p of [...net.plugins].reverse()) {
      try {
        await this.run(net, p, 'DEL', { ...att, netns }, { prevResult, capabilityArgs: att.capabilityArgs });
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  private async run(
    net: NetworkConfigList,
    p: PluginConfig,
    command: CniCommand,
    att: (NormalAttachment & { capabilityArgs?: CapabilityArgs }) | undefined,
    inj: ConfInjection,
  ): Promise<unknown> {
    const env: Record<string, string> = {};
    if (att) {
      env.CNI_CONTAINERID = att.containerId;
      env.CNI_NETNS = att.netns;
      env.CNI_IFNAME = att.ifName;
      env.CNI_ARGS = cniArgsString(att.args);
    }
    return invokePlugin({
      plugin: p.type,
      path: await findPlugin(p.type, this.binDirs, command),
      command,
      env,
      binDirs: this.binDirs,
      stdin: pluginConf(net, p, inj),
      hostNetns: this.hostNetns,
      timeoutMs: this.timeoutMs,
    });
  }
}
