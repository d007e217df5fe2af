/**
 * The router's local stack as its own process, for the many-streams bench (bench/streams.ts): started
 * with the config the parent puts in `CTR_CONFIG_JSON`, it answers over IPC `{ type: 'stats' }` with its own
 * RSS, CPU time and event-loop delay, so the figures are the server's alone, not the client's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBenchStack } from './local-router';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const send = (m: unknown) => process.send?.(m);

void (async () => {
  const stack = await startBenchStack('bench-streams-', {
    CTR_CONFIG_JSON: process.env.CTR_CONFIG_JSON,
    CHEAP_KEY: 'k',
    CTR_STOP_WINDOW_MS: '0',
  });
  await stack.runtime.accounts.createAccount({ accountId: 'bench-streams' });
  const { key } = await stack.runtime.accounts.createKey('bench-streams', {});
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  send({ type: 'ready', url: stack.server.baseUrl, key });
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'stats') {
      send({
        type: 'stats',
        rssBytes: process.memoryUsage().rss,
        cpu: process.cpuUsage(),
        eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        eventLoopDelayMaxMs: delay.max / 1e6,
      });
      delay.reset();
    } else if (m.type === 'stop') {
      await stack.stop();
      process.exit(0);
    }
  });
})();
