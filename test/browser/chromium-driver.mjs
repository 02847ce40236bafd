// Drives Debian's headless Chromium with puppeteer-core for test/chromium.ts. puppeteer-core is an ES
// module, which jest's CommonJS runtime cannot load on Node 20, so it runs here, in its own process:
// one JSON command per stdin line, one JSON answer per stdout line.
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

const [executablePath, userDataDir] = process.argv.slice(2);
// Flags per the machine notes: no sandbox (root in a container), no GPU, and no background traffic to
// Google's hosts, which this machine's closed network refuses.
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  userDataDir,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const page = await browser.newPage();
const requested = [];
const problems = [];
page.on('request', (req) => requested.push(req.url()));
page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
page.on('console', (msg) => {
  if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
});

const ops = {
  viewport: ({ width, height }) => page.setViewport({ width, height }),
  colorScheme: ({ scheme }) => page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]),
  goto: async ({ url }) => (await page.goto(url, { waitUntil: 'load' }))?.status() ?? null,
  focus: ({ selector }) => page.focus(selector),
  type: ({ text }) => page.keyboard.type(text),
  press: ({ key }) => page.keyboard.press(key),
  click: ({ selector }) => page.click(selector),
  evaluate: ({ expression }) => page.evaluate(expression),
  waitFor: async ({ expression, timeout }) => {
    await page.waitForFunction(expression, { timeout, polling: 100 });
    return true;
  },
  screenshot: async ({ path, fullPage }) => {
    await page.screenshot({ path, fullPage, type: 'png' });
    return true;
  },
  seen: () => ({ requested: [...requested], problems: [...problems] }),
};

const send = (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const { id, op, args } = JSON.parse(line);
  try {
    send({ id, value: (await ops[op](args ?? {})) ?? null });
  } catch (err) {
    send({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
// The test closing stdin (or dying) ends the browser too.
lines.on('close', async () => {
  await browser.close().catch(() => undefined);
  process.exit(0);
});
send({ id: 0, value: 'ready' });
