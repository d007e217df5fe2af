/**
 * The records the store keeps and core works with: accounts, keys, statements, privacy audit
 * entries, support tickets. Plain data; the store alone knows how they are laid out in tables.
 */
import type { Limits } from './caller';
import type { UsageTotals } from './usage';

export type AccountStatus = 'active' | 'suspended' | 'closed';

/** Processing flags the code honours (policy §6 restriction and objection). */
export interface AccountFlags {
  /** Restriction of processing: the account's keys are refused; its data is kept, not used. */
  restricted?: boolean;
  /** Objection to processing for analytics: excluded from aggregate statistics. */
  analyticsOptOut?: boolean;
}

export interface AccountRecord {
  accountId: string;
  status: AccountStatus;
  createdAt: string;
  /** Set when the account was erased (§6): nothing personal is left. */
  erasedAt?: string;
  closedAt?: string;
  /** Personal fields, sealed with the account's data key (held in the dataKeys table). */
  personal?: string;
  limits: Limits;
  flags: AccountFlags;
  expiresAt?: number;
}

export interface ApiKeyRecord {
  keyId: string;
  accountId: string;
  name: string;
  /** The first characters of the secret, to recognise a key in listings. */
  prefix: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt?: string;
  /** Optional end of validity (ISO time) set by the operator. */
  validUntil?: string;
  /** Limits of this key (the account's apply too). */
  limits?: Limits;
  /** The key this one replaced (rotation). */
  rotatedFrom?: string;
  expiresAt?: number;
}

export interface StatementLine extends UsageTotals {
  model: string;
  provider: string;
}

export interface Statement {
  accountId: string;
  month: string;
  generatedAt: string;
  lines: StatementLine[];
  totalRequests: number;
  totalCostNanoUsd: number;
  /** What the same usage would have cost at each request's reference offer; savings = this − totalCostNanoUsd. Absent on statements built before it existed. */
  totalReferenceCostNanoUsd?: number;
  /** Set when the account was erased: the statement no longer names a person (§6, §8). */
  pseudonymized?: boolean;
}

export type PrivacyAction = 'access' | 'export' | 'correction' | 'erasure' | 'restriction' | 'objection';

export interface AuditEntry {
  accountId: string;
  action: PrivacyAction;
  actor: 'operator' | 'key-holder';
  at: string;
  outcome: 'done' | 'refused';
  /** Counts and flags only, e.g. { usageItemsDeleted: 12 } or { restricted: 1 }. */
  counts: Record<string, number>;
}

export interface SupportMessage {
  at: string;
  from: 'customer' | 'operator';
  /** The message text, sealed with the account's data key. */
  sealed: string;
}

export interface SupportTicket {
  accountId: string;
  ticketId: string;
  status: 'open' | 'resolved';
  openedAt: string;
  resolvedAt?: string;
  messages: SupportMessage[];
  expiresAt?: number;
}
