import { AggregatorRegistry, type Registry } from 'prom-client';
import type { IpcClient, IpcServer } from '../cluster/ipc-channel';

// With `workers` > 1, a scrape reaches one worker; that worker asks the primary, which asks every
// listening worker for its registry and sums them (prom-client's AggregatorRegistry.aggregate: counters and
// histograms add up, and each metric says how it is merged), so any worker answers for the whole router.
// A worker that is starting or stuck is left out after COLLECT_TIMEOUT_MS rather than failing the scrape.

const COLLECT_TIMEOUT_MS = 2_000;

/** A worker's side: answers the primary's requests for this registry's metrics. */
export function offerToPrimary(ipc: IpcClient, registry: Registry): void {
  ipc.answer('metrics.json', () => registry.getMetricsAsJSON());
}

/** The primary's side. */
export function serveMetrics(server: IpcServer): void {
  server.handle('metrics.render', async () => {
    const perWorker = await server.askWorkers<Awaited<ReturnType<Registry['getMetricsAsJSON']>>>('metrics.json', COLLECT_TIMEOUT_MS);
    const sum = AggregatorRegistry.aggregate(perWorker);
    return { contentType: sum.contentType, body: await sum.metrics() };
  });
}
