import type { IpcServer } from '../cluster/ipc-channel';
import type { EndedAttempt } from './minute-series';
import { LineFilter, RequestLine, TrafficLog } from './traffic-log';

// With `workers` > 1 and no Redis, the dashboard's traffic log lives in the primary: every worker adds its
// finished requests and reads the same lines and series, so the dashboard does not depend on which worker
// answered the poll. Requests open right now are each worker's own: the primary asks them all and adds up.

const IN_FLIGHT_TIMEOUT_MS = 1_000;

/** The primary's side. */
export function serveTraffic(server: IpcServer): TrafficLog {
  const log = new TrafficLog();
  server.handle('traffic.add', (line: RequestLine, attempts: Array<[string, EndedAttempt]>, now: number) => log.add(line, attempts, now));
  server.handle('traffic.lines', (filter: LineFilter) => log.lines(filter));
  server.handle('traffic.backends', (backends: string[], totalMinutes: number, now: number) => log.backends(backends, totalMinutes, now));
  server.handle('traffic.inFlight', async () => {
    const sum = new Map<string, number>();
    for (const counts of await server.askWorkers<Array<[string, number]>>('traffic.inFlight', IN_FLIGHT_TIMEOUT_MS)) {
      for (const [name, n] of counts) sum.set(name, (sum.get(name) ?? 0) + n);
    }
    return [...sum];
  });
  return log;
}
