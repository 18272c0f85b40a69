// `create`: check the flags, resolve the image, take a name and write the container's record
// (status `created`) with its generated /etc/hostname and /etc/hosts. Nothing runs yet; on any
// failure nothing is left.
import { statSync, writeFileSync } from 'node:fs';

import type { EngineContext } from './context.js';
import { EngineError, oneLine } from './errors.js';
import type { ImageRecord } from './images.js';
import { randomName } from './names.js';
import { checkReference, parseRunRequest, type RunRequest } from './options.js';
import { processArgs } from './spec.js';
import type { ContainerRecord } from './store.js';
import { trace } from './trace.js';
import { isoTime } from '../util/iso-time.js';
import { joinClean } from '../util/join-clean.js';

export async function createContainer(ctx: EngineContext, req: RunRequest): Promise<ContainerRecord> {
  const run = parseRunRequest(req);
  checkReference(run.image);
  for (const v of run.volumes) {
    try {
      statSync(v.source);
    } catch {
      throw new EngineError(
        `-v ${v.source}:${v.destination}: the host path ${v.source} does not exist; create it first`,
      );
    }
  }
  let image: ImageRecord;
  try {
    image = await ctx.images.resolve(run.image);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(oneLine(e));
  }
  trace('image resolved');
  const args = processArgs(run, image.config.config ?? {});
  const { store } = ctx;
  const id = store.newId();
  const name = claimName(ctx, run.name, id);
  const rec: ContainerRecord = {
    id,
    name,
    created: isoTime(),
    image: run.image,
    imageName: image.ref,
    imageDigest: image.digest,
    imageId: image.configDigest,
    args,
    run: { ...run, name },
    hostname: run.hostname ?? id.slice(0, 12),
    user: { uid: 0, gid: 0, additionalGids: [] },
    cgroupsPath: `corral-${id.slice(0, 12)}`,
  };
  try {
    store.create(rec, { status: 'created' });
    const dir = store.dir(id);
    writeFileSync(joinClean(dir, 'hostname'), `${rec.hostname}\n`);
    writeFileSync(joinClean(dir, 'hosts'), hostsFile(rec.hostname));
  } catch (e) {
    store.remove(id, name);
    throw e;
  }
  ctx.resolved.set(id, image);
  ctx.records.set(id, rec);
  trace('created record');
  return rec;
}

/** /etc/hosts of a container: localhost, and its name at its address (or 127.0.1.1, as podman). */
export function hostsFile(hostname: string, ip = '127.0.1.1'): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\t${hostname}\n`;
}

/** The --name, or a random one (with part of the id once names collide a lot). */
function claimName(ctx: EngineContext, wanted: string | undefined, id: string): string {
  if (wanted) {
    ctx.store.claimName(wanted, id);
    return wanted;
  }
  for (let i = 0; ; i++) {
    const n = i < 20 ? randomName() : `${randomName()}_${id.slice(0, 6)}`;
    try {
      ctx.store.claimName(n, id);
      return n;
    } catch (e) {
      if (i > 25) throw e;
    }
  }
}
