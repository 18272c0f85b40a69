// A fake CNI plugin for unit tests: a Node script that logs every call (command, CNI_* env,
// stdin) to calls.jsonl next to itself and answers as its configuration asks: add an interface
// and IP to the previous result, fail with a CNI error, crash, print garbage or hang.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = `
const fs = require('fs');
const path = require('path');
const cmd = process.env.CNI_COMMAND;
const text = fs.readFileSync(0, 'utf8');
const conf = text ? JSON.parse(text) : {};
const me = path.basename(__filename);
const env = {};
for (const [k, v] of Object.entries(process.env)) if (k.startsWith('CNI_')) env[k] = v;
fs.appendFileSync(path.join(__dirname, 'calls.jsonl'), JSON.stringify({ plugin: me, cmd, env, conf }) + '\\n');
const out = (o) => process.stdout.write(JSON.stringify(o));
if (cmd === 'VERSION') {
  const all = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];
  if (!me.includes('old')) all.push('1.1.0');
  out({ cniVersion: all[all.length - 1], supportedVersions: all });
  process.exit(0);
}
if (conf.failOn === cmd) {
  out({ code: conf.failCode ?? 7, msg: 'fake failure', details: 'asked to fail\\non ' + cmd });
  process.exit(1);
}
if (conf.crashOn === cmd) {
  process.stderr.write('panic: boom\\n');
  process.exit(2);
}
if (conf.garbageOn === cmd) {
  process.stdout.write('this is not json');
  process.exit(0);
}
if (conf.hangOn === cmd) setTimeout(() => {}, 1e9);
else if (cmd === 'ADD') {
  const r = conf.prevResult ? JSON.parse(JSON.stringify(conf.prevResult)) : { interfaces: [], ips: [] };
  r.cniVersion = conf.cniVersion;
  r.interfaces = r.interfaces || [];
  r.ips = r.ips || [];
  if (conf.addIface) {
    r.interfaces.push({ name: conf.addIface, sandbox: process.env.CNI_NETNS });
    if (conf.addIP) {
      const ip = { address: conf.addIP, gateway: conf.addGateway, interface: r.interfaces.length - 1 };
      if (!conf.cniVersion.startsWith('1.')) ip.version = conf.addIP.includes(':') ? '6' : '4';
      r.ips.push(ip);
    }
  }
  out(r);
}
`;

export interface Call {
  plugin: string;
  cmd: string;
  env: Record<string, string>;
  conf: Record<string, unknown> & {
    prevResult?: Record<string, unknown>;
    runtimeConfig?: Record<string, unknown>;
  };
}

/** Install fake plugins named `names` into `binDir` (a name containing "old" speaks only up to 1.0.0). */
export function installFakePlugins(binDir: string, names: string[]): void {
  for (const n of names) {
    const p = join(binDir, n);
    writeFileSync(p, `#!${process.execPath}\n${SCRIPT}`);
    chmodSync(p, 0o755);
  }
}

/** The calls logged so far (and forget them). */
export function takeCalls(binDir: string): Call[] {
  const f = join(binDir, 'calls.jsonl');
  if (!existsSync(f)) return [];
  const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
  writeFileSync(f, '');
  return lines.map((l) => JSON.parse(l) as Call);
}
