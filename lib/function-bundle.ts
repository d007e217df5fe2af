/**
 * How a router function is bundled, shared by the stacks (`RouterFunction`), the bundle tests and
 * `npm run bench`: minified ESM with the AWS SDK bundled, a `require` shim for CommonJS
 * dependencies, the validated config inlined, and code splitting — what a function loads with
 * `import()` only when it needs it (the Bedrock, KMS, SQS, SNS and Secrets Manager clients, the
 * X-Ray tracer) goes into chunks of its own, so a cold start neither reads nor compiles it.
 */
import type { BuildOptions } from 'esbuild';

/** CommonJS dependencies inside an ESM bundle still call require() for Node built-ins. */
export const REQUIRE_SHIM =
  "import{createRequire as __ctrCreateRequire}from'node:module';const require=__ctrCreateRequire(import.meta.url);";

/** Where the lazily loaded chunks go, next to the entry file. */
export const CHUNK_NAMES = 'chunks/[name]-[hash]';

export interface FunctionBundleOptions {
  /** The handler module, e.g. `lambdas/handlers/chat.ts`. */
  entry: string;
  /** Output directory: the entry file and `chunks/`. */
  outdir: string;
  /** Name of the entry file without extension (`index` in Lambda). */
  entryName: string;
  /** The inlined config, as `packValidatedConfig` returns it. */
  configJson: string;
  /** esbuild target, e.g. `node24`. */
  target: string;
  sourcemap?: boolean;
}

/** The esbuild options of one function bundle; the entry is `<outdir>/<entryName>.mjs`. */
export function functionBundleOptions(o: FunctionBundleOptions): BuildOptions {
  return {
    entryPoints: { [o.entryName]: o.entry },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: o.target,
    minify: true,
    // Bundle the AWS SDK too: the same pinned version runs locally, in tests and in Lambda,
    // and a tree-shaken, minified bundle initializes faster than the runtime's full SDK.
    external: [],
    mainFields: ['module', 'main'],
    splitting: true,
    outdir: o.outdir,
    chunkNames: CHUNK_NAMES,
    outExtension: { '.js': '.mjs' },
    banner: { js: REQUIRE_SHIM },
    // Read at the top level of lambdas/core/config.ts (`INLINED_CONFIG`).
    define: { 'process.env.CTR_INLINED_CONFIG': JSON.stringify(o.configJson) },
    logLevel: 'silent',
    ...(o.sourcemap ? { sourcemap: true, sourcesContent: false } : {}),
  };
}
