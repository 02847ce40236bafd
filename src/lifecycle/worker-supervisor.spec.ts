import { EventEmitter } from 'node:events';
import type { Worker } from 'node:cluster';
import { CRASH_WINDOW_MS, FIRST_RETRY_MS, MAX_BOOT_FAILURES, WorkerSupervisor } from './worker-supervisor';

/** A cluster whose workers are plain objects: the test decides when they listen or exit. */
function fakeCluster() {
  const events = new EventEmitter();
  const forked: Array<Worker & { signals: string[] }> = [];
  let pid = 100;
  const cluster = {
    on: (event: string, listener: (...args: unknown[]) => void) => events.on(event, listener),
    fork: () => {
      const signals: string[] = [];
      const worker = { process: { pid: pid++, kill: (s: string) => signals.push(s) }, signals } as unknown as Worker & { signals: string[] };
      forked.push(worker);
      return worker;
    },
  };
  return {
    cluster: cluster as never,
    forked,
    listen: (w: Worker) => events.emit('listening', w, {}),
    exit: (w: Worker, code: number, signal: string | null = null) => events.emit('exit', w, code, signal),
  };
}

function setup(workers = 2) {
  const c = fakeCluster();
  const lines: string[] = [];
  const exits: number[] = [];
  const supervisor = new WorkerSupervisor({ cluster: c.cluster, workers, env: {}, write: (l) => lines.push(l), exit: (code) => exits.push(code) });
  supervisor.start();
  return { ...c, lines, exits, supervisor };
}

describe('WorkerSupervisor', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('replaces a worker that fails at boot after a growing delay, then gives up with a clear message', () => {
    const { forked, exit, lines, exits } = setup(1);
    const delays: number[] = [];
    for (let failure = 1; failure < MAX_BOOT_FAILURES; failure++) {
      exit(forked[forked.length - 1], 1);
      const before = forked.length;
      const delay = FIRST_RETRY_MS * 2 ** (failure - 1);
      jest.advanceTimersByTime(delay - 1);
      expect(forked.length).toBe(before);
      jest.advanceTimersByTime(1);
      expect(forked.length).toBe(before + 1);
      delays.push(delay);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
    exit(forked[forked.length - 1], 1);
    jest.advanceTimersByTime(60_000);
    expect(forked).toHaveLength(MAX_BOOT_FAILURES);
    expect(lines.join('')).toContain(`a worker failed to start ${MAX_BOOT_FAILURES} times in a row (last: exit code 1); giving up`);
    expect(exits).toEqual([1]);
  });

  it('stops the other workers when it gives up', () => {
    const { forked, listen, exit, exits } = setup(2);
    listen(forked[0]);
    for (let i = 0; i < MAX_BOOT_FAILURES; i++) {
      exit(forked[forked.length - 1], 1);
      jest.runOnlyPendingTimers();
    }
    expect(forked[0].signals).toEqual(['SIGTERM']);
    expect(exits).toEqual([]);
    exit(forked[0], 0);
    expect(exits).toEqual([1]);
  });

  it('counts only failures in a row: a worker that listened resets the count', () => {
    const { forked, listen, exit, exits } = setup(1);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_BOOT_FAILURES - 1; i++) {
        exit(forked[forked.length - 1], 1);
        jest.runOnlyPendingTimers();
      }
      listen(forked[forked.length - 1]);
    }
    expect(exits).toEqual([]);
  });

  it('replaces a worker that dies after listening, waiting longer as deaths repeat within a minute', () => {
    const { forked, listen, exit, lines } = setup(2);
    forked.forEach(listen);
    const delays: number[] = [];
    for (let death = 0; death < 6; death++) {
      const before = forked.length;
      exit(forked[forked.length - 1], null as unknown as number, 'SIGSEGV');
      const delay = Number(/starting another in (\d+) ms\n$/.exec(lines.at(-1)!)?.[1]);
      jest.advanceTimersByTime(delay - 1);
      expect(forked).toHaveLength(before);
      jest.advanceTimersByTime(1);
      expect(forked).toHaveLength(before + 1);
      listen(forked[forked.length - 1]);
      delays.push(delay);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(lines[0]).toMatch(/^llm-router: worker \d+ died \(SIGSEGV\); starting another in 500 ms/);
    // A minute without deaths: back to the first delay.
    jest.advanceTimersByTime(CRASH_WINDOW_MS);
    exit(forked[0], 1);
    expect(lines.at(-1)).toContain('died (exit code 1); starting another in 500 ms');
  });

  it('forwards the first SIGINT once, forks nothing while stopping, and exits when every worker is gone', () => {
    const { forked, listen, exit, exits, supervisor } = setup(2);
    forked.forEach(listen);
    supervisor.signal('SIGINT');
    expect(forked.map((w) => w.signals)).toEqual([['SIGINT'], ['SIGINT']]);
    exit(forked[0], 0);
    expect(exits).toEqual([]);
    exit(forked[1], 1, null);
    expect(forked).toHaveLength(2);
    expect(exits).toEqual([0]);
  });

  it('kills the workers on a second signal to the primary', () => {
    const { forked, supervisor } = setup(2);
    supervisor.signal('SIGTERM');
    supervisor.signal('SIGINT');
    expect(forked.map((w) => w.signals)).toEqual([
      ['SIGTERM', 'SIGKILL'],
      ['SIGTERM', 'SIGKILL'],
    ]);
  });

  it('does not fork a replacement scheduled before a stop', () => {
    const { forked, exit, supervisor } = setup(2);
    exit(forked[0], 1);
    supervisor.signal('SIGTERM');
    jest.advanceTimersByTime(60_000);
    expect(forked).toHaveLength(2);
  });
});
