import type { Cluster, Worker } from 'node:cluster';

/** A worker that exits before listening this many times in a row makes the primary give up. */
export const MAX_BOOT_FAILURES = 5;
export const FIRST_RETRY_MS = 500;
export const MAX_RETRY_MS = 10_000;
/** Deaths of running workers within this window make the next replacement wait longer. */
export const CRASH_WINDOW_MS = 60_000;

export interface SupervisorOptions {
  cluster: Pick<Cluster, 'fork' | 'on'>;
  workers: number;
  env: Record<string, string>;
  /** Where the primary's own lines go (stderr). */
  write(line: string): void;
  exit(code: number): void;
}

/**
 * The primary of `workers` > 1: forks the workers, replaces one that dies, and stops them on a signal.
 * A worker that fails before listening (port in use, say) is replaced after a growing delay, and after
 * MAX_BOOT_FAILURES such failures in a row the primary stops with a message instead of forking forever.
 * A running worker that dies is replaced after a delay that grows with the deaths of the last minute, so
 * a request that crashes workers cannot keep the machine busy forking; the others serve meanwhile.
 * Ctrl-C reaches every process of the group and the primary forwards it as well: workers drain once
 * whatever they receive; a second signal to the primary stops them at once (SIGKILL).
 */
export class WorkerSupervisor {
  private readonly alive = new Set<Worker>();
  private readonly booting = new Set<Worker>();
  private bootFailures = 0;
  /** When running workers died, within the last CRASH_WINDOW_MS. */
  private crashes: number[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopping: NodeJS.Signals | undefined;
  private exitCode = 0;

  constructor(private readonly o: SupervisorOptions) {}

  start(): void {
    this.o.cluster.on('listening', (worker) => {
      this.booting.delete(worker);
      this.bootFailures = 0;
    });
    this.o.cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (let i = 0; i < this.o.workers; i++) this.fork();
  }

  /** SIGTERM / SIGINT: forwarded once; a second one kills the workers. SIGHUP (reload) is forwarded. */
  signal(signal: NodeJS.Signals): void {
    if (signal === 'SIGHUP') {
      if (!this.stopping) this.each((w) => w.process.kill(signal));
      return;
    }
    if (this.stopping) {
      this.o.write(`llm-router: ${signal} again: stopping the workers now\n`);
      this.each((w) => w.process.kill('SIGKILL'));
      return;
    }
    this.stop(signal);
  }

  private fork(): void {
    const worker = this.o.cluster.fork(this.o.env);
    this.alive.add(worker);
    this.booting.add(worker);
  }

  private stop(signal: NodeJS.Signals): void {
    this.stopping = signal;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    this.each((w) => w.process.kill(signal));
    if (this.alive.size === 0) this.o.exit(this.exitCode);
  }

  private onExit(worker: Worker, code: number, signal: string | null): void {
    this.alive.delete(worker);
    const duringBoot = this.booting.delete(worker);
    if (this.stopping) {
      if (this.alive.size === 0) this.o.exit(this.exitCode);
      return;
    }
    const how = signal ?? `exit code ${code}`;
    if (!duringBoot) {
      if (code === 0 && !signal) {
        // Drained after a signal sent to it alone: not replaced. The primary goes with the last one.
        if (this.alive.size === 0) this.o.exit(0);
        return;
      }
      const now = Date.now();
      this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
      const delay = retryDelay(this.crashes.length);
      this.o.write(`llm-router: worker ${worker.process.pid} died (${how}); starting another in ${delay} ms\n`);
      this.forkAfter(delay);
      return;
    }
    this.bootFailures++;
    if (this.bootFailures >= MAX_BOOT_FAILURES) {
      this.o.write(
        `llm-router: a worker failed to start ${this.bootFailures} times in a row (last: ${how}); giving up. ` +
          'See the error above (port already in use?).\n',
      );
      this.exitCode = 1;
      this.stop('SIGTERM');
      return;
    }
    const delay = retryDelay(this.bootFailures);
    this.o.write(`llm-router: worker ${worker.process.pid} failed to start (${how}); trying again in ${delay} ms\n`);
    this.forkAfter(delay);
  }

  private forkAfter(delay: number): void {
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.fork();
    }, delay);
    this.retries.add(timer);
  }

  private each(action: (w: Worker) => void): void {
    for (const w of this.alive) action(w);
  }
}

/** 500 ms after the first failure, doubling with each one, at most MAX_RETRY_MS. */
function retryDelay(failures: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
}
