// `corral inspect CONTAINER...`: a JSON array, one object per container, in podman's shape
// (Id, Name, Created, Path, Args, State, Image, Config, HostConfig, Mounts, LogPath...).
import { Engine, type ContainerView } from '../engine/engine.js';
import { oneLine } from '../engine/errors.js';

export function inspectView(v: ContainerView, logPath: string): Record<string, unknown> {
  const { record: r, state: s } = v;
  return {
    Id: r.id,
    Name: r.name,
    Created: r.created,
    Path: r.args[0],
    Args: r.args.slice(1),
    State: {
      Status: s.status,
      Running: s.status === 'running',
      Pid: s.status === 'running' ? (s.pid ?? 0) : 0,
      ExitCode: s.exitCode ?? 0,
      OOMKilled: !!s.oomKilled,
      StartedAt: s.startedAt ?? '',
      FinishedAt: s.finishedAt ?? '',
      ...(s.error ? { Error: s.error } : {}),
    },
    Image: r.imageId,
    ImageName: r.imageName,
    ImageDigest: r.imageDigest,
    Rootfs: r.rootfs ?? '',
    LogPath: logPath,
    Config: {
      Hostname: r.hostname,
      User: r.run.user ?? '',
      Cmd: r.run.cmd,
      Entrypoint: r.run.entrypoint ?? null,
      Env: r.run.env,
      WorkingDir: r.run.workdir ?? '',
      Tty: r.run.tty,
      OpenStdin: r.run.interactive,
    },
    HostConfig: {
      AutoRemove: r.run.rm,
      NetworkMode: r.run.network,
      ReadonlyRootfs: r.run.readOnly,
      Memory: r.run.memory ?? 0,
      NanoCpus: r.run.cpus ? Math.round(r.run.cpus * 1e9) : 0,
      PidsLimit: r.run.pidsLimit,
      CgroupsPath: r.cgroupsPath,
    },
    ProcessUser: r.user,
    Mounts: r.run.volumes.map((m) => ({
      Type: 'bind',
      Source: m.source,
      Destination: m.destination,
      RW: !m.readonly,
    })),
  };
}

export async function inspectCommand(dataDir: string, refs: string[]): Promise<number> {
  const engine = new Engine({ dataDir });
  const out: Record<string, unknown>[] = [];
  let code = 0;
  for (const ref of refs) {
    try {
      const v = await engine.view(ref);
      out.push(inspectView(v, engine.store.logPath(v.record.id)));
    } catch (e) {
      process.stderr.write(`corral: ${oneLine(e)}\n`);
      code = 125;
    }
  }
  process.stdout.write(JSON.stringify(out, null, 4) + '\n');
  return code;
}
