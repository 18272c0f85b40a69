// `corral server`: the Kubernetes API server alone (no node agent), with its admin kubeconfig.
import { runServer } from '../api/server/run.js';
import { openStorage } from '../api/storage/open.js';
import { resolveDataDir } from './data-dir.js';

export interface ServerFlags {
  listen: string;
  datastore: string;
  insecureHttp?: boolean;
  tokenAuthFile?: string;
  anonymousAuth?: boolean;
  authorizationMode?: string;
}

export async function server(dataDirFlag: string | undefined, flags: ServerFlags): Promise<void> {
  await runServer({
    dataDir: resolveDataDir(dataDirFlag),
    listen: flags.listen,
    datastore: flags.datastore,
    insecureHttp: !!flags.insecureHttp,
    tokenAuthFile: flags.tokenAuthFile,
    anonymousAuth: !!flags.anonymousAuth,
    authorizationMode: flags.authorizationMode,
    openStorage: (spec) => openStorage(spec),
  });
}
