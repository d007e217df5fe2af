/**
 * Support communications (policy §8: kept until the matter is resolved). Message text is
 * personal data: it is stored only sealed with the account's data key. An open ticket has no
 * TTL; resolving it sets one, `supportResolvedDays` later.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SupportStore } from '../domain/ports';
import type { SupportMessage, SupportTicket } from '../domain/records';
import { isExpired, ttlAfterDays } from './dynamo';

export class SupportRepo implements SupportStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly resolvedDays: number,
  ) {}

  private key(accountId: string, ticketId: string) {
    return { pk: `acct#${accountId}`, sk: `ticket#${ticketId}` };
  }

  async open(accountId: string, first: SupportMessage): Promise<SupportTicket> {
    const ticket: SupportTicket = {
      accountId,
      ticketId: `t_${first.at.replace(/[^0-9]/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`,
      status: 'open',
      openedAt: first.at,
      messages: [first],
    };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...this.key(accountId, ticket.ticketId), ...ticket },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return ticket;
  }

  async get(accountId: string, ticketId: string, now = new Date()): Promise<SupportTicket | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: this.key(accountId, ticketId), ConsistentRead: true }));
    if (!out.Item || isExpired(out.Item as { expiresAt?: number }, now)) return undefined;
    const { pk: _p, sk: _s, ...t } = out.Item;
    return t as SupportTicket;
  }

  /** Adds a message to an open ticket; returns false if the ticket is resolved. */
  async append(accountId: string, ticketId: string, message: SupportMessage): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(accountId, ticketId),
        UpdateExpression: 'SET messages = list_append(messages, :m)',
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':m': [message], ':open': 'open' },
      }),
    );
  }

  /**
   * Resolves an open ticket: from now on it is kept `resolvedDays`, then deleted by TTL (§8).
   * Resolving again changes nothing (retention is not extended); returns false then.
   */
  async resolve(accountId: string, ticketId: string, now = new Date()): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(accountId, ticketId),
        UpdateExpression: 'SET #s = :r, resolvedAt = :at, expiresAt = :exp',
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':r': 'resolved',
          ':open': 'open',
          ':at': now.toISOString(),
          ':exp': ttlAfterDays(now, this.resolvedDays),
        },
      }),
    );
  }

  private async conditional(update: UpdateCommand): Promise<boolean> {
    try {
      await this.db.send(update);
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async list(accountId: string, now = new Date()): Promise<SupportTicket[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
        ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':t': 'ticket#' },
      }),
    );
    return (out.Items ?? [])
      .filter((i) => !isExpired(i as { expiresAt?: number }, now))
      .map(({ pk: _p, sk: _s, ...t }) => t as SupportTicket);
  }
}
