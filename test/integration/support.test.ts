/** Support communications: sealed per account, kept until resolved, then expired by TTL (§8); erasure reaches them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../lambdas/cli/ctr';
import { defaultConfig } from '../helpers/config';
import { asHttp } from '../helpers/http-error';
import { startTestRouter, type TestRouter } from '../helpers/local-router';

let router: TestRouter;
const TEXT = 'My invoice for October looks wrong, please call me at +1 555 0100';

beforeAll(async () => {
  router = await startTestRouter(defaultConfig());
  await router.accounts.createAccount({ accountId: 'acct-support' });
});

afterAll(async () => {
  await router?.stop();
});

describe('support communications', () => {
  it('kept sealed while open; resolving sets the retention TTL; erasure deletes them', async () => {
    const support = router.stack.runtime.support;
    const t = await support.open('acct-support', { text: TEXT });
    await support.reply('acct-support', t.ticketId, { from: 'operator', text: 'We are on it.' });
    expect(t).toMatchObject({ status: 'open', expiresAt: null });
    expect(await router.dumpAllTables()).not.toContain('555 0100');

    const resolved = await support.resolve('acct-support', t.ticketId);
    const days = router.stack.runtime.config.retention.supportResolvedDays;
    const expires = Date.parse(resolved.expiresAt!);
    expect(expires).toBeGreaterThan(Date.now() + (days - 1) * 86_400_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + days * 86_400_000 + 5000);
    expect(resolved.messages.map((m) => [m.from, m.text])).toEqual([
      ['customer', TEXT],
      ['operator', 'We are on it.'],
    ]);
    expect(asHttp(await support.reply('acct-support', t.ticketId, { text: 'more' }).catch((e: unknown) => e))).toMatchObject({
      status: 409,
      code: 'ticket_resolved',
    });
    // Resolving again does not extend the retention.
    expect((await support.resolve('acct-support', t.ticketId)).expiresAt).toBe(resolved.expiresAt);

    // The export carries the tickets; erasure deletes them.
    const exported = await router.stack.runtime.privacy.exportAccount('acct-support', 'operator');
    expect(exported.supportTickets[0]!.messages[0]!.text).toBe(TEXT);
    const counts = await router.stack.runtime.privacy.erase('acct-support', 'operator');
    expect(counts.supportItemsDeleted).toBe(1);
    expect(await support.list('acct-support')).toEqual([]);
  });

  it('the CLI opens, lists and resolves tickets', async () => {
    await router.accounts.createAccount({ accountId: 'acct-cli-support' });
    const env = { ...router.stack.env };
    const lines: string[] = [];
    await run(['support', 'open', '--account', 'acct-cli-support', '--message', 'help please', '--json'], (l) => lines.push(l), env);
    const ticket = JSON.parse(lines[0]!);
    await run(['support', 'resolve', '--account', 'acct-cli-support', ticket.ticketId], (l) => lines.push(l), env);
    expect(lines[1]).toMatch(/resolved, deleted after \d{4}-/);
    await run(['support', 'list', '--account', 'acct-cli-support', '--json'], (l) => lines.push(l), env);
    expect(JSON.parse(lines[2]!)).toEqual([expect.objectContaining({ ticketId: ticket.ticketId, status: 'resolved' })]);
  });
});
