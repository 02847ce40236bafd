import type { Cluster, Worker } from 'node:cluster';

// One request/response channel between cluster workers and the primary, over the IPC pipe Node's cluster
// already opens for each worker. The primary keeps the state every worker must agree on (stored responses,
// usage, rate limits, the dashboard's traffic) when there is no Redis; workers ask it. The primary can also
// ask every worker at once (their metrics, their open requests). Messages are tagged so they do not mix
// with rate-limiter-flexible's and Node's own messages on the same pipe.

const CALL = 'llmrouter:ipc';
const REPLY = 'llmrouter:ipc-reply';
/** Set by the primary in each worker's environment: the primary answers on this channel. */
export const SHARED_STATE_ENV = 'LLMROUTER_SHARED_STATE';
const CALL_TIMEOUT_MS = 5_000;
/** Fire-and-forget messages of one event-loop turn travel as one: args are [method, args] pairs. */
const BATCH = 'llmrouter:batch';

interface IpcCall {
  tag: typeof CALL;
  /** 0 for a message that wants no answer. */
  id: number;
  method: string;
  args: unknown[];
}

interface IpcReply {
  tag: typeof REPLY;
  id: number;
  value?: unknown;
  error?: string;
}

export type IpcHandler = (...args: any[]) => unknown;

interface Port {
  send(msg: unknown, handle: undefined, options: object, callback: (err: Error | null) => void): boolean;
}

function tagOf(msg: unknown): unknown {
  return typeof msg === 'object' && msg !== null ? (msg as { tag?: unknown }).tag : undefined;
}

/** Runs the handler a call names and sends its result (or its error) back, when the call wants one. */
async function answer(handlers: Map<string, IpcHandler>, call: IpcCall, port: Port, connected: () => boolean): Promise<void> {
  if (call.method === BATCH && call.id === 0 && Array.isArray(call.args)) {
    for (const [method, args] of call.args as Array<[string, unknown[]]>) void answer(handlers, { tag: CALL, id: 0, method, args }, port, connected);
    return;
  }
  let reply: IpcReply;
  try {
    const handler = handlers.get(call.method);
    if (!handler) throw new Error(`no handler for ${call.method}`);
    reply = { tag: REPLY, id: call.id, value: await handler(...(Array.isArray(call.args) ? call.args : [])) };
  } catch (err) {
    reply = { tag: REPLY, id: call.id, error: err instanceof Error ? err.message : String(err) };
  }
  if (call.id !== 0 && connected()) post(port, reply, () => undefined);
}

// With a callback, a closed channel (a process shutting down) is reported there instead of as an 'error'
// event on the process, which nothing would catch.
function post(port: Port, msg: IpcCall | IpcReply, failed: (err: Error) => void): void {
  try {
    port.send(msg, undefined, {}, (err) => {
      if (err) failed(err);
    });
  } catch (err) {
    failed(err as Error);
  }
}

/** Calls waiting for their reply, each bounded in time. */
class PendingCalls {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  start<T>(method: string, timeoutMs: number, send: (id: number, failed: (err: Error) => void) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      send(id, (err) => {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  settle(reply: IpcReply): void {
    const call = this.pending.get(reply.id);
    if (!call) return;
    this.pending.delete(reply.id);
    clearTimeout(call.timer);
    if (reply.error !== undefined) call.reject(new Error(reply.error));
    else call.resolve(reply.value);
  }
}

/** The primary's side: answers what workers ask, and asks every worker. */
export class IpcServer {
  private readonly handlers = new Map<string, IpcHandler>();
  private readonly calls = new Map<Worker, PendingCalls>();
  /** Workers that are listening: their providers exist, so they answer. */
  private readonly listening = new Set<Worker>();

  constructor(cluster: Pick<Cluster, 'on'>) {
    cluster.on('message', (worker: Worker, msg: unknown) => {
      const tag = tagOf(msg);
      if (tag === CALL) void answer(this.handlers, msg as IpcCall, worker as unknown as Port, () => worker.isConnected());
      else if (tag === REPLY) this.calls.get(worker)?.settle(msg as IpcReply);
    });
    cluster.on('listening', (worker: Worker) => this.listening.add(worker));
    cluster.on('exit', (worker: Worker) => {
      this.listening.delete(worker);
      this.calls.delete(worker);
    });
  }

  handle(method: string, handler: IpcHandler): void {
    this.handlers.set(method, handler);
  }

  /** What each listening worker answers to `method`; a worker that fails or is slow is left out. */
  async askWorkers<T>(method: string, timeoutMs: number, ...args: unknown[]): Promise<T[]> {
    const workers = [...this.listening].filter((w) => w.isConnected());
    const answers = await Promise.allSettled(
      workers.map((worker) => {
        let calls = this.calls.get(worker);
        if (!calls) this.calls.set(worker, (calls = new PendingCalls()));
        return calls.start<T>(method, timeoutMs, (id, failed) => post(worker as unknown as Port, { tag: CALL, id, method, args }, failed));
      }),
    );
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  }
}

/** A worker's side: calls the primary and waits (bounded) for its answer; answers what the primary asks. */
export class IpcClient {
  private static instance: IpcClient | undefined;
  private readonly calls = new PendingCalls();
  private readonly handlers = new Map<string, IpcHandler>();
  private queued: Array<[string, unknown[]]> = [];

  private constructor(private readonly port: Port & Pick<NodeJS.Process, 'on'>) {
    port.on('message', (msg: unknown) => {
      const tag = tagOf(msg);
      if (tag === REPLY) this.calls.settle(msg as IpcReply);
      else if (tag === CALL) void answer(this.handlers, msg as IpcCall, port, () => true);
    });
  }

  /** The channel when this process is a worker whose primary keeps the shared state; undefined otherwise. */
  static get(): IpcClient | undefined {
    if (process.env[SHARED_STATE_ENV] !== 'ipc' || typeof process.send !== 'function') return undefined;
    return (IpcClient.instance ??= new IpcClient(process as unknown as Port & NodeJS.Process));
  }

  /** For tests: a channel over any port (an EventEmitter with send). */
  static over(port: Pick<NodeJS.Process, 'send' | 'on'>): IpcClient {
    return new IpcClient(port as unknown as Port & NodeJS.Process);
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    // What this worker sent before reaches the primary first.
    this.flush();
    return this.calls.start<T>(method, CALL_TIMEOUT_MS, (id, failed) => post(this.port, { tag: CALL, id, method, args }, failed));
  }

  /**
   * Fire and forget (counters), sent with the others of this event-loop turn as one message: the request
   * path pays for one pipe write per turn, not one per counter. The pipe keeps the order.
   */
  send(method: string, ...args: unknown[]): void {
    if (this.queued.push([method, args]) === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    post(this.port, { tag: CALL, id: 0, method: BATCH, args: batch }, () => undefined);
  }

  /** What this worker answers when the primary asks every worker for `method`. */
  answer(method: string, handler: IpcHandler): void {
    this.handlers.set(method, handler);
  }
}
