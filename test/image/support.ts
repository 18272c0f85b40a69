// Shared by the image tests: private data dirs (unmounted and removed afterwards), OCI layouts
// built from tar entries, a real docker-registry on loopback, and small fake HTTP servers.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarWriteEntry } from '../../src/image/tar.js';

export const isRoot = process.getuid?.() === 0;
export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

type After = { after: (fn: () => void | Promise<void>) => void };

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Unmount everything at or below `dir` (deepest first). */
export function unmountBelow(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}

export function tempDir(t: After, prefix = 'corral-image-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export interface TestImage {
  /** `org.opencontainers.image.ref.name` in the layout. */
  refName?: string;
  layers: TarWriteEntry[][];
  cmd?: string[];
  /** Use an uncompressed layer for this index (default: all gzip). */
  plainLayers?: number[];
}

/** Write an OCI image layout at `dir` holding `images`; returns their manifest digests. */
export function writeOciLayout(dir: string, images: TestImage[]): string[] {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer): string => {
    const d = sha(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return d;
  };
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests = [];
  const digests = [];
  for (const img of images) {
    const diffIDs: string[] = [];
    const layers = img.layers.map((entries, i) => {
      const tar = writeTar(entries);
      diffIDs.push(sha(tar));
      const plain = img.plainLayers?.includes(i);
      const blob = plain ? tar : gzipSync(tar);
      return {
        mediaType: plain
          ? 'application/vnd.oci.image.layer.v1.tar'
          : 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: put(blob),
        size: blob.length,
      };
    });
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {
          Cmd: img.cmd ?? ['sh'],
          Env: ['PATH=/bin'],
          WorkingDir: '/',
          ExposedPorts: { '80/tcp': {} },
        },
        rootfs: { type: 'layers', diff_ids: diffIDs },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: put(config),
          size: config.length,
        },
        layers,
      }),
    );
    const md = put(manifest);
    digests.push(md);
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: md,
      size: manifest.length,
      ...(img.refName ? { annotations: { 'org.opencontainers.image.ref.name': img.refName } } : {}),
    });
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return digests;
}

export const file = (name: string, data: string, mode = 0o644): TarWriteEntry => ({
  name,
  type: 'file',
  mode,
  data: Buffer.from(data),
});
export const dir = (name: string, mode = 0o755): TarWriteEntry => ({ name, type: 'dir', mode });

/** A busybox rootfs as tar entries (the first layer of test images, so they run). */
export function busyboxLayer(): TarWriteEntry[] {
  const bb = readFileSync('/bin/busybox');
  const entries: TarWriteEntry[] = [dir('bin'), { name: 'bin/busybox', type: 'file', mode: 0o755, data: bb }];
  for (const a of ['sh', 'cat', 'ls', 'echo', 'test'])
    entries.push({ name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) entries.push(dir(d));
  return entries;
}

export async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A real docker-registry on 127.0.0.1, stopped (by its pid) after the test. */
export async function startRegistry(
  t: After,
): Promise<{ host: string; port: number; stop: () => Promise<void> }> {
  const root = tempDir(t, 'corral-registry-');
  const port = await freePort();
  const cfg = join(root, 'config.yml');
  writeFileSync(
    cfg,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(root, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  t.after(stop);
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (r.status === 200) return { host: `127.0.0.1:${port}`, port, stop };
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not start: ${err}`);
}

/** Copy an OCI layout into the registry with skopeo. */
export function skopeoPush(layout: string, dest: string): void {
  execFileSync(
    'skopeo',
    ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}`, `docker://${dest}`],
    { stdio: 'pipe' },
  );
}

export async function httpServer(
  t: After,
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, server };
}

/** A registry served from an OCI layout, for fakes that tamper, cut or demand auth. */
export function layoutRegistry(
  layout: string,
  repo: string,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') {
      res.writeHead(200).end('{}');
      return true;
    }
    const m = new RegExp(`^/v2/${repo}/(manifests|blobs)/(.+)$`).exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return true;
    }
    let digest = m[2]!;
    if (m[1] === 'manifests' && !digest.startsWith('sha256:')) {
      const idx = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
        manifests: { digest: string }[];
      };
      digest = idx.manifests[0]!.digest;
    }
    const path = join(layout, 'blobs', 'sha256', digest.slice(7));
    if (!existsSync(path)) {
      res.writeHead(404).end();
      return true;
    }
    const body = readFileSync(path);
    res.writeHead(200, {
      'content-type':
        m[1] === 'manifests' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream',
      'content-length': body.length,
      'docker-content-digest': digest,
    });
    res.end(body);
    return true;
  };
}
