import type { Cluster, Worker } from 'node:cluster';

// One request/response channel between cluster workers and the primary, over the IPC pipe Node's cluster
// already opens for each worker. The primary keeps the state every worker must agree on (stored responses,
// usage, the dashboard's traffic) when there is no Redis; workers ask it. Messages are tagged so they do not
// mix with rate-limiter-flexible's and prom-client's own messages on the same pipe.

const TAG = 'llmrouter:ipc';
/** Set by the primary in each worker's environment: the primary answers on this channel. */
export const SHARED_STATE_ENV = 'LLMROUTER_SHARED_STATE';
const CALL_TIMEOUT_MS = 5_000;

interface IpcRequest {
  tag: typeof TAG;
  /** 0 for a message that wants no answer. */
  id: number;
  method: string;
  args: unknown[];
}

interface IpcReply {
  tag: typeof TAG;
  id: number;
  value?: unknown;
  error?: string;
}

export type IpcHandler = (...args: any[]) => unknown;

function isTagged(msg: unknown): msg is { tag: string } {
  return typeof msg === 'object' && msg !== null && (msg as { tag?: unknown }).tag === TAG;
}

/** The primary's side: runs the handler a worker names and sends the result back to that worker. */
export class IpcServer {
  private readonly handlers = new Map<string, IpcHandler>();

  constructor(cluster: Pick<Cluster, 'on'>) {
    cluster.on('message', (worker: Worker, msg: unknown) => {
      if (isTagged(msg)) void this.answer(worker, msg as IpcRequest);
    });
  }

  handle(method: string, handler: IpcHandler): void {
    this.handlers.set(method, handler);
  }

  private async answer(worker: Pick<Worker, 'send' | 'isConnected'>, msg: IpcRequest): Promise<void> {
    const handler = this.handlers.get(msg.method);
    let reply: IpcReply;
    try {
      if (!handler) throw new Error(`no handler for ${msg.method}`);
      reply = { tag: TAG, id: msg.id, value: await handler(...(Array.isArray(msg.args) ? msg.args : [])) };
    } catch (err) {
      reply = { tag: TAG, id: msg.id, error: err instanceof Error ? err.message : String(err) };
    }
    // A message without an id wants no answer; a worker that has gone cannot take one.
    if (msg.id !== 0 && worker.isConnected()) worker.send(reply as never, undefined, {}, () => undefined);
  }
}

/** A worker's side: calls the primary and waits (bounded) for its answer. */
export class IpcClient {
  private static instance: IpcClient | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  private constructor(private readonly port: Pick<NodeJS.Process, 'send' | 'on'>) {
    port.on('message', (msg: unknown) => {
      if (!isTagged(msg)) return;
      const reply = msg as IpcReply;
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      clearTimeout(call.timer);
      if (reply.error !== undefined) call.reject(new Error(`primary: ${reply.error}`));
      else call.resolve(reply.value);
    });
  }

  /** The channel when this process is a worker whose primary keeps the shared state; undefined otherwise. */
  static get(): IpcClient | undefined {
    if (process.env[SHARED_STATE_ENV] !== 'ipc' || typeof process.send !== 'function') return undefined;
    return (IpcClient.instance ??= new IpcClient(process));
  }

  /** For tests: a channel over any port (an EventEmitter with send). */
  static over(port: Pick<NodeJS.Process, 'send' | 'on'>): IpcClient {
    return new IpcClient(port);
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`primary did not answer ${method} within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post({ tag: TAG, id, method, args }, (err) => {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Fire and forget (counters): the pipe keeps the order of one worker's messages. */
  send(method: string, ...args: unknown[]): void {
    this.post({ tag: TAG, id: 0, method, args }, () => undefined);
  }

  // With a callback, a closed channel (the worker shutting down) is reported there instead of as an
  // 'error' event on process, which nothing would catch.
  private post(msg: IpcRequest, failed: (err: Error) => void): void {
    try {
      this.port.send!(msg, undefined, {}, (err: Error | null) => {
        if (err) failed(err);
      });
    } catch (err) {
      failed(err as Error);
    }
  }
}
