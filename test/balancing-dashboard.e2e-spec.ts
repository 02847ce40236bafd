/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { ServerResponse } from 'node:http';
import { Chromium } from './chromium';
import { chunk, defaultAnswer, FakeUpstream, type Handler } from './fake-upstream';
import { ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatBody, post, waitFor } from './reliability-support';

// The dashboard's pool card in headless Chromium: each member's load (an open stream counts), the
// strategy, and what each member has been chosen for.

jest.setTimeout(90_000);

describe('a pool in the dashboard, in headless Chromium', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let router: RunningRouter;
  let browser: Chromium;

  beforeAll(async () => {
    a = await FakeUpstream.start();
    b = await FakeUpstream.start();
    router = await startRouter({
      backends: [
        { name: 'gpu-a', base_url: a.url, prefix: 'ollama/', weight: 2, max_concurrent: 4 },
        { name: 'gpu-b', base_url: b.url, prefix: 'ollama/' },
      ],
      load_balancing: { strategy: 'round_robin', session_affinity: true },
    });
    browser = await Chromium.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await router?.close();
    await a?.close();
    await b?.close();
  });

  it('shows the pool with its members, their load against max_concurrent and their counts', async () => {
    for (let i = 0; i < 6; i++) expect((await post(router.url, chatBody('ollama/qwen3'))).status).toBe(200);
    // One stream held open on gpu-a: it counts as in flight until it ends.
    const held: ServerResponse[] = [];
    const hold = (fake: FakeUpstream): Handler => (req, res) => {
      if (req.method === 'GET') return defaultAnswer(fake, req, res); // the dashboard's health probe
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'hi'))}\n\n`);
      held.push(res);
    };
    a.handle(hold(a));
    b.handle(hold(b));
    const stream = post(router.url, chatBody('ollama/qwen3', true, { prompt_cache_key: 'session-shown' }));
    await waitFor(() => held.length === 1, 'the stream to be open');

    expect(await browser.call('goto', { url: `${router.url}/ui` })).toBe(200);
    await browser.call('focus', { selector: '#key' });
    await browser.call('type', { text: ROUTER_KEY });
    await browser.call('press', { key: 'Enter' });
    await browser.waitFor(() => document.querySelectorAll('#pool-list [data-pool="ollama/"] tbody tr').length === 2);
    const view = await browser.evaluate(() => {
      const card = document.querySelector('#pool-list [data-pool="ollama/"]') as HTMLElement;
      return {
        visible: !(document.querySelector('#pool-list') as HTMLElement).hidden,
        pills: card.querySelector('.pills')!.textContent,
        rows: [...card.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())),
        meters: [...card.querySelectorAll('meter')].map((m) => [m.getAttribute('value'), m.getAttribute('max')]),
      };
    });
    held.forEach((res) => res.end('data: [DONE]\n\n'));
    expect((await stream).status).toBe(200);

    expect(view.visible).toBe(true);
    expect(view.pills).toContain('round robin');
    expect(view.pills).toContain('session affinity');
    const streamedOn = a.requests.some((r) => r.body?.stream) ? 0 : 1;
    expect(view.rows.map((r) => r[0])).toEqual(['gpu-a', 'gpu-b']);
    expect(view.rows.map((r) => r[1])).toEqual(['2', '1']);
    // Weights 2:1 over six requests: four and two; the stream is one more on its member.
    expect(view.rows.map((r) => Number(r[3]))).toEqual([4 + (streamedOn === 0 ? 1 : 0), 2 + (streamedOn === 1 ? 1 : 0)]);
    expect(view.rows[0][2]).toContain(`${streamedOn === 0 ? 1 : 0} / 4`);
    expect(view.meters[streamedOn][0]).toBe('1');
  });
});
