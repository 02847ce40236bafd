import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { Model } from '@kubernetes-models/base';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import * as ts from 'typescript';
import { parseAllDocuments, parse } from 'yaml';
import { compileConfig } from '../src/config/config-loader';
import { HealthController } from '../src/health/health.controller';
import { LAST_EVENT_MS } from '../src/lifecycle/graceful-shutdown.service';

// deploy/kubernetes checked offline (no cluster, no kubectl here): every manifest, and the ConfigMap and
// Secret its kustomization generates, validates against the Kubernetes schemas of kubernetes-models (its
// validators, plus TypeScript's excess-property check over its types, which catches a misspelt field),
// and the probes, ports, env, shutdown timing and Redis address agree with what the router serves and reads.

const dir = join(__dirname, '..', 'deploy', 'kubernetes');
const read = (file: string) => readFileSync(join(dir, file), 'utf8');
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: any; stringData?: any };

/** kind -> [module under kubernetes-models, exported class and interface name]. */
const MODELS: Record<string, [string, string]> = {
  'v1/Namespace': ['v1/Namespace', 'Namespace'],
  'v1/Service': ['v1/Service', 'Service'],
  'v1/ConfigMap': ['v1/ConfigMap', 'ConfigMap'],
  'v1/Secret': ['v1/Secret', 'Secret'],
  'apps/v1/Deployment': ['apps/v1/Deployment', 'Deployment'],
  'apps/v1/StatefulSet': ['apps/v1/StatefulSet', 'StatefulSet'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['autoscaling/v2/HorizontalPodAutoscaler', 'HorizontalPodAutoscaler'],
  'policy/v1/PodDisruptionBudget': ['policy/v1/PodDisruptionBudget', 'PodDisruptionBudget'],
};
const modelOf = (m: Manifest) => MODELS[`${m.apiVersion}/${m.kind}`];

const kustomization = parse(read('kustomization.yaml'));
const manifests: Manifest[] = (kustomization.resources as string[]).flatMap((file) =>
  parseAllDocuments(read(file)).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Manifest;
  }),
);
const configText = read('config.json');
const exampleEnv = Object.fromEntries(
  read('secrets.env.example')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
// What `kubectl apply -k` generates from config.json and secrets.env (the example stands in for the real file).
const generated: Manifest[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: kustomization.configMapGenerator[0].name }, data: { 'config.json': configText } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: kustomization.secretGenerator[0].name }, stringData: exampleEnv },
];
const all = [...manifests, ...generated];
const one = (kind: string, name?: string) => {
  const found = all.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found).toHaveLength(1);
  return found[0];
};

const { config } = compileConfig(JSON.parse(configText), 'deploy/kubernetes/config.json', exampleEnv);
const deployment = one('Deployment', 'llm-router');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);

/** TypeScript's diagnostics of each source (one program for all: the types are loaded once). */
function typeCheck(sources: Record<string, string>): Record<string, string[]> {
  const files = Object.fromEntries(Object.keys(sources).map((name) => [join(__dirname, `__${name}__.ts`), name]));
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, moduleResolution: ts.ModuleResolutionKind.Node10 };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (path) => (files[path] ? sources[files[path]] : readFile(path));
  host.fileExists = (path) => path in files || fileExists(path);
  const program = ts.createProgram(Object.keys(files), options, host);
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(sources).map((name) => [name, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file ? files[d.file.fileName] : undefined;
    (out[name ?? Object.keys(sources)[0]] ??= []).push(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return out;
}

const typeErrors = typeCheck({
  manifests: all
    .map((m, i) => {
      const [module, name] = modelOf(m);
      return `import { I${name} as T${i} } from 'kubernetes-models/${module}';\nexport const m${i}: T${i} = ${JSON.stringify(m)};`;
    })
    .join('\n'),
  misspelt: `import { IDeployment } from 'kubernetes-models/apps/v1/Deployment';\nexport const d: IDeployment = ${JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { selector: {}, template: { spec: { containers: [{ name: 'c', readinessProbe: { periodSecond: 5 } }] } } },
  })};`,
});

describe('deploy/kubernetes: the manifests against the Kubernetes schemas', () => {
  it('lists only files that exist, and kinds that are known', () => {
    for (const file of kustomization.resources as string[]) expect(existsSync(join(dir, file))).toBe(true);
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}`).filter((k) => !MODELS[k])).toEqual([]);
  });

  it("pass kubernetes-models' validators (the generated ConfigMap and Secret too)", () => {
    for (const m of all) {
      const [module, name] = modelOf(m);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ModelClass = require(`kubernetes-models/${module}`)[name] as new (data: unknown) => Model<unknown>;
      expect(() => new ModelClass(m).validate()).not.toThrow();
    }
  });

  it('have no field the Kubernetes types do not know (a misspelt field would be silently ignored by the API server)', () => {
    expect(typeErrors.manifests).toEqual([]);
  });

  it('the checks do catch a misspelt field and a wrong type', () => {
    expect(typeErrors.misspelt.join('\n')).toMatch(/periodSecond/);
    const wrongType = structuredClone(deployment);
    wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(wrongType as never).validate()).toThrow(/containerPort must be integer/);
  });
});

describe('deploy/kubernetes: what the router serves and reads', () => {
  it('loads config.json as the router does, with every key it needs in the Secret', () => {
    expect(container.env).toContainEqual({ name: 'LLMROUTER_CONFIG', value: `${container.volumeMounts.find((v: any) => v.name === 'config').mountPath}/config.json` });
    const volume = pod.volumes.find((v: any) => v.name === 'config');
    expect(volume.configMap.name).toBe(kustomization.configMapGenerator[0].name);
    expect(container.envFrom).toEqual([{ secretRef: { name: kustomization.secretGenerator[0].name } }]);
    const needed = [config.apiKeyEnv, config.adminApiKeyEnv, config.metricsApiKeyEnv, ...JSON.parse(configText).backends.map((b: any) => b.key_env_var)].filter(Boolean);
    expect(Object.keys(exampleEnv).sort()).toEqual([...new Set(needed)].sort());
    expect(config.backends.filter((b) => b.missingKeyEnv)).toEqual([]);
    expect(read('.gitignore').split('\n')).toContain('secrets.env');
  });

  it('serves on the port the container, the probes and the Service name', () => {
    expect(config.host).toBe('0.0.0.0');
    expect(container.ports).toEqual([{ name: 'http', containerPort: config.port, protocol: 'TCP' }]);
    const service = one('Service', 'llm-router');
    expect(matches(service.spec.selector)).toBe(true);
    expect(service.spec.ports.map((p: any) => p.targetPort)).toEqual(['http']);
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) expect(probe.httpGet.port).toBe('http');
  });

  it('probes readiness and liveness on the routes the router has for them', () => {
    const routes = (handler: object) => [Reflect.getMetadata(PATH_METADATA, handler)].flat().map((p: string) => `/${p}`);
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(routes(HealthController.prototype.ready)).toContain(container.readinessProbe.httpGet.path);
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(routes(HealthController.prototype.live)).toContain(container.livenessProbe.httpGet.path);
    expect(routes(HealthController.prototype.live)).toContain(container.startupProbe.httpGet.path);
  });

  it("gives the pod time for the preStop wait plus the router's own drain", () => {
    const [command, seconds] = container.lifecycle.preStop.exec.command;
    expect(command).toBe('sleep');
    const needed = Number(seconds) + config.shutdownGraceMs / 1000 + LAST_EVENT_MS / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
    expect(pod.terminationGracePeriodSeconds).toBeLessThanOrEqual(needed + 10);
  });

  it('runs 2+ replicas, scales between 2 and more on CPU, and lets a node drain one pod at a time', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm-router' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = one('PodDisruptionBudget');
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);
    // maxUnavailable >= 1 (not minAvailable = replicas): an eviction is always allowed, so a drain finishes.
    expect(pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeUndefined();
  });

  it('asks for resources with requests no larger than the limits', () => {
    const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)![1]);
    const millicores = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
    for (const c of [container, one('StatefulSet').spec.template.spec.containers[0]]) {
      expect(mib(c.resources.requests.memory)).toBeLessThanOrEqual(mib(c.resources.limits.memory));
      expect(millicores(c.resources.requests.cpu)).toBeLessThanOrEqual(millicores(c.resources.limits.cpu));
    }
  });

  it('points redis_url at the Redis StatefulSet through its Service', () => {
    const url = new URL(config.redisUrl!);
    const service = one('Service', url.hostname);
    const redis = one('StatefulSet', 'llm-router-redis');
    expect(redis.spec.replicas).toBe(1);
    expect(redis.spec.serviceName).toBe(service.metadata.name);
    expect(service.spec.ports[0].port).toBe(Number(url.port));
    const redisContainer = redis.spec.template.spec.containers[0];
    expect(redisContainer.ports[0]).toMatchObject({ name: service.spec.ports[0].targetPort, containerPort: 6379 });
    expect(Object.entries(service.spec.selector).every(([k, v]) => redis.spec.template.metadata.labels[k] === v)).toBe(true);
  });

  it('is walked through in the README, from kubectl apply -k to a working router', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Deploy on Kubernetes'));
    expect(section).toMatch(/kubectl apply -k deploy\/kubernetes/);
    expect(section).toMatch(/cp deploy\/kubernetes\/secrets\.env\.example deploy\/kubernetes\/secrets\.env/);
  });
});
