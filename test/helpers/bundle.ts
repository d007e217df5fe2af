/**
 * Builds a Lambda handler the way the stacks bundle it (lib/cheap-token-router.ts: minified ESM,
 * AWS SDK bundled, a `require` shim for CommonJS dependencies, the router config inlined), for the
 * bundle tests and `npm run bench`.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import type { RouterConfig } from '../../lambdas/core/config';

export async function bundleHandler(name: 'chat' | 'api' | 'admin', outDir: string, config: RouterConfig): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [`lambdas/handlers/${name}.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'silent',
    banner: { js: "import{createRequire as __ctrCreateRequire}from'node:module';const require=__ctrCreateRequire(import.meta.url);" },
    define: { 'process.env.CTR_CONFIG_JSON': JSON.stringify(JSON.stringify(config)) },
  });
  return outfile;
}
