import type { IpcClient, IpcServer } from '../cluster/ipc-channel';
import { MemoryResponseStore } from './memory-response-store';
import type { ResponseStore, SaveOutcome, StoreLimits } from './response-store';

// With `workers` > 1 and no Redis, one memory store in the primary serves every worker, so a response
// stored through one worker is found through any other. Workers send the limits of their config with
// each save: the primary has no config of its own to reload.

export class IpcResponseStore implements ResponseStore {
  constructor(private readonly channel: IpcClient) {}

  save(owner: string, id: string, text: string, itemIds: string[], limits: StoreLimits): Promise<SaveOutcome> {
    return this.channel.call('responses.save', owner, id, text, itemIds, limits);
  }

  async get(owner: string, id: string): Promise<string | undefined> {
    return (await this.channel.call<string | null>('responses.get', owner, id)) ?? undefined;
  }

  async itemHolder(owner: string, itemId: string): Promise<string | undefined> {
    return (await this.channel.call<string | null>('responses.itemHolder', owner, itemId)) ?? undefined;
  }

  delete(owner: string, id: string): Promise<boolean> {
    return this.channel.call('responses.delete', owner, id);
  }
}

/** The primary's side: the one store, answering every worker. */
export function serveResponseStore(server: IpcServer, initial: StoreLimits): MemoryResponseStore {
  const store = new MemoryResponseStore(initial);
  store.sweepPeriodically();
  server.handle('responses.save', (owner: string, id: string, text: string, itemIds: string[], limits: StoreLimits) => {
    store.setLimits(limits);
    return store.save(owner, id, text, itemIds);
  });
  // null, not undefined: the answer crosses the pipe as JSON.
  server.handle('responses.get', (owner: string, id: string) => store.get(owner, id) ?? null);
  server.handle('responses.itemHolder', (owner: string, itemId: string) => store.itemHolder(owner, itemId) ?? null);
  server.handle('responses.delete', (owner: string, id: string) => store.remove(owner, id));
  return store;
}
