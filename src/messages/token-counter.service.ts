import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { planCount, tokensOf } from './text-tokens';

// The tokenizer lives on a worker thread: loading its tables takes a few hundred milliseconds (and about
// 70 MB), which on the main thread would hold up every other request on the first count. It is started on
// the first count, not at start-up, so a router nobody asks to count never pays for it. The main thread
// only plans what to count (text-tokens.ts bounds it) and sums.

// Plain JavaScript, so it runs the same from dist/ and under ts-jest. Text that happens to contain
// "<|endoftext|>" is counted as text, not refused.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { countTokens } = require(workerData.tokenizer);
const plain = { disallowedSpecial: new Set() };
parentPort.on('message', ({ id, pieces }) => {
  try {
    parentPort.postMessage({ id, counts: pieces.map((piece) => countTokens(piece, plain)) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message) });
  }
});
`;

interface Pending {
  resolve(counts: number[]): void;
  reject(err: Error): void;
}

interface TokenizerThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** Counts texts with o200k_base on a worker thread, in bounded work (see text-tokens.ts). */
@Injectable()
export class TokenCounterService implements OnModuleDestroy {
  private thread?: TokenizerThread;
  private nextId = 0;

  async count(texts: readonly string[]): Promise<number> {
    const plan = planCount(texts);
    if (plan.pieces.length === 0) return 0;
    return tokensOf(plan, await this.tokenize(plan.pieces));
  }

  async onModuleDestroy(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }

  private tokenize(pieces: string[]): Promise<number[]> {
    const thread = (this.thread ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, pieces });
    });
  }

  private start(): TokenizerThread {
    // Resolved here (cheap: the module is not loaded), so the worker finds it whatever the working directory.
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { tokenizer: require.resolve('gpt-tokenizer') } });
    // Never what keeps the process alive (the HTTP server is).
    worker.unref();
    const thread: TokenizerThread = { worker, pending: new Map() };
    worker.on('message', (answer: { id: number; counts?: number[]; error?: string }) => {
      const pending = thread.pending.get(answer.id);
      thread.pending.delete(answer.id);
      if (answer.counts) pending?.resolve(answer.counts);
      else pending?.reject(new Error(`tokenizer: ${answer.error}`));
    });
    const fail = (err: Error) => {
      // The next count starts a new worker; the counts waiting on this one fail (a 500, logged).
      if (this.thread === thread) this.thread = undefined;
      for (const pending of thread.pending.values()) pending.reject(err);
      thread.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the tokenizer worker exited with code ${code}`)));
    return thread;
  }
}
