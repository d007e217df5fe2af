/**
 * `RouterFunction`: what the router's three Lambda functions share — arm64, the newest Node.js LTS
 * runtime, a small esbuild ESM bundle with the validated config inlined and lazily loaded SDKs in
 * chunks of their own (`function-bundle.ts`), JSON logs into its own log group, and the environment
 * that tells the runtime where its tables, key and secret are.
 */

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AssetHashType, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { cloudConfig } from '../lambdas/core/cloud-config';
import { parseConfig, type RouterConfig } from '../lambdas/core/config';
import { packValidatedConfig } from '../lambdas/core/config-inline';
import { SERVICE_NAME } from '../lambdas/core/metrics';
import { type TableId, tableEnvVar } from '../lambdas/store/tables';
import { ROUTER_DEFAULTS } from './cheap-token-router-defaults';
import { functionBundleOptions } from './function-bundle';
import type { RouterDataReference } from './router-data-reference';
import { RouterFunctionRole, XRAY_ACTIONS } from './router-function-role';
import { DATA_KEY_ACTIONS, type RouterFunctionName, SECRET_FUNCTIONS, TABLE_ACCESS } from './table-access';

/** Props of {@link RouterFunction}. */
export interface RouterFunctionProps {
  /** Which function: its handler is `lambdas/handlers/<functionName>.ts`; selects its environment. */
  readonly functionName: RouterFunctionName;
  /** The validated router config; it is inlined into the bundle. */
  readonly config: RouterConfig;
  /** The data layer in this region (table names, key and secret ARNs for the environment). */
  readonly data: RouterDataReference;
  /** Execution role, with the function's grants (see `RouterFunctionRole`). */
  readonly role: iam.IRole;
  /** Log group of the function's JSON logs. */
  readonly logGroup: logs.ILogGroup;
  /** Function timeout. */
  readonly timeout: Duration;
  /** What the function serves (the Lambda description). */
  readonly description: string;
  /**
   * Memory, in MB.
   *
   * @default 256
   */
  readonly memorySizeMb?: number;
  /**
   * Namespace of the Powertools (EMF) metrics the function emits.
   *
   * @default 'CheapTokenRouter/ctr'
   */
  readonly metricsNamespace?: string;
  /**
   * AWS X-Ray active tracing through Powertools Tracer.
   *
   * @default false
   */
  readonly tracing?: boolean;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const handlerEntry = (name: RouterFunctionName) => fileURLToPath(new URL(`../lambdas/handlers/${name}.ts`, import.meta.url));

/**
 * The function's code: bundled locally with esbuild (a dependency of this package, so always
 * there), as `index.mjs` and `chunks/`. NodejsFunction writes one file (`--outfile`), which
 * cannot be split; a single file makes every cold start compile the SDKs it loads lazily.
 */
function bundledCode(name: RouterFunctionName, configJson: string): lambda.Code {
  return lambda.Code.fromAsset(repoRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      // Never run (local bundling always succeeds); it names the function and the config, because the
      // bundling options are the key under which CDK reuses a bundle within an app.
      command: [
        'bash',
        '-c',
        `echo "router function ${name} (config ${sha256(configJson)}) is bundled locally with esbuild (npm ci installs it)" >&2; exit 1`,
      ],
      local: {
        tryBundle(outputDir: string): boolean {
          const opts = { entry: handlerEntry(name), outdir: outputDir, entryName: 'index', configJson, target: 'node24' };
          buildSync({ ...functionBundleOptions({ ...opts, sourcemap: true }), absWorkingDir: repoRoot });
          return true;
        },
      },
    },
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** One router function, bundled from `lambdas/handlers/<functionName>.ts`. */
export class RouterFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: RouterFunctionProps) {
    // Validated here, at synth, so the function does not validate it again on every cold start.
    const configJson = packValidatedConfig(cloudConfig(parseConfig(props.config)));
    super(scope, id, {
      code: bundledCode(props.functionName, configJson),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeMb ?? ROUTER_DEFAULTS.memorySizeMb,
      timeout: props.timeout,
      role: props.role,
      logGroup: props.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: {
        ...routerFunctionEnvironment(props.functionName, props.config, props.data),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'CheapTokenRouter/ctr',
        POWERTOOLS_TRACE_ENABLED: String(props.tracing ?? false),
      },
      // Active tracing is set on the resource, not through `tracing`, which would add the X-Ray grant
      // to the role's default policy: RouterFunctionRole grants it in a policy of its own.
      tracing: props.tracing ? undefined : lambda.Tracing.DISABLED,
    });
    if (props.tracing) {
      (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
      const tracingPolicy = props.role instanceof RouterFunctionRole ? props.role.tracingPolicy : undefined;
      // Lambda refuses active tracing to a role that may not send traces yet.
      if (tracingPolicy) this.node.addDependency(tracingPolicy);
      // Another role gets the grant Lambda would have given it.
      else props.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...XRAY_ACTIONS], resources: ['*'] }));
    }
  }
}

/**
 * A function's environment: the home region, exactly the tables it uses, and the secret and data
 * key ARNs when it uses them (the same tables `RouterFunctionRole` grants).
 */
export function routerFunctionEnvironment(
  name: RouterFunctionName,
  config: RouterConfig,
  data: RouterDataReference,
): Record<string, string> {
  // No NODE_OPTIONS=--enable-source-maps: it makes Node read and parse the bundle's source map (about
  // 1.3 MB) at import, 25–55 ms of every cold start (bench/cold-start.ts); logs carry error names, not
  // stacks, and the map stays in the asset for mapping a stack offline.
  const environment: Record<string, string> = { CTR_HOME_REGION: config.primaryRegion };
  for (const id of Object.keys(TABLE_ACCESS[name]) as TableId[]) environment[tableEnvVar(id)] = data.tableNames[id];
  if (SECRET_FUNCTIONS.includes(name)) environment.CTR_PROVIDER_SECRET_ARN = data.providerSecretId ?? data.providerSecretArn;
  if (DATA_KEY_ACTIONS[name]) environment.CTR_KMS_KEY_ARN = data.keyArn;
  return environment;
}
