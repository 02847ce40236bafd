import cluster from 'node:cluster';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { IpcServer, SHARED_STATE_ENV } from './cluster/ipc-channel';
import type { RouterConfig } from './config/compiled-config';
import { serveTraffic } from './dashboard/ipc-traffic';
import { serveMetrics } from './metrics/cluster-metrics';
import { serveResponseStore } from './responses/ipc-response-store';
import { serveUsage } from './team/ipc-usage';

// With `workers` > 1 the primary keeps what every worker must agree on, so N workers behave as one
// process: stored responses, usage, per-key rate limits and token budgets (rate-limiter-flexible's cluster
// master), the dashboard's traffic log, and it adds up every worker's metrics for a scrape. Workers reach it
// over the IPC pipe Node's cluster opens for each; with `redis_url`, Redis comes first and this is the
// fallback while Redis is away (rate limits: Redis's insurance limiter stays per worker).

/** Starts serving the shared state; returns the environment that tells a worker to use it. */
export function serveSharedState(config: RouterConfig): Record<string, string> {
  const server = new IpcServer(cluster);
  serveResponseStore(server, config.responsesStore);
  serveUsage(server);
  serveTraffic(server);
  serveMetrics(server);
  new RateLimiterClusterMaster();
  return { [SHARED_STATE_ENV]: 'ipc' };
}
