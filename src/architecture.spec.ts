import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The folders of src/ form layers: an import between two folders goes one way only. A cycle (a -> b -> a)
// means neither can be read, tested or changed alone; this test names any that come back.

const SRC = __dirname;
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)'(\.{1,2}\/[^']+)'/g;

/** Every non-test .ts file under src/, relative to it. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [relative(SRC, path)] : [];
  });
}

/** A file's unit: its top folder under src/, or the file itself for the entry points at src/'s root. */
function unitOf(file: string): string {
  const parts = file.split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

/** unit -> (imported unit -> one file that imports it, for the message). */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles()) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const [, specifier] of readFileSync(join(SRC, file), 'utf8').matchAll(IMPORT)) {
      const target = relative(SRC, resolve(SRC, dirname(file), specifier));
      if (target.startsWith('..')) continue;
      const to = unitOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, file);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one unit: each is a cycle. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (unit: string): void => {
    index.set(unit, index.size);
    low.set(unit, index.get(unit)!);
    stack.push(unit);
    for (const next of graph.get(unit)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(unit, Math.min(low.get(unit)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(unit, Math.min(low.get(unit)!, index.get(next)!));
      }
    }
    if (low.get(unit) === index.get(unit)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== unit);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const unit of graph.keys()) if (!index.has(unit)) visit(unit);
  return found;
}

function describeCycle(graph: Map<string, Map<string, string>>, component: string[]): string {
  const lines = component.flatMap((from) =>
    [...(graph.get(from) ?? new Map<string, string>())].filter(([to]) => component.includes(to)).map(([to, file]) => `  ${from} -> ${to} (${file})`),
  );
  return `cycle between ${component.join(', ')}:\n${lines.join('\n')}`;
}

describe('folder imports', () => {
  const graph = folderGraph();

  it('finds the folders and their imports', () => {
    // Guards the scan itself: an empty graph would pass the tests below for nothing.
    expect(graph.get('routing')?.has('common')).toBe(true);
    expect(graph.get('messages')?.has('backends')).toBe(true);
  });

  it('has no cycle between folders', () => {
    expect(cycles(graph).map((component) => describeCycle(graph, component))).toEqual([]);
  });

  it('keeps common/ a leaf: it imports no other folder but config types', () => {
    const imported = [...(graph.get('common')?.keys() ?? [])].filter((unit) => unit !== 'config');
    expect(imported).toEqual([]);
  });

  it('detects a cycle when there is one', () => {
    const looped = new Map([
      ['a', new Map([['b', 'a/x.ts']])],
      ['b', new Map([['c', 'b/y.ts']])],
      ['c', new Map([['a', 'c/z.ts']])],
      ['d', new Map([['a', 'd/w.ts']])],
    ]);
    expect(cycles(looped)).toEqual([['a', 'b', 'c']]);
  });
});
