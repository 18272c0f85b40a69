// Run-flag checking: every mistake is an EngineError with exit code 125 naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/errors.js';
import { checkReference, parseEnv, parseRunRequest, parseVolume } from '../../src/engine/options.js';

const bad = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof EngineError && e.exitCode === 125 && re.test(e.message));

test('defaults: network none, pids limit 2048, nothing else set', () => {
  const r = parseRunRequest({ image: 'busybox', cmd: ['true'] });
  assert.equal(r.network, 'none');
  assert.equal(r.pidsLimit, 2048);
  assert.equal(r.readOnly, false);
  assert.equal(r.memory, undefined);
});

test('sizes and limits are parsed', () => {
  const r = parseRunRequest({ image: 'b', cmd: [], memory: '64Mi', cpus: '0.5', pidsLimit: '10' });
  assert.equal(r.memory, 64 * 2 ** 20);
  assert.equal(r.cpus, 0.5);
  assert.equal(r.pidsLimit, 10);
  bad(() => parseRunRequest({ image: 'b', cmd: [], memory: 'lots' }), /--memory/);
  bad(() => parseRunRequest({ image: 'b', cmd: [], memory: '1Mi' }), /minimum/);
  bad(() => parseRunRequest({ image: 'b', cmd: [], cpus: '0' }), /--cpus/);
  bad(() => parseRunRequest({ image: 'b', cmd: [], pidsLimit: 'x' }), /--pids-limit/);
});

test('-v: HOST:CTR[:ro], absolute paths only', () => {
  assert.deepEqual(parseVolume('/a:/b'), { source: '/a', destination: '/b', readonly: false });
  assert.deepEqual(parseVolume('/x/../a:/b:ro'), { source: '/a', destination: '/b', readonly: true });
  bad(() => parseVolume('/a'), /HOST:CONTAINER/);
  bad(() => parseVolume('data:/b'), /named volumes/);
  bad(() => parseVolume('/a:b'), /must be absolute/);
  bad(() => parseVolume('/a:/b:rx'), /unknown option "rx"/);
  bad(() => parseVolume('/a:/'), /root/);
});

test('-e: KEY=VALUE, or KEY taken from our environment', () => {
  assert.deepEqual(parseEnv(['A=1', 'B=', 'C', 'D'], { C: 'x' }), ['A=1', 'B=', 'C=x']);
  bad(() => parseEnv(['=x']), /KEY=VALUE/);
});

test('network: none, host, bridge; -p implies bridge and needs it', () => {
  assert.equal(parseRunRequest({ image: 'b', cmd: [], network: 'host' }).network, 'host');
  assert.equal(parseRunRequest({ image: 'b', cmd: [] }).network, 'none');
  assert.equal(parseRunRequest({ image: 'b', cmd: [], network: 'bridge' }).network, 'bridge');
  const p = parseRunRequest({ image: 'b', cmd: [], publish: ['8080:80', '127.0.0.1:53:5353/udp', '9000'] });
  assert.equal(p.network, 'bridge');
  assert.deepEqual(p.publish, [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIP: '127.0.0.1', hostPort: 53, containerPort: 5353, protocol: 'udp' },
    { hostPort: 9000, containerPort: 9000, protocol: 'tcp' },
  ]);
  bad(
    () => parseRunRequest({ image: 'b', cmd: [], network: 'host', publish: ['8080:80'] }),
    /^-p 8080:80: publishing ports needs --network bridge/,
  );
  bad(
    () => parseRunRequest({ image: 'b', cmd: [], publish: ['80:99999'] }),
    /container port 99999 is not a port/,
  );
  bad(
    () => parseRunRequest({ image: 'b', cmd: [], publish: ['80/icmp'] }),
    /protocol must be tcp, udp or sctp/,
  );
  bad(
    () => parseRunRequest({ image: 'b', cmd: [], publish: ['a:b'] }),
    /not a port mapping; write e.g. -p 8080:80/,
  );
  bad(() => parseRunRequest({ image: 'b', cmd: [], network: 'weird' }), /unknown network mode/);
});

test('other flags: name, workdir, user, hostname, -d with -i', () => {
  bad(() => parseRunRequest({ image: 'b', cmd: [], name: '-x' }), /--name/);
  bad(() => parseRunRequest({ image: 'b', cmd: [], workdir: 'rel' }), /-w rel/);
  bad(() => parseRunRequest({ image: 'b', cmd: [], user: 'a:b:c' }), /-u/);
  bad(() => parseRunRequest({ image: 'b', cmd: [], hostname: 'bad_host!' }), /--hostname/);
  bad(
    () => parseRunRequest({ image: 'b', cmd: [], detach: true, interactive: true, tty: true }),
    /-d with -i/,
  );
  // -d -t: a terminal of its own, its output in the log.
  assert.equal(parseRunRequest({ image: 'b', cmd: [], detach: true, tty: true }).tty, true);
});

test('image references: docker syntax', () => {
  for (const ok of [
    'busybox',
    'busybox:latest',
    'library/busybox',
    'localhost:5000/a/b:1.0',
    'corral.local/busybox:latest',
  ])
    assert.doesNotThrow(() => checkReference(ok), ok);
  bad(() => checkReference('BusyBox'), /lower case/);
  bad(() => checkReference('busy box'), /spaces/);
  bad(() => checkReference('busybox:'), /tag/);
  bad(() => checkReference('a@sha256:xyz'), /digest/);
});
