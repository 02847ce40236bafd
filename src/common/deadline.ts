/**
 * `work`, or a TimeoutError after `ms`. For requests whose own abort signal cannot stop a connect in
 * progress (undici applies the abort once connected): the caller gets its answer on time, and the
 * request left behind ends by the pool's connect timeout.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
