import { AggregatorRegistry, type Registry } from 'prom-client';
import type { IpcServer } from '../cluster/ipc-channel';

// With `workers` > 1, a scrape reaches one worker; that worker asks the primary, which collects every
// worker's registry (prom-client's AggregatorRegistry, over the cluster's IPC) and sums them, so any
// worker answers with the whole router's figures.

/** A worker's side: answers the primary's requests for this registry's metrics. */
export function offerToPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // The constructor installs the listener that answers the primary (in a worker).
  new AggregatorRegistry();
}

/** The primary's side. */
export function serveMetrics(server: IpcServer): void {
  const aggregator = new AggregatorRegistry();
  server.handle('metrics.render', async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }));
}
