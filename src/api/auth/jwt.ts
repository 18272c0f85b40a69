// Compact JWS with RS256 over node:crypto (no dependency): what ServiceAccount tokens are. The
// signing key lives in DATA_DIR/pki/sa.key, made on first start like kubeadm's sa.key.
import {
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  createHash,
  type KeyObject,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id: a hash of the public key, as Kubernetes derives it. */
  kid: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function signingKeyFrom(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, kid: createHash('sha256').update(der).digest('base64url') };
}

function newSigningKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** DATA_DIR/pki/sa.key, created when missing. */
export async function ensureSigningKey(dataDir: string): Promise<SigningKey> {
  const dir = join(dataDir, 'pki');
  const path = join(dir, 'sa.key');
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path, newSigningKey(), { mode: 0o600 });
    await chmod(path, 0o600);
  }
  return signingKeyFrom(await readFile(path, 'utf8'));
}

export function signJwt(claims: Record<string, unknown>, key: SigningKey): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', kid: key.kid }));
  const body = b64url(JSON.stringify(claims));
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key.privateKey);
  return `${head}.${body}.${b64url(sig)}`;
}

/** The claims of a token whose shape is a JWS, without checking anything; undefined otherwise. */
export function peekJwt(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token is RS256-signed by the key. */
export function verifyJwt(token: string, key: SigningKey): boolean {
  const [head, body, sig] = token.split('.');
  if (head === undefined || body === undefined || sig === undefined) return false;
  try {
    const h = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
    if (h.alg !== 'RS256') return false;
  } catch {
    return false;
  }
  return createVerify('RSA-SHA256')
    .update(`${head}.${body}`)
    .verify(key.publicKey, Buffer.from(sig, 'base64url'));
}
