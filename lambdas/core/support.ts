/**
 * Support communications with an account, recorded by the operator. Texts are sealed with the
 * account's data key (so erasure reaches them); a resolved ticket expires after the configured
 * period (policy §8).
 */
import * as z from 'zod';
import { RouterError } from '../domain/errors';
import { lazy } from '../domain/lazy';
import type { SupportStore } from '../domain/ports';
import type { SupportTicket } from '../domain/records';
import type { PersonalDataCipher } from './personal-data';

const messageSchema = lazy(() =>
  z.object({ from: z.enum(['customer', 'operator']).default('customer'), text: z.string().min(1).max(20_000) }).strict(),
);

/** A ticket as the API shows it: message texts opened. */
export interface SupportTicketView extends Omit<SupportTicket, 'messages' | 'expiresAt'> {
  messages: Array<{ at: string; from: 'customer' | 'operator'; text: string | null }>;
  expiresAt: string | null;
}

export class SupportService {
  constructor(
    private readonly repo: SupportStore,
    private readonly cipher: PersonalDataCipher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async sealMessage(accountId: string, input: unknown) {
    const parsed = messageSchema().safeParse(input ?? {});
    if (!parsed.success)
      throw RouterError.invalidRequest(
        'A support message is {"from": "customer"|"operator", "text": "…"}.',
        parsed.error.issues[0]?.path.join('.') || null,
      );
    const sealed = await this.cipher.seal(accountId, parsed.data.text);
    if (!sealed) throw RouterError.conflict('This account was erased.', null, 'account_erased');
    return { at: this.now().toISOString(), from: parsed.data.from, sealed };
  }

  private async view(t: SupportTicket): Promise<SupportTicketView> {
    return {
      accountId: t.accountId,
      ticketId: t.ticketId,
      status: t.status,
      openedAt: t.openedAt,
      ...(t.resolvedAt ? { resolvedAt: t.resolvedAt } : {}),
      expiresAt: t.expiresAt ? new Date(t.expiresAt * 1000).toISOString() : null,
      messages: await Promise.all(
        t.messages.map(async (m) => ({ at: m.at, from: m.from, text: (await this.cipher.open<string>(t.accountId, m.sealed)) ?? null })),
      ),
    };
  }

  async open(accountId: string, input: unknown): Promise<SupportTicketView> {
    return this.view(await this.repo.open(accountId, await this.sealMessage(accountId, input)));
  }

  async reply(accountId: string, ticketId: string, input: unknown): Promise<SupportTicketView> {
    await this.ticket(accountId, ticketId);
    if (!(await this.repo.append(accountId, ticketId, await this.sealMessage(accountId, input))))
      throw RouterError.conflict(`Ticket ${ticketId} is resolved; open a new one.`, 'ticketId', 'ticket_resolved');
    return this.view((await this.repo.get(accountId, ticketId))!);
  }

  async resolve(accountId: string, ticketId: string): Promise<SupportTicketView> {
    await this.ticket(accountId, ticketId);
    await this.repo.resolve(accountId, ticketId, this.now()); // already resolved: unchanged
    return this.view((await this.repo.get(accountId, ticketId, this.now()))!);
  }

  async list(accountId: string): Promise<SupportTicketView[]> {
    return Promise.all((await this.repo.list(accountId, this.now())).map((t) => this.view(t)));
  }

  private async ticket(accountId: string, ticketId: string): Promise<SupportTicket> {
    const t = await this.repo.get(accountId, ticketId, this.now());
    if (!t) throw RouterError.notFound(`No ticket ${ticketId} for account ${accountId}.`, 'ticketId', 'ticket_not_found');
    return t;
  }
}
