import type { IpcServer } from '../cluster/ipc-channel';
import { TokenCounts, UsageCounters, UsageRow, UsageWindowName } from './usage-counters';

// With `workers` > 1 and no Redis, the usage counters live in the primary: every worker adds to them and
// reads them, so /v1/usage and the dashboard show the whole router whichever worker answers.

/** The primary's side. */
export function serveUsage(server: IpcServer): UsageCounters {
  const counters = new UsageCounters();
  server.handle('usage.add', (key: string, model: string, tokens: TokenCounts, now: number, served: boolean) => counters.add(key, model, tokens, now, served));
  server.handle('usage.rows', (window: UsageWindowName, now: number): UsageRow[] => counters.rows(window, now));
  server.handle('usage.day', (start: number): UsageRow[] => counters.day(start));
  return counters;
}
