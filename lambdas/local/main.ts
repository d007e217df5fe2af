/**
 * `npm start`: the router on http://127.0.0.1:8787/v1 (PORT overrides) with DynamoDB Local
 * (data in .local/dynamodb) and the offline mock provider.
 */
import { resolve } from 'node:path';
import { jsonLogger } from '../core/log';
import { storePortFor } from './dynamodb-local';
import { localMasterKey } from './master-key';
import { requestLog } from './request-log';
import { type LocalStack, startLocalStack } from './stack';
import { assertPortFree, logFormat, portFromEnv } from './start-options';

export const LOCAL_DATA_DIR = resolve(process.cwd(), '.local/dynamodb');

// Local mode runs on Node 20; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const port = portFromEnv(process.env.PORT);
  await assertPortFree(port);
  const env = { ...process.env, CTR_LOCAL_MASTER_KEY: process.env.CTR_LOCAL_MASTER_KEY ?? localMasterKey() };
  const format = logFormat(process.env, process.stdout.isTTY === true);
  // Key names for the readable line, from the store after the response (cached; ids stand in on a miss).
  let running: LocalStack | undefined;
  const names = new Map<string, string>();
  const keyName = async (accountId: string, keyId: string) => {
    if (!names.has(keyId) && running) for (const k of await running.runtime.accounts.listKeys(accountId)) names.set(k.keyId, k.name);
    return names.get(keyId);
  };
  const readable = format === 'text' ? requestLog({ keyName }) : undefined;
  const stack = await startLocalStack({
    port,
    dataDir: LOCAL_DATA_DIR,
    dynamoPort: storePortFor(LOCAL_DATA_DIR),
    backgroundStore: true,
    env,
    log: readable?.logger ?? jsonLogger(),
    onServed: readable?.served,
    // EMF metric records are for CloudWatch: on a terminal only when asked (CTR_METRICS=1).
    ...(format === 'text' && process.env.CTR_METRICS !== '1' ? { metricsWrite: () => undefined } : {}),
  }).catch((err: Error & { code?: string }) => {
    if (err.code === 'EADDRINUSE') throw new Error(`Port ${port} is in use: stop what holds it, or set PORT (e.g. PORT=9000 npm start).`);
    throw err;
  });
  running = stack;
  const url = stack.server.baseUrl;
  process.stdout.write(
    [
      '',
      `Cheap Token Router is running on ${url}`,
      `  DynamoDB Local: ${stack.dynamo.endpoint} (data in .local/dynamodb)`,
      '',
      'Create an account and an API key (in another terminal):',
      '  npx ctr accounts create demo && npx ctr keys create --account demo',
      '',
      'Then call it with any OpenAI client, e.g.:',
      `  curl ${url}/chat/completions -H "Authorization: Bearer <key>" -H "content-type: application/json" \\`,
      `    -d '{"model":"mock/echo-small","messages":[{"role":"user","content":"Hi"}],"stream":true}'`,
      '',
      `Press Ctrl+C to stop.${format === 'text' ? ' One line per request follows (CTR_LOG_FORMAT=json for JSON).' : ''}`,
      '',
    ].join('\n'),
  );
  // Every exit path stops the JVM: signals stop it cleanly; a crash here exits, and the exit hook in
  // dynamodb-local.ts kills it; a crash that skips exit hooks closes its stdin, and it ends itself.
  const shutdown = () => {
    void stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);
  const crash = (err: unknown) => {
    process.stderr.write(`local server crashed (${(err as Error)?.name ?? typeof err})\n`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
