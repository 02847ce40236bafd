import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeUpstream } from './fake-upstream';

// The built router as a user runs it: `node dist/main.js …` (or $LLMROUTER_MAIN), in its own working
// directory, with only the environment each test gives it.

const MAIN = resolve(__dirname, '..', process.env.LLMROUTER_MAIN ?? 'dist/main.js');
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' };

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
}

const running: ChildProcess[] = [];

function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'llmrouter-cli-'));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Runs a command that is expected to exit by itself. */
function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: opts.cwd ?? emptyDir(), env: { ...BASE_ENV, ...opts.env } });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`"${args.join(' ')}" did not exit; stderr: ${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts a router on 127.0.0.1 and waits until /health answers. */
async function start(args: string[], opts: { cwd?: string; env?: Record<string, string>; port?: number } = {}): Promise<Running> {
  const port = opts.port ?? (await freePort());
  // A given port is passed by the test's own flags.
  const listen = opts.port === undefined ? ['--host', '127.0.0.1', '--port', String(port)] : [];
  const child = spawn(process.execPath, [MAIN, ...listen, ...args], {
    cwd: opts.cwd ?? emptyDir(),
    env: { ...BASE_ENV, ...opts.env },
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`router did not start; stderr: ${stderr}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, stdout: () => stdout, stderr: () => stderr };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      r();
    });
    child.kill('SIGTERM');
  });
}

const chat = (url: string, key: string, model = 'ollama/llama3.2') =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
  });

describe('command line (built router)', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
  });

  afterAll(async () => {
    await Promise.all(running.map(stop));
    await upstream?.close();
  });

  function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
    const path = join(dir, 'config.json');
    writeFileSync(
      path,
      JSON.stringify({
        backends: [
          { name: 'ollama', base_url: upstream.url, prefix: 'ollama/', default: true },
          { name: 'groq', base_url: upstream.url, prefix: 'groq/', key_env_var: 'GROQ_API_KEY' },
        ],
        ...extra,
      }),
    );
    return path;
  }

  it('--help prints usage and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: /);
    for (const flag of ['--config', '--port', '--host', '--llmrouter-api-key', '--llmrouter-api-key-env', '--log-level']) expect(stdout).toContain(flag);
    expect(stderr).toBe('');
  });

  it.each([
    [['--bogus'], /unknown option: --bogus/],
    [['--log-level', 'loud'], /--log-level must be one of error, warn, info, debug/],
    [['--log-level=verbose'], /--log-level must be one of/],
    [['--port', 'eleven'], /--port must be/],
  ])('%j prints a one-line error and exits 2', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });

  it.each([
    ['-flag value', (config: string, port: number) => ['-config', config, '-port', String(port), '-log-level', 'debug', '-llmrouter-api-key-env', 'MY_ROUTER_KEY']],
    ['-flag=value', (config: string, port: number) => [`-config=${config}`, `-port=${port}`, '-log-level=debug', '-llmrouter-api-key-env=MY_ROUTER_KEY']],
    ['--flag value', (config: string, port: number) => ['--config', config, '--port', String(port), '--log-level', 'debug', '--llmrouter-api-key-env', 'MY_ROUTER_KEY']],
  ])('starts with the Go original flags written %s, taking the key from the named variable', async (_form, args) => {
    const dir = emptyDir();
    const port = await freePort();
    const config = writeConfig(dir, { host: '127.0.0.1' });
    const router = await start(args(config, port), { cwd: dir, port, env: { MY_ROUTER_KEY: 'rsk_from_my_variable', LLMROUTER_API_KEY: 'rsk_not_this_one' } });
    expect((await chat(router.url, 'rsk_from_my_variable')).status).toBe(200);
    expect((await chat(router.url, 'rsk_not_this_one')).status).toBe(401);
    // -log-level debug took effect: debug lines are written.
    expect(router.stdout()).toMatch(/"level":"debug"/);
    expect(router.stdout()).toContain(config);
    await stop(router.child);
  });

  it('takes the router key from -llmrouter-api-key=KEY', async () => {
    const dir = emptyDir();
    const router = await start([`-config=${writeConfig(dir)}`, '-llmrouter-api-key=rsk_single_dash_key'], { cwd: dir });
    expect((await chat(router.url, 'rsk_single_dash_key')).status).toBe(200);
    await stop(router.child);
  });

  it('lists every problem of an invalid config and exits 1', async () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        listening_port: 'eleven',
        aliases: { o1: 'openai/o1' },
        backends: [
          { name: 'a', base_url: 'ftp://a', prefix: 'a/', default: true },
          { name: 'b', base_url: 'http://b', prefix: 'a/', default: true, weight: -1 },
          { name: 'c', base_url: 'http://c', prefix: '' },
          { name: 'd', base_url: 'http://d', prefix: 'd/', default: true },
        ],
      }),
    );
    const { code, stderr, stdout } = await run([], { cwd: dir });
    expect(code).toBe(1);
    for (const path of ['listening_port:', 'backends[0].base_url:', 'backends[2].prefix:', 'backends[1].weight:', 'backends: only one backend may be the default']) {
      expect(stderr).toContain(path);
    }
    expect(stdout).not.toContain('listening on');
  });

  it('reports a config that is not JSON and exits 1', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'broken.json'), '{"backends": [');
    const { code, stderr } = await run(['--config', 'broken.json'], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toContain('not valid JSON');
  });

  it('generates a strong key when none is configured, prints it once in a banner, and accepts it', async () => {
    const dir = emptyDir();
    const router = await start(['--config', writeConfig(dir)], { cwd: dir });
    const keys = router.stdout().match(/rsk_[A-Za-z0-9_-]+/g) ?? [];
    expect(keys).toHaveLength(1);
    const key = keys[0] ?? '';
    expect(key).toMatch(/^rsk_[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(key.slice(4), 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(router.stdout()).toMatch(/={20,}[\s\S]*rsk_[\s\S]*LLMROUTER_API_KEY=[\s\S]*={20,}/);
    expect(router.stderr()).not.toContain(key);

    expect((await chat(router.url, key)).status).toBe(200);
    expect(upstream.last.headers.authorization).toBeUndefined();
    expect((await chat(router.url, 'rsk_something_else')).status).toBe(401);
    // Requests were logged; the key still appears only in the banner.
    expect(router.stdout().match(new RegExp(key, 'g'))).toHaveLength(1);
  });

  it('starts despite a missing backend key and unknown fields, warning about each (names, never values)', async () => {
    const dir = emptyDir();
    const config = writeConfig(dir, { colour: 'blue' });
    const raw = JSON.parse(readFileSync(config, 'utf8'));
    raw.backends.push({ name: 'openai', base_url: upstream.url, prefix: 'openai/', require_api_key: true, key_env_var: 'OPENAI_API_KEY' });
    writeFileSync(config, JSON.stringify(raw));
    const before = upstream.requests.length;
    const router = await start(['--llmrouter-api-key', 'rsk_k'], { cwd: dir, env: { GROQ_API_KEY: 'gsk_secret_value' } });
    const res = await chat(router.url, 'rsk_k', 'openai/gpt-4o');
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.message).toContain('OPENAI_API_KEY');
    expect(upstream.requests.length).toBe(before);
    const logs = router.stdout() + router.stderr();
    expect(logs).toMatch(/openai[^\n]*OPENAI_API_KEY is not set/);
    expect(logs).toContain('colour: unknown field');
    expect(logs).not.toContain('gsk_secret_value');
    expect(logs).not.toContain('rsk_k');
  });

  it('loads .env from the working directory, and a variable already in the environment wins', async () => {
    const dir = emptyDir();
    writeConfig(dir);
    writeFileSync(join(dir, '.env'), 'LLMROUTER_API_KEY=key-from-dotenv\nGROQ_API_KEY=gsk_from_dotenv\n');
    const router = await start([], { cwd: dir, env: { LLMROUTER_API_KEY: 'key-from-environment' } });
    expect(router.stdout()).not.toMatch(/rsk_/);
    expect((await chat(router.url, 'key-from-environment', 'groq/llama')).status).toBe(200);
    // The backend key came from .env, since the environment did not set it.
    expect(upstream.last.headers.authorization).toBe('Bearer gsk_from_dotenv');
    expect((await chat(router.url, 'key-from-dotenv')).status).toBe(401);
    expect(router.stdout()).not.toContain('gsk_from_dotenv');
    expect(router.stdout()).not.toContain('key-from-environment');
  });

  it('starts on the embedded default without a config file, says so, and takes --llmrouter-api-key=KEY', async () => {
    const router = await start(['--llmrouter-api-key=rsk_from_flag'], {
      env: { OLLAMA_BASE_URL: upstream.url, LLMROUTER_API_KEY: 'loses-to-the-flag' },
    });
    expect(router.stdout()).toContain('embedded default');
    expect(router.stdout()).not.toMatch(/rsk_/);
    expect((await chat(router.url, 'rsk_from_flag', 'ollama/phi4')).status).toBe(200);
    expect(upstream.last.body.model).toBe('phi4');
    expect((await chat(router.url, 'loses-to-the-flag')).status).toBe(401);
  });

  it('`keys create NAME` prints a new key and an api_keys entry holding its SHA-256', async () => {
    const { code, stdout } = await run(['keys', 'create', 'alice']);
    expect(code).toBe(0);
    const key = (stdout.match(/rsk_[A-Za-z0-9_-]{43,}/) ?? [])[0];
    expect(key).toBeDefined();
    const entry = JSON.parse((stdout.match(/\{[\s\S]*\}/) ?? ['{}'])[0]);
    expect(entry.name).toBe('alice');
    expect(entry.key_sha256).toBe(createHash('sha256').update(key!).digest('hex'));
    expect(JSON.stringify(entry)).not.toContain(key);
  });
});
