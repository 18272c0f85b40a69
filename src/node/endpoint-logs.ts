// GET /logs of the agent's endpoint: a container's log as `kubectl logs` prints it.
//   ?pod=&namespace=&container=[&follow=1][&previous=1][&timestamps=1][&sinceTime=RFC3339]
//    [&tailLines=N][&limitBytes=N]
// Errors (no such pod, container waiting, no previous instance, a malformed option) are a 404
// whose body is the message. With follow=1 new records are sent as they are written, until the
// instance that was read stops running, the byte limit is reached or the client goes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeAgent } from './agent.js';
import { instanceLog, LogFormatter, logOptions, LogTail } from './log-read.js';
import type { PodWorker } from './pod-worker.js';
import type { ContainerStatus } from './types.js';

export function containerStatus(w: PodWorker, ctr: string): ContainerStatus | undefined {
  const st = w.status();
  return [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? [])].find((c) => c.name === ctr);
}

export function serveLogs(
  agent: NodeAgent,
  { w, ctr }: { w: PodWorker; ctr: string },
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const q = url.searchParams;
  const previous = q.get('previous') === '1' || q.get('previous') === 'true';
  const fmt = new LogFormatter(logOptions(q));
  const st = containerStatus(w, ctr);
  const file = instanceLog(agent.logDir(w, ctr), w.pod.metadata.name, st, previous);
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  if (!file) return void res.end();
  // The instance being read, when it is the running one: following stops when it ends.
  const running = !previous && st?.state.running ? w.running(ctr)?.id : undefined;
  const log = new LogTail(file, 0);
  const pump = (): void => {
    const out = fmt.format(log.read());
    if (out.length) res.write(out);
  };
  pump();
  if (q.get('follow') !== '1' || !running || fmt.done) return void res.end();
  res.flushHeaders();
  let last = false;
  const t = setInterval(() => {
    pump();
    if (fmt.done || last) {
      clearInterval(t);
      res.end();
    }
    // One more read after the instance ended: the writer may still hold its last lines.
    if (w.running(ctr)?.id !== running) last = true;
  }, 200);
  req.on('close', () => clearInterval(t));
}
