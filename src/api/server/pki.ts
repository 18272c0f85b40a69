// The cluster's certificates, made on first start under DATA_DIR/pki with the openssl CLI (Node's
// crypto cannot issue X.509 certificates; openssl is on every Debian system, so no npm
// dependency): a CA, the API server's serving certificate (SANs for loopback, the listen address
// and the in-cluster service names) and the admin's client certificate (CN=admin,
// O=system:masters). Files are reused on later starts; the serving certificate is re-issued when
// its SAN list changes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 60_000 });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT')
      throw new Error(
        'openssl is needed to create the cluster certificates: install it (apt-get install openssl)',
        { cause: e },
      );
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim().split('\n').pop()}`, {
      cause: e,
    });
  }
}

const keyArgs = (out: string) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  out,
];

async function issue(
  dir: string,
  name: string,
  subject: string,
  ext: string,
  caDir = dir,
  days = 3650,
): Promise<void> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  await openssl(['req', '-new', ...keyArgs(key), '-out', csr, '-subj', subject]);
  await writeFile(extFile, ext);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(caDir, 'ca.crt'),
    '-CAkey',
    join(caDir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    String(days),
    '-sha256',
    '-extfile',
    extFile,
    '-out',
    join(dir, `${name}.crt`),
  ]);
  await chmod(key, 0o600);
  await rm(csr, { force: true });
  await rm(extFile, { force: true });
}

export function serverSans(listenHost: string): string[] {
  const dns = new Set([
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    hostname(),
  ]);
  const ips = new Set(['127.0.0.1', '::1', '10.96.0.1']);
  if (listenHost && listenHost !== '0.0.0.0' && listenHost !== '::')
    (isIP(listenHost) ? ips : dns).add(listenHost);
  return [...[...dns].map((d) => `DNS:${d}`), ...[...ips].map((i) => `IP:${i}`)];
}

export async function ensurePki(dataDir: string, listenHost: string): Promise<Pki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dir, 'ca.crt')) || !existsSync(join(dir, 'ca.key'))) {
    await openssl([
      'req',
      '-x509',
      '-new',
      ...keyArgs(join(dir, 'ca.key')),
      '-out',
      join(dir, 'ca.crt'),
      '-days',
      '3650',
      '-sha256',
      '-subj',
      '/CN=corral-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
    await chmod(join(dir, 'ca.key'), 0o600);
    await rm(join(dir, 'apiserver.crt'), { force: true });
    await rm(join(dir, 'admin.crt'), { force: true });
  }
  const sans = serverSans(listenHost).join(',');
  const sansFile = join(dir, 'apiserver.sans');
  const oldSans = existsSync(sansFile) ? (await readFile(sansFile, 'utf8')).trim() : '';
  if (!existsSync(join(dir, 'apiserver.crt')) || oldSans !== sans) {
    await issue(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`,
    );
    await writeFile(sansFile, `${sans}\n`);
  }
  if (!existsSync(join(dir, 'admin.crt'))) {
    await issue(
      dir,
      'admin',
      '/O=system:masters/CN=admin',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
    );
  }
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  return {
    caCert: await read('ca.crt'),
    serverCert: await read('apiserver.crt'),
    serverKey: await read('apiserver.key'),
    adminCert: await read('admin.crt'),
    adminKey: await read('admin.key'),
  };
}

/** An openssl `-subj` value: `/` and `=` inside values are escaped. */
const subjectValue = (v: string) => v.replace(/[\\/=+]/g, (c) => `\\${c}`);

export interface ClientCert {
  caCert: string;
  cert: string;
  key: string;
}

/**
 * A client certificate signed by the cluster CA in DATA_DIR/pki: CN = user, one O per group, as
 * kube-apiserver's x509 authenticator reads them. Nothing is kept on disk but the CA.
 */
export async function issueClientCert(
  dataDir: string,
  user: string,
  groups: string[],
  days = 365,
): Promise<ClientCert> {
  const pki = join(dataDir, 'pki');
  if (!existsSync(join(pki, 'ca.crt')) || !existsSync(join(pki, 'ca.key')))
    throw new Error(
      `no cluster CA in ${pki}: start \`corral server\` or \`corral up\` with this --data-dir first (it creates the CA)`,
    );
  if (!user) throw new Error('the user name (CN) must not be empty');
  const subject = [...groups.map((g) => `/O=${subjectValue(g)}`), `/CN=${subjectValue(user)}`].join('');
  const tmp = await mkdtemp(join(pki, 'issue-'));
  try {
    await issue(
      tmp,
      'client',
      subject,
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
      pki,
      days,
    );
    return {
      caCert: await readFile(join(pki, 'ca.crt'), 'utf8'),
      cert: await readFile(join(tmp, 'client.crt'), 'utf8'),
      key: await readFile(join(tmp, 'client.key'), 'utf8'),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
