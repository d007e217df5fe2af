/**
 * `npm start`: the router on http://127.0.0.1:8787/v1 (PORT overrides) with DynamoDB Local
 * (data in .local/dynamodb) and the offline mock provider.
 */
import { resolve } from 'node:path';
import { storePortFor } from './dynamodb-local';
import { localMasterKey } from './master-key';
import { startLocalStack } from './stack';

export const LOCAL_DATA_DIR = resolve(process.cwd(), '.local/dynamodb');

// Local mode runs on Node 20; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  const env = { ...process.env, CTR_LOCAL_MASTER_KEY: process.env.CTR_LOCAL_MASTER_KEY ?? localMasterKey() };
  const stack = await startLocalStack({
    port,
    dataDir: LOCAL_DATA_DIR,
    dynamoPort: storePortFor(LOCAL_DATA_DIR),
    backgroundStore: true,
    env,
  });
  const url = stack.server.baseUrl;
  process.stdout.write(
    [
      '',
      `Cheap Token Router is running on ${url}`,
      `  DynamoDB Local: ${stack.dynamo.endpoint} (data in .local/dynamodb)`,
      '',
      'Create an API key (in another terminal):',
      '  npx ctr keys create --account demo --create-account',
      '',
      'Then call it with any OpenAI client, e.g.:',
      `  curl ${url}/chat/completions -H "Authorization: Bearer <key>" -H "content-type: application/json" \\`,
      `    -d '{"model":"mock/echo-small","messages":[{"role":"user","content":"Hi"}],"stream":true}'`,
      '',
      'Press Ctrl+C to stop.',
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
