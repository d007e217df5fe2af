/**
 * The bench runs the router and the passthrough as esbuild bundles, as Lambda runs the handlers (the
 * stacks bundle them with esbuild, lib/function-bundle.ts), not through tsx's on-the-fly transform.
 * That transform is for development: among other things it keeps every function's name (a `__name`
 * call on each closure created, on every request) and maps stack traces to the source. Measured in
 * two alternating pairs, the bench process spent 0.3–0.7 ms less CPU per router request
 * with the router bundled.
 *
 * Dependencies stay external (node_modules is already JavaScript), so the bundles are written inside
 * the project (`.local/bench/`, ignored by git), where Node finds them. `import.meta.url` in each bundled
 * file is replaced by that source file's own URL, so paths found relative to a module (the DynamoDB
 * Local launcher, the shipped config) resolve as they do from the source.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Rewrites `import.meta.url` in the project's own TypeScript files to the file's URL. */
const sourceUrls: Plugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

const OUT_DIR = fileURLToPath(new URL('../.local/bench/', import.meta.url));

const bundled = new Map<string, Promise<unknown>>();

/** Bundles `entry` (a TypeScript module, relative to bench/) into `.local/bench/<name>.mjs` and imports it, once per name. */
export function importBundled<T>(entry: string, name: string): Promise<T> {
  let loading = bundled.get(name);
  if (!loading) {
    loading = bundleAndImport(entry, name);
    bundled.set(name, loading);
  }
  return loading as Promise<T>;
}

/** Bundles `entry` (relative to bench/) into `.local/bench/<name>.mjs` and returns the file's path (to run as its own process). */
export async function bundleFile(entry: string, name: string): Promise<string> {
  const outfile = join(OUT_DIR, `${name}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    packages: 'external',
    outfile,
    logLevel: 'silent',
    plugins: [sourceUrls],
  });
  return outfile;
}

async function bundleAndImport(entry: string, name: string): Promise<unknown> {
  return import(pathToFileURL(await bundleFile(entry, name)).href);
}
