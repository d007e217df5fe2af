/**
 * Renders docs/images/console.png: the operator console in headless Chromium after a little mixed
 * traffic against a local router (DynamoDB Local in memory, a mock upstream), so the README shows
 * what an operator sees. `npx tsx scripts/console-screenshot.ts` (needs Chromium, as the tests do).
 */
import { fileURLToPath } from 'node:url';
import { startConsole } from '../lambdas/console/server';
import { launchChromium, openPage } from '../test/helpers/browser';
import { threeProviderConfig } from '../test/helpers/config';
import { startTestRouter } from '../test/helpers/local-router';
import { startOpenAIUpstream } from '../test/helpers/openai-upstream';

const OUT = fileURLToPath(new URL('../docs/images/console.png', import.meta.url));

const up = await startOpenAIUpstream('cheap');
const router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
  CHEAP_KEY: 'k1',
  MID_KEY: 'k2',
  DEAR_KEY: 'k3',
});
const browser = await launchChromium();
try {
  await router.accounts.createAccount({ accountId: 'acme', limits: { monthlyBudgetUsd: 5 } });
  const backend = await router.createKey('acme', { name: 'backend', limits: { rpm: 6 } });
  const batch = await router.createKey('acme', { name: 'batch' });
  const ask = (key: string, model: string) =>
    router
      .client(key)
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 })
      .catch(() => undefined);
  for (let i = 0; i < 8; i++) await ask(backend, i % 2 ? 'acme/llama-test' : 'mock/echo-small');
  for (let i = 0; i < 4; i++) await ask(batch, 'acme/llama-test');
  await ask('sk-ctr-not-a-key', 'acme/llama-test');
  await ask(batch, 'nosuch/model');
  await router.stack.runtime.refusals.flush();
  await new Promise((r) => setTimeout(r, 1_500)); // metering happens after each response
  const server = await startConsole({ backend: router.accounts, where: 'DynamoDB Local (example)' });
  try {
    const { page } = await openPage(browser);
    await page.goto(server.url);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1_000); // the charts' entry animation
    await page.screenshot({ path: OUT, fullPage: true });
    console.log(`wrote ${OUT}`);
  } finally {
    await server.close();
  }
} finally {
  await browser.close();
  await router.stop();
  await up.close();
}
