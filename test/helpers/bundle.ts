/**
 * Builds a Lambda handler the way the stacks bundle it (lib/function-bundle.ts: minified ESM,
 * AWS SDK bundled, a `require` shim for CommonJS dependencies, the router config inlined and packed,
 * lazily loaded modules split into chunks),
 * for the bundle tests and `npm run bench`; and the baseline the cold-start figures are compared
 * with: a bundle that only imports the DynamoDB clients and constructs one.
 */
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { parseConfig, type RouterConfig } from '../../lambdas/core/config';
import { packValidatedConfig } from '../../lambdas/core/config-inline';
import { functionBundleOptions, REQUIRE_SHIM } from '../../lib/function-bundle';
import type { RouterFunctionName } from '../../lib/table-access';

const common = (outfile: string, sourcemap: boolean): BuildOptions => ({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  mainFields: ['module', 'main'],
  outfile,
  logLevel: 'silent',
  banner: { js: REQUIRE_SHIM },
  ...(sourcemap ? { sourcemap: true, sourcesContent: false } : {}),
});

export interface BundleOptions {
  /** Write a source map next to the bundle, as the stacks do. Default false. */
  sourcemap?: boolean;
}

/** Bundles `lambdas/handlers/<name>.ts` into `<outDir>/<name>/<name>.mjs` (and its chunks) and returns that path. */
export async function bundleHandler(
  name: RouterFunctionName,
  outDir: string,
  config: RouterConfig,
  options: BundleOptions = {},
): Promise<string> {
  // As the CDK app does: the config is validated here, and the bundle trusts it.
  const { $schema: _ignored, ...inline } = parseConfig(config);
  const outdir = join(outDir, name);
  await build(
    functionBundleOptions({
      entry: `lambdas/handlers/${name}.ts`,
      outdir,
      entryName: name,
      configJson: packValidatedConfig(inline),
      target: 'node20',
      sourcemap: options.sourcemap ?? false,
    }),
  );
  return join(outdir, `${name}.mjs`);
}

/**
 * The cold-start baseline: a handler that imports `@aws-sdk/client-dynamodb` and `@aws-sdk/lib-dynamodb`
 * and constructs a document client at init — what any function that talks to DynamoDB pays.
 */
export async function bundleDynamoOnly(outDir: string, options: BundleOptions = {}): Promise<string> {
  const outfile = join(outDir, 'dynamodb-only.mjs');
  await build({
    ...common(outfile, options.sourcemap ?? false),
    stdin: {
      contents: [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
        'const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));',
        'export const handler = async () => ({ statusCode: 200, body: typeof client.send });',
      ].join('\n'),
      resolveDir: process.cwd(),
      loader: 'js',
    },
  });
  return outfile;
}
