// Loading network configuration lists: .conflist and .conf/.json (upgraded to a list of one),
// lexical order, lookup by name, and errors that name the file and the field.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniConfigError, loadNetworkConfig, parseNetworkConfig } from '../../../src/network/cni/index.js';

function confDir(t: TestContext, files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cni-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(files))
    writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

const LIST = {
  cniVersion: '1.0.0',
  name: 'b-net',
  plugins: [
    { type: 'bridge', bridge: 'x0' },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};
const SINGLE = { cniVersion: '0.4.0', name: 'a-net', type: 'bridge', ipam: { type: 'host-local' } };

test('the first file in lexical order wins; a .conf is upgraded to a list of one', async (t) => {
  const dir = confDir(t, { '20-b.conflist': LIST, '10-a.conf': SINGLE, 'README.md': 'not a config' });
  const first = await loadNetworkConfig(dir);
  assert.equal(first.name, 'a-net');
  assert.equal(first.cniVersion, '0.4.0');
  assert.equal(first.file, join(dir, '10-a.conf'));
  assert.equal(first.plugins.length, 1);
  assert.equal(first.plugins[0]!.type, 'bridge');
  assert.deepEqual(first.plugins[0]!.ipam, { type: 'host-local' });
  const b = await loadNetworkConfig(dir, 'b-net');
  assert.deepEqual(
    b.plugins.map((p) => p.type),
    ['bridge', 'portmap'],
  );
  assert.deepEqual(b.plugins[1]!.capabilities, { portMappings: true });
});

test('a .json file with one plugin loads like a .conf', async (t) => {
  const dir = confDir(t, { '5-x.json': { ...SINGLE, name: 'jnet' } });
  assert.equal((await loadNetworkConfig(dir, 'jnet')).plugins[0]!.type, 'bridge');
});

test('lookup by name passes over invalid files but reports them when nothing matches', async (t) => {
  const dir = confDir(t, { '01-bad.conflist': '{nope', '20-b.conflist': LIST });
  assert.equal((await loadNetworkConfig(dir, 'b-net')).name, 'b-net');
  await assert.rejects(loadNetworkConfig(dir, 'other'), (e: unknown) => {
    assert.ok(e instanceof CniConfigError);
    assert.match(
      e.message,
      /no network "other" in .* \(networks found: b-net; invalid files: .*01-bad\.conflist: \(file\): not valid JSON/,
    );
    return true;
  });
  // Without a name the first file is the one: its error is the answer.
  await assert.rejects(loadNetworkConfig(dir), /01-bad\.conflist: \(file\): not valid JSON/);
});

test('an empty or missing directory says where to put a configuration', async (t) => {
  const dir = confDir(t, {});
  await assert.rejects(loadNetworkConfig(dir), {
    field: 'confDir',
    message: /no network configuration \(\*\.conflist, \*\.conf, \*\.json\) in /,
  });
  await assert.rejects(loadNetworkConfig(join(dir, 'missing')), { field: 'confDir' });
});

test('validation errors name the file and the field', () => {
  const bad = (obj: unknown, file = 'f.conflist'): CniConfigError => {
    try {
      parseNetworkConfig(JSON.stringify(obj), file);
    } catch (e) {
      assert.ok(e instanceof CniConfigError, String(e));
      return e;
    }
    return assert.fail('expected an error');
  };
  const cases: [unknown, string, RegExp][] = [
    [[1], '(file)', /must be a JSON object/],
    [
      { ...LIST, cniVersion: undefined },
      'cniVersion',
      /is required; one of 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0/,
    ],
    [{ ...LIST, cniVersion: '0.2.0' }, 'cniVersion', /"0\.2\.0" is not supported/],
    [{ ...LIST, name: '' }, 'name', /is required/],
    [{ ...LIST, name: 'a/b' }, 'name', /must be letters, digits/],
    [{ ...LIST, plugins: [] }, 'plugins', /non-empty array/],
    [{ ...LIST, plugins: [{ type: 'bridge' }, { bridge: 'x' }] }, 'plugins[1].type', /is required/],
    [{ ...LIST, plugins: [{ type: '../../bin/sh' }] }, 'plugins[0].type', /plain binary name/],
    [
      { ...LIST, plugins: [{ type: 'portmap', capabilities: { portMappings: 'yes' } }] },
      'plugins[0].capabilities.portMappings',
      /true or false/,
    ],
    [
      { ...LIST, plugins: [{ type: 'x', runtimeConfig: [] }] },
      'plugins[0].runtimeConfig',
      /must be an object/,
    ],
    [{ ...LIST, disableCheck: 'no' }, 'disableCheck', /true or false/],
  ];
  for (const [obj, field, re] of cases) {
    const e = bad(obj);
    assert.equal(e.field, field, JSON.stringify(obj));
    assert.equal(e.file, 'f.conflist');
    assert.ok(e.message.startsWith(`f.conflist: ${field}: `), e.message);
    assert.match(e.message, re);
  }
  // In a single-plugin file the fields are top-level.
  const e = bad({ cniVersion: '1.0.0', name: 'n' }, '10-x.conf');
  assert.equal(e.message, '10-x.conf: type: is required: the plugin binary name');
});
