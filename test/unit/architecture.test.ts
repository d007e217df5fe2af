/**
 * The shape of the code, kept by a test: layers point one way (handlers → core → domain ← store,
 * providers), no import cycle between files or folders, and no file that needs a table of contents.
 * Reads the sources as text; nothing is executed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm;

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string {
  const base = normalize(join(dirname(from), spec));
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(join(ROOT, candidate)).isFile()) return candidate;
    } catch {
      // not this candidate
    }
  }
  return base;
}

/** Every file of lambdas/ with the project files it imports. */
const graph = new Map<string, string[]>(
  files('lambdas').map((f) => [f, [...readFileSync(join(ROOT, f), 'utf8').matchAll(IMPORT)].map((m) => resolveImport(f, m[1]!))]),
);

/** The layer of a file: its first folder under lambdas/. */
const layer = (file: string) => relative('lambdas', file).split('/')[0]!;

/** Strongly connected components with more than one member (Tarjan). */
function cycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  domain: [],
  store: ['domain'],
  providers: ['domain'],
  core: ['domain'],
  handlers: ['core', 'domain', 'store', 'providers'],
  local: ['handlers', 'core', 'domain', 'store', 'providers'],
  catalog: ['core', 'domain', 'providers'],
  console: ['handlers', 'core', 'domain'],
  cli: ['catalog', 'console', 'local', 'handlers', 'core', 'domain', 'store', 'providers'],
};

describe('architecture', () => {
  it('has no import cycle between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const folders = new Map<string, string[]>();
    for (const [file, deps] of graph) {
      const from = dirname(file);
      folders.set(from, [
        ...new Set([...(folders.get(from) ?? []), ...deps.map(dirname).filter((d) => d !== from && d.startsWith('lambdas'))]),
      ]);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it('points layers one way: handlers → core → domain ← store, providers', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const [from, to] = [layer(file), layer(dep)];
        if (from !== to && !ALLOWED[from]?.includes(to)) wrong.push(`${file} → ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the domain module free of the project and of SDKs', () => {
    const external = /^\s*import\s[^'"]*?from\s+['"]([^.'"][^'"]*)['"]/gm;
    const sdk = files('lambdas/domain').flatMap((f) =>
      [...readFileSync(join(ROOT, f), 'utf8').matchAll(external)].map((m) => `${f} → ${m[1]}`),
    );
    // zod describes the request shapes; nothing else from outside.
    expect(sdk.filter((s) => !s.endsWith('→ zod'))).toEqual([]);
  });

  it('has no file over 350 lines in lambdas/ or lib/', () => {
    const long = [...files('lambdas'), ...files('lib')]
      .map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 350);
    expect(long).toEqual([]);
  });
});
