import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The benchmark script itself, on a tiny load (`--smoke`): it runs every scenario against the built
// router (LLMROUTER_MAIN, default dist/main.js), prints the table and writes the JSON. No timing is
// asserted: speed is what the benchmark reports, never what a test checks.

const ROOT = resolve(__dirname, '..');
const MAIN = resolve(ROOT, process.env.LLMROUTER_MAIN ?? 'dist/main.js');

interface BenchRow {
  scenario: string;
  kind: string;
  target: string;
  rps?: number;
  p50?: number;
  p99?: number;
  count?: number;
  completed?: number;
  peakRssMb: number | null;
}

function runBench(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.mjs'), '--smoke', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, LLMROUTER_MAIN: MAIN },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('npm run bench -- --smoke', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'llmrouter-bench-smoke-')), 'results.json');
  let run: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npm test does) or set LLMROUTER_MAIN`);
    run = await runBench(out);
  }, 180_000);

  it('exits cleanly', () => {
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('prints one table row per scenario and target, then the targets it met or missed', () => {
    const rows = run.stdout.split('\n').filter((l) => l.startsWith('| ('));
    const expected = [
      ['(a)', 'direct'], ['(a)', 'reference'], ['(a)', 'ceiling'], ['(a)', 'router'],
      ['(b)', 'direct'], ['(b)', 'reference'], ['(b)', 'ceiling'], ['(b)', 'router'],
      ['(c)', 'direct'], ['(c)', 'reference'], ['(c)', 'ceiling'], ['(c)', 'router'],
      ['(d) 1 conn latency', 'ceiling'], ['(d) 1 conn latency', 'router'], ['(d) 1 conn stream TTFB', 'router'],
      ['(e)', 'reference'], ['(e)', 'router'],
      ['(idle)', 'reference'], ['(idle)', 'ceiling'], ['(idle)', 'router'],
    ];
    for (const [scenario, target] of expected) {
      expect(rows.some((r) => r.includes(scenario) && r.split('|')[2].trim() === target)).toBe(true);
    }
    expect(run.stdout).toMatch(/\| scenario +\| target +\| runtime +\| req\/s +\| p50 ms +\| p99 ms +\| CPU ms\/req +\| peak RSS MB +\| vs reference +\| vs ceiling/);
    // Every proxy row names the runtime it ran on.
    for (const r of rows.filter((l) => !l.includes('| direct'))) expect(r.split('|')[3].trim()).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(run.stdout).toMatch(/(PASS|MISS) +\(e\) every stream complete/);
  });

  it('writes the same results as JSON, with real measurements for every target', () => {
    const json = JSON.parse(readFileSync(out, 'utf8')) as { mode: string; machine: { nproc: number; node: string; proxyNode: string }; rows: BenchRow[] };
    expect(json.mode).toBe('smoke');
    expect(json.machine.node).toBe(process.version);
    // The proxies run on the runtime the router ships on, unless told otherwise.
    expect(json.machine.proxyNode).toMatch(/^v24\./);
    const row = (scenario: string, kind: string, target: string) => json.rows.find((r) => r.scenario === scenario && r.kind === kind && r.target === target);
    for (const scenario of ['a', 'b', 'c']) {
      for (const target of ['direct', 'reference', 'ceiling', 'router']) expect(row(scenario, 'load', target)?.rps).toBeGreaterThan(0);
      expect(row(scenario, 'load', 'router')?.peakRssMb).toBeGreaterThan(0);
    }
    for (const kind of ['latency', 'ttfb']) {
      for (const target of ['direct', 'reference', 'router']) expect(row('d', kind, target)?.p99).toBeGreaterThan(0);
    }
    const streams = row('e', 'streams', 'router');
    expect(streams?.completed).toBe(streams?.count);
    expect(row('e', 'streams', 'router')?.peakRssMb).toBeGreaterThan(0);
    for (const target of ['reference', 'ceiling', 'router']) expect(row('idle', 'idle', target)?.peakRssMb).toBeGreaterThan(0);
    // The pool scenario: the single backend and the pool of two, with the answers each member gave.
    const pool = json.rows.filter((r) => r.scenario === 'pool' && r.kind === 'split') as Array<BenchRow & { title: string; split: Record<string, number> }>;
    expect(pool.map((r) => r.title.split(' ')[0])).toEqual(['single', 'pool']);
    expect(pool.every((r) => (r.rps ?? 0) > 0)).toBe(true);
    expect(Object.keys(pool[1].split).sort()).toEqual(['pool-fast', 'pool-slow']);
  });
});
