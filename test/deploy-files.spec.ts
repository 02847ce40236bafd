import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileConfig } from '../src/config/config-loader';
import { buildDefaultConfig } from '../src/config/default-config';

// No Docker engine runs where the tests do, so the deployment files are checked statically: the compose
// file parses and wires the router to Ollama, the Dockerfile builds small and runs unprivileged, and the
// sample config is one the router accepts.

const root = join(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'));
  const { router, ollama } = compose.services;

  it('has the router, built from the Dockerfile, and the official Ollama image', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['router', 'ollama']));
    expect(router.build === '.' || router.build?.context === '.').toBe(true);
    expect(ollama.image).toMatch(/^ollama\/ollama(:[\w.-]+)?$/);
  });

  it('publishes 11411 for the router and no port for Ollama (it has no key), showing a loopback-only mapping', () => {
    expect(router.ports).toContain('11411:11411');
    expect(ollama.ports).toBeUndefined();
    expect(ollama.expose).toBeUndefined();
    const text = read('docker-compose.yml');
    expect(text).toMatch(/^\s*#\s*-\s*"127\.0\.0\.1:11434:11434"\s*$/m);
    // Nothing else in the file publishes Ollama's port on every interface.
    expect(text).not.toMatch(/^\s*-\s*"?(0\.0\.0\.0:)?11434:11434"?\s*$/m);
  });

  it('keeps Ollama models in a named volume at /root/.ollama', () => {
    const mount = (ollama.volumes as string[]).find((v) => v.split(':')[1] === '/root/.ollama');
    expect(mount).toBeDefined();
    const name = mount!.split(':')[0];
    expect(name).not.toMatch(/^[./~]/);
    expect(Object.keys(compose.volumes)).toContain(name);
  });

  it('checks Ollama health with `ollama list` (the image has no curl) and starts the router once it is healthy', () => {
    expect(ollama.healthcheck.test).toEqual(['CMD', 'ollama', 'list']);
    expect(router.depends_on.ollama.condition).toBe('service_healthy');
    for (const service of [router, ollama]) {
      if (service.healthcheck) expect(JSON.stringify(service.healthcheck.test)).not.toMatch(/curl|wget/);
    }
  });

  it('reads the router key from .env', () => {
    const envFiles = [router.env_file].flat().map((f: string | { path: string }) => (typeof f === 'string' ? f : f.path));
    expect(envFiles).toContain('.env');
  });

  it('points the router’s config at the ollama service', () => {
    const env = router.environment as Record<string, string>;
    expect(env.OLLAMA_BASE_URL).toBe('http://ollama:11434/v1');
    // What the router actually does with that environment and no config file mounted.
    const { config } = compileConfig(buildDefaultConfig(env), 'embedded default', env);
    expect(config.defaultBackend).toMatchObject({ name: 'ollama', prefix: 'ollama/', baseUrl: 'http://ollama:11434/v1' });
    expect(config.port).toBe(11411);
    expect(config.host).toBe('0.0.0.0');
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stageStarts = lines.flatMap((l, i) => (/^FROM\s/i.test(l) ? [i] : []));
  const finalStage = lines.slice(stageStarts[stageStarts.length - 1]);
  const buildStage = lines.slice(stageStarts[0], stageStarts[1]);

  it('is multi-stage on Node 24 slim images', () => {
    expect(stageStarts.length).toBeGreaterThanOrEqual(2);
    for (const i of stageStarts) expect(lines[i]).toMatch(/^FROM node:24[\w.-]*slim\b/);
  });

  it('builds with npm ci from the lock file, never npm install', () => {
    expect(buildStage.join('\n')).toMatch(/COPY package\.json package-lock\.json/);
    const ci = buildStage.findIndex((l) => /^RUN npm ci\b/.test(l));
    const build = buildStage.findIndex((l) => /^RUN npm run build\b/.test(l));
    expect(ci).toBeGreaterThan(0);
    expect(build).toBeGreaterThan(ci);
    expect(lines.join('\n')).not.toMatch(/npm (install|i)\b/);
  });

  it('ships only production dependencies and the compiled code in the final stage', () => {
    expect(finalStage.some((l) => /^RUN npm ci .*--omit=dev/.test(l))).toBe(true);
    expect(finalStage.some((l) => /^COPY --from=\w+ \/app\/dist/.test(l))).toBe(true);
    expect(finalStage.some((l) => /^COPY (\.|src)\b/.test(l))).toBe(false);
  });

  it('runs as the non-root node user, exposes 11411 and starts node dist/main.js', () => {
    const user = finalStage.findIndex((l) => /^USER\s/.test(l));
    expect(finalStage[user]).toBe('USER node');
    const cmd = finalStage.findIndex((l) => /^CMD\s/.test(l));
    expect(cmd).toBeGreaterThan(user);
    expect(finalStage[cmd]).toBe('CMD ["node", "dist/main.js"]');
    expect(finalStage).toContain('EXPOSE 11411');
  });

  it('keeps secrets and build output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['.env', 'node_modules', 'dist', '.git', 'config.json']) expect(ignored).toContain(entry);
  });
});

describe('config-sample.json and .env.example', () => {
  it('is the original’s combined example and validates', () => {
    const raw = JSON.parse(read('config-sample.json'));
    const { config, warnings } = compileConfig(raw, 'config-sample.json', { OPENAI_API_KEY: 'sk-x', GROQ_API_KEY: 'gsk_x' });
    expect(warnings).toEqual([]);
    expect(config.defaultBackend?.name).toBe('openai');
    expect(config.backends.map((b) => b.prefix)).toEqual(['openai/', 'ollama/', 'groq/']);
    const groq = config.backends.find((b) => b.name === 'groq')!;
    expect(groq.roleRewrites).toEqual({ developer: 'system' });
    expect(groq.unsupportedParams).toEqual(['reasoning_effort']);
    expect(config.backends.find((b) => b.name === 'ollama')!.roleRewrites).toEqual({ developer: 'system' });
    expect(Object.fromEntries(config.aliases)).toEqual({ o1: ['groq/deepseek-r1-distill-qwen-32b'], 'o3-mini': ['ollama/qwq'] });
  });

  it('still starts without the backend keys, warning about each by name', () => {
    const { warnings } = compileConfig(JSON.parse(read('config-sample.json')), 'config-sample.json', {});
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('OPENAI_API_KEY');
    expect(warnings.join('\n')).toContain('GROQ_API_KEY');
  });

  it('.env.example names the router key and both provider keys, with no real values', () => {
    const vars = Object.fromEntries(
      read('.env.example')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split('=', 2) as [string, string]),
    );
    expect(Object.keys(vars).sort()).toEqual(['GROQ_API_KEY', 'LLMROUTER_API_KEY', 'OPENAI_API_KEY']);
    for (const value of Object.values(vars)) expect(value).not.toMatch(/^(sk-|gsk_|rsk_)/);
  });
});
