// `npm run bench [-- --quick | --smoke] [--node 24.21.0|current|PATH] [--workers N] [--only a,c,idle] [--profile DIR]`
// Environment: BENCH_NODE (same as --node), BENCH_V8_FLAGS (instead of the Dockerfile's NODE_OPTIONS).
// Runs the fake upstream, the reference proxy (node:http, the floor), the ceiling app (the smallest Nest
// app of the router's shape, bench/ceiling-app.cjs) and the built router each in its own process (proxy
// under test alone on core 1, load generator and upstream on core 0), scenario by scenario, and prints
// one table with the ratios; writes the same to bench/results/latest.json. The three proxies run on
// Node 24 from the npm registry unless --node says otherwise.
// Processes and runtime: processes.mjs; scenarios and load: scenarios.mjs; table and targets: report.mjs.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_DIR, LOAD_CORE, PROXY_CORE, builtRouterMain, canPinToCores, killAll, launch, listeningPort, proxyNode, shippedNodeSettings, stop } from './processes.mjs';
import { report } from './report.mjs';
import { MODES, benchConfig, runScenario, scenarioList, stopSharedProxies } from './scenarios.mjs';

/** The runtime the router ships on (the Dockerfile's): the proxies run on it by default. */
const DEFAULT_NODE = '24.21.0';

function parseArgs(argv) {
  const args = { mode: 'full', node: process.env.BENCH_NODE ?? DEFAULT_NODE, workers: 1, only: null, profile: null, out: join(BENCH_DIR, 'results', 'latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--smoke') args.mode = 'smoke';
    else if (a === '--workers') args.workers = Number(argv[++i]);
    else if (a === '--node') args.node = argv[++i];
    else if (a === '--only') args.only = new Set(argv[++i].split(','));
    else if (a === '--profile') args.profile = resolve(argv[++i]);
    else if (a === '--out') args.out = resolve(argv[++i]);
    else throw new Error(`unknown argument ${a} (use --quick, --smoke, --node VERSION|current|PATH, --workers N, --only a,b,idle, --profile DIR, --out FILE)`);
  }
  if (!Number.isInteger(args.workers) || args.workers < 1) throw new Error('--workers needs a positive number');
  return args;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(2);
}
const routerMain = builtRouterMain();
if (!existsSync(routerMain)) {
  process.stderr.write(`bench: ${routerMain} not found: build first (npm run bench builds) or set LLMROUTER_MAIN\n`);
  process.exit(1);
}
let proxyBinary;
try {
  proxyBinary = proxyNode(args.node);
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
}
/** What every part of the run reads: the flags, the mode's sizes, the build, the proxies' runtime, where logs go. */
const bench = {
  args,
  sizes: MODES[args.mode],
  routerMain,
  runtime: { ...proxyBinary, ...shippedNodeSettings() },
  work: mkdtempSync(join(tmpdir(), 'llmrouter-bench-')),
  canPin: canPinToCores(),
};

async function main() {
  const { runtime, work } = bench;
  const started = Date.now();
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    proxyNode: runtime.version,
    v8Flags: [...runtime.v8Flags, ...Object.entries(runtime.env).map(([k, v]) => `${k}=${v}`)].join(' '),
    pinned: bench.canPin ? `proxy on core ${PROXY_CORE}, load + upstream on core ${LOAD_CORE}` : 'no (taskset missing or one core)',
  };
  process.stderr.write(`bench: ${args.mode} run of ${routerMain}; ${machine.nproc} cores, ${machine.cpu}, load on Node ${machine.node}, proxies on Node ${runtime.version} ${machine.v8Flags}; pinned: ${machine.pinned}\n`);

  const upstreamChild = launch(bench, 'upstream', [join(BENCH_DIR, 'fake-upstream.mjs')], { core: LOAD_CORE });
  const upstream = { url: `http://127.0.0.1:${await listeningPort(bench, upstreamChild, 'upstream')}` };
  const configPath = join(work, 'config.json');
  writeFileSync(configPath, JSON.stringify(benchConfig(bench.sizes, upstream.url), null, 2));

  const rows = [];
  const scenarios = scenarioList(bench.sizes);
  try {
    for (const id of new Set(scenarios.map((s) => s.id))) {
      if (args.only && !args.only.has(id)) continue;
      const group = scenarios.filter((s) => s.id === id);
      rows.push(...(await runScenario(bench, group, configPath, upstream)));
      if (id === 'a' && args.workers > 1) rows.push(...(await runScenario(bench, group, configPath, upstream, args.workers)));
    }
  } finally {
    await stopSharedProxies();
    await stop(upstreamChild);
  }
  report(rows, { args, routerMain, machine, started });
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  killAll();
  process.exit(1);
});
