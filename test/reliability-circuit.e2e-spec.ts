import { completion, FakeUpstream, json } from './fake-upstream';
import { backend, startRouter, type RunningRouter } from './router-harness';
import { chatBody, post, sleep } from './reliability-support';

// The circuit breaker, observed from outside: which backend each fake says it was asked, and how often.

const COOLDOWN_MS = 400;

describe('circuit breaker', () => {
  let flaky: FakeUpstream;
  let spare: FakeUpstream;
  let router: RunningRouter;
  let failing = false;
  let answerDelayMs = 0;

  beforeAll(async () => {
    flaky = await FakeUpstream.start();
    spare = await FakeUpstream.start();
    router = await startRouter({
      backend_defaults: { retries: 0 },
      aliases: { both: ['flaky/m', 'spare/m'], spare_first: ['spare/m', 'flaky/m'] },
      backends: [
        backend('flaky', flaky.url, { circuit_failures: 3, circuit_cooldown_ms: COOLDOWN_MS }),
        backend('spare', spare.url),
      ],
    });
    flaky.handle(async (req, res) => {
      if (answerDelayMs) await sleep(answerDelayMs);
      if (failing) json(res, 503, { error: { message: 'down', type: 'server_error', code: null } });
      else json(res, 200, completion('m', 'flaky says hi'));
    });
  });
  afterAll(async () => {
    await router.close();
    await flaky.close();
    await spare.close();
  });
  beforeEach(() => {
    failing = false;
    answerDelayMs = 0;
  });

  const served = async (model: string) => (await post(router.url, chatBody(model))).headers.get('x-llmrouter-backend');

  /** Fails `circuit_failures` requests in a row, so the circuit opens; each falls back to the spare. */
  async function openCircuit(): Promise<void> {
    failing = true;
    for (let i = 0; i < 3; i++) expect(await served('both')).toBe('spare');
    failing = false;
  }

  it('a success resets the count of failures in a row', async () => {
    failing = true;
    await served('both');
    await served('both');
    failing = false;
    expect(await served('both')).toBe('flaky');
    failing = true;
    await served('both');
    await served('both');
    failing = false;
    const before = flaky.requests.length;
    expect(await served('both')).toBe('flaky');
    expect(flaky.requests.length).toBe(before + 1);
  });

  it('opens after circuit_failures failures in a row: requests with another target skip the backend', async () => {
    await openCircuit();
    const before = flaky.requests.length;
    for (let i = 0; i < 3; i++) expect(await served('both')).toBe('spare');
    expect(flaky.requests.length).toBe(before);
    await sleep(COOLDOWN_MS + 50); // leave the circuit ready for the next test to close
    expect(await served('both')).toBe('flaky');
  });

  it('still tries an open backend for a request that has no other target', async () => {
    await openCircuit();
    failing = true;
    const before = flaky.requests.length;
    const res = await post(router.url, chatBody('flaky/m'));
    expect(res.status).toBe(503);
    expect(flaky.requests.length).toBe(before + 1);
    failing = false;
    await sleep(COOLDOWN_MS + 50);
    expect(await served('both')).toBe('flaky');
  });

  it('after the cooldown, exactly one trial request goes to the backend while the others use the fallback', async () => {
    await openCircuit();
    await sleep(COOLDOWN_MS + 50);
    answerDelayMs = 300; // the trial is still in flight while the other requests arrive
    const before = flaky.requests.length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => served('both')));
    expect(flaky.requests.length).toBe(before + 1);
    expect(answers.filter((b) => b === 'flaky')).toHaveLength(1);
    expect(answers.filter((b) => b === 'spare')).toHaveLength(5);
    // The trial succeeded: the circuit is closed again.
    answerDelayMs = 0;
    expect(await served('both')).toBe('flaky');
  });

  it('a failed trial opens the circuit again for another cooldown', async () => {
    await openCircuit();
    await sleep(COOLDOWN_MS + 50);
    failing = true;
    const before = flaky.requests.length;
    expect(await served('both')).toBe('spare'); // the trial, failed, fell back
    expect(flaky.requests.length).toBe(before + 1);
    failing = false;
    expect(await served('both')).toBe('spare'); // open again: skipped
    expect(flaky.requests.length).toBe(before + 1);
    await sleep(COOLDOWN_MS + 50);
    expect(await served('both')).toBe('flaky');
  });

  it('a trial slot is not lost when the request is served before reaching that backend', async () => {
    await openCircuit();
    await sleep(COOLDOWN_MS + 50);
    // The spare comes first and answers, so the cooled-down backend is never reached by this request...
    expect(await served('spare_first')).toBe('spare');
    // ...and the next request that puts it first still gets to run the trial.
    expect(await served('both')).toBe('flaky');
  });
});
