import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoadBalancerService, MemberReport } from '../backends/load-balancer.service';

/**
 * Per pool member figures, read from the balancer when /metrics is scraped (nothing on the request path).
 * Labels are the configured pool prefixes and member names only, so the label sets stay bounded.
 */
export function registerPoolMetrics(registry: Registry, balancer: LoadBalancerService): void {
  const perMember = (name: string, help: string, value: (m: MemberReport) => number, counter: boolean) => {
    const Metric = counter ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: ['pool', 'backend'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of balancer.report()) (this as Counter).inc({ pool: m.pool, backend: m.name }, value(m));
      },
    });
  };
  perMember('llmrouter_pool_member_in_flight', 'Requests a pool member is serving now on this replica (open streams until they end)', (m) => m.inFlight, false);
  perMember('llmrouter_pool_member_chosen_total', 'Attempts sent to a pool member', (m) => m.chosen, true);
  perMember('llmrouter_pool_member_failed_over_total', 'Attempts on a pool member that failed and went on to another member of its pool', (m) => m.failedOver, true);
  perMember('llmrouter_pool_affinity_hits_total', 'Session requests served by their home member (the one their key hashes to)', (m) => m.affinityHits, true);
  perMember('llmrouter_pool_affinity_misses_total', 'Session requests whose home member could not take them (down, open circuit or full): labelled by the home member', (m) => m.affinityMisses, true);
  perMember('llmrouter_pool_member_ttfb_ewma_seconds', "A pool member's recent time to first byte (exponentially weighted average; what the latency strategy compares)", (m) => (m.ttfbEwmaMs ?? 0) / 1000, false);
  new Gauge({
    name: 'llmrouter_pool_waiting',
    help: 'Requests waiting for a pool member below max_concurrent',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, waiting] of balancer.waitingByPool()) this.set({ pool }, waiting);
    },
  });
}
