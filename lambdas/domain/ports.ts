/**
 * Ports: what core needs from the outside world, stated without naming a table, an SDK or a
 * wire format. `store/` implements the store ports against DynamoDB, `providers/` implements
 * `ProviderAdapter` per upstream API kind; `handlers/runtime.ts` wires them together.
 */

import type { Caller, Limits } from './caller';
import type { ChatRequest, EmbeddingsRequest } from './chat-request';
import type { RateLimitState } from './errors';
import type { LeaseBatch, LimitKey } from './lease-ports';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingResponse } from './openai';
import type { ProviderSettings } from './provider';
import type { AccountRecord, ApiKeyRecord, AuditEntry, Statement, SupportMessage, SupportTicket } from './records';
import type { UpstreamFetch } from './upstream';
import type { DailyAggregate, NormalizedUsage, UsageEvent } from './usage';

// ── Providers ───────────────────────────────────────────────────────────────────────────────

/** What an adapter needs for one call. */
export interface ProviderCallContext {
  provider: ProviderSettings;
  /** The resolved API key (undefined for providers that sign requests themselves, e.g. Bedrock, or the mock). */
  apiKey: string | undefined;
  /** Aborts the upstream call (client gone, timeout). */
  signal: AbortSignal;
  /** The HTTP client of upstream calls (providers/transport.ts; tests may pass `fetch`). */
  fetch: UpstreamFetch;
}

/** One event of a normalized upstream stream. */
export type StreamEvent = { type: 'chunk'; chunk: ChatCompletionChunk } | { type: 'usage'; usage: NormalizedUsage };

/** A buffered chat result: the OpenAI-format completion and the normalized usage. */
export interface ChatResult {
  completion: ChatCompletion;
  usage: NormalizedUsage;
}

export interface EmbeddingsResult {
  response: EmbeddingResponse;
  usage: NormalizedUsage;
}

/**
 * A provider adapter. `request.model` is already the upstream model id.
 *
 * `chatStream` resolves once the upstream has accepted the request (status 2xx received), so
 * that connection and HTTP errors surface as a rejected promise, before any byte reaches the
 * client, and the router can still fall back. Errors met while iterating are mid-stream errors.
 * A request the provider cannot express is refused with `UnsupportedByOffer` before anything is sent.
 */
export interface ProviderAdapter {
  readonly kind: string;
  chat(request: ChatRequest, ctx: ProviderCallContext): Promise<ChatResult>;
  chatStream(request: ChatRequest, ctx: ProviderCallContext): Promise<AsyncIterable<StreamEvent>>;
  embeddings?(request: EmbeddingsRequest, ctx: ProviderCallContext): Promise<EmbeddingsResult>;
}

// ── Budgets and rate limits ─────────────────────────────────────────────────────────────────

/**
 * What settling a budget hold needs, as data rather than a closure, so that a settle that could
 * not be written can be queued to the outbox and replayed later (idempotent by the reservation's
 * settle marker). Rate-window token corrections are not in it: those windows last minutes.
 */
export type SettleTicket = ReservationTicket | LeaseTicket;

/** The settle of one per-request reservation. */
export interface ReservationTicket {
  accountId: string;
  reservationKey: LimitKey;
  counters: LimitKey[];
  reservedNanoUsd: number;
}

/** A lease write-back (the settles of many requests) that could not be written; idempotent by its flush id. */
export interface LeaseTicket {
  accountId: string;
  lease: LeaseBatch;
}

export type {
  BatchAnswer,
  LeaseAmounts,
  LeaseBatch,
  LeaseCounter,
  LeaseDim,
  LeaseStore,
  LimitCopies,
  LimitKey,
  TakeAnswer,
} from './lease-ports';

/** A budget/rate-limit hold taken before calling a provider and settled after. */
export interface Reservation {
  settle(actualCostNano: number, tokens: number): Promise<void>;
  /** The budget hold as data (absent when no budget applies), for the outbox. */
  ticket?: SettleTicket;
  /** The cost held for the request, in nano-USD (undefined when no budget applies). */
  reservedNanoUsd?: number;
  /** The rate windows' state after this request was counted (the edge renders it as headers). */
  rateLimit: RateLimitState;
}

/** A budget counter's state, for the key holder and the operator. */
export interface BudgetStatus {
  scope: string;
  period: string;
  limitUsd: number;
  committedUsd: number;
  spentUsd: number;
  remainingUsd: number;
}

/** One budget-alert notification: a budget of an account (or one of its keys) passed a threshold in a period. Ids and amounts only. */
export interface BudgetAlert {
  accountId: string;
  /** Set when the budget is the key's own. */
  keyId?: string;
  scope: BudgetStatus['scope'];
  /** The budget's period, e.g. `month#2026-11` or `day#2026-11-28`. */
  period: string;
  thresholdPercent: number;
  limitUsd: number;
  spentUsd: number;
}

/** Where budget alerts go (SNS in the cloud; a webhook or the log locally). */
export interface BudgetAlertPublisher {
  publish(alert: BudgetAlert): Promise<void>;
}

/** Budgets and rate limits; absent means unlimited. */
export interface LimitsPort {
  /** Reserves a request's worst-case cost; throws `RateLimited` or `BudgetExceeded` if a limit would be exceeded. */
  reserve(caller: Caller, requestId: string, maxCostNano: number, maxTokens: number): Promise<Reservation>;
  budgetStatus(caller: Caller): Promise<BudgetStatus[]>;
}

// ── Outbox ──────────────────────────────────────────────────────────────────────────────────

/**
 * Metering the store did not take after bounded retries: the usage record and/or the budget
 * settle of one answered request. Counts, ids and timings only: never content.
 */
export interface OutboxEntry {
  format: 'ctr.outbox/1';
  requestId: string;
  accountId: string;
  /** The usage record still to write (idempotent by request id). */
  usage?: { event: UsageEvent; analytics: boolean };
  /** The budget settle still to apply (idempotent by the reservation's settle marker). */
  settle?: { ticket: SettleTicket; actualCostNano: number };
}

/** A durable queue of metering to replay when the store is back (SQS in the cloud, a spool file locally). */
export interface OutboxPort {
  put(entry: OutboxEntry): Promise<void>;
}

// ── Store ───────────────────────────────────────────────────────────────────────────────────

export interface AccountsStore {
  /** False if the account exists already. */
  create(record: AccountRecord): Promise<boolean>;
  get(accountId: string, now?: Date): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  update(accountId: string, fields: Partial<Omit<AccountRecord, 'accountId'>>, remove?: Array<keyof AccountRecord>): Promise<void>;
  close(accountId: string, graceDays: number, now?: Date): Promise<void>;
  /** Makes an erased account a tombstone without personal fields, kept for `graceDays`. */
  markErased(accountId: string, closedAt: string | undefined, graceDays: number, now?: Date): Promise<void>;
}

export interface KeysStore {
  create(
    accountId: string,
    name: string,
    now?: Date,
    options?: { validUntil?: string; limits?: Limits; rotatedFrom?: string },
  ): Promise<{ record: ApiKeyRecord; secret: string }>;
  findActiveBySecret(secret: string, now?: Date): Promise<ApiKeyRecord | undefined>;
  listByAccount(accountId: string): Promise<ApiKeyRecord[]>;
  getById(keyId: string): Promise<ApiKeyRecord | undefined>;
  revoke(keyId: string, now?: Date): Promise<boolean>;
  setLimits(keyId: string, limits: Limits): Promise<boolean>;
  deleteByAccount(accountId: string): Promise<number>;
  expireByAccount(accountId: string, expiresAt: number): Promise<void>;
}

export interface UsageStore {
  /** Writes one request's record and its day's aggregate, idempotent by request id. */
  record(event: UsageEvent, options?: { analytics: boolean }): Promise<boolean>;
  /** Resolves once everything recorded so far is written, the statistics that follow records included. */
  idle?(): Promise<void>;
  events(accountId: string, fromId?: string, toId?: string): Promise<UsageEvent[]>;
  daily(accountId: string, fromDay: string, toDay: string): Promise<DailyAggregate[]>;
}

export interface BillingStore {
  put(statement: Statement, now?: Date): Promise<void>;
  get(accountId: string, month: string): Promise<Statement | undefined>;
  list(accountId: string): Promise<Statement[]>;
  pseudonymize(accountId: string): Promise<number>;
}

export interface PrivacyAuditStore {
  record(entry: AuditEntry): Promise<void>;
  list(accountId: string): Promise<AuditEntry[]>;
}

export interface SupportStore {
  open(accountId: string, first: SupportMessage): Promise<SupportTicket>;
  get(accountId: string, ticketId: string, now?: Date): Promise<SupportTicket | undefined>;
  append(accountId: string, ticketId: string, message: SupportMessage): Promise<boolean>;
  resolve(accountId: string, ticketId: string, now?: Date): Promise<boolean>;
  list(accountId: string, now?: Date): Promise<SupportTicket[]>;
}

/** Where wrapped data keys live (a table without backups: deleting one is final). */
export interface DataKeyStore {
  put(accountId: string, wrapped: string): Promise<boolean>;
  get(accountId: string): Promise<string | undefined>;
  /** Schedules deletion at `expiresAt` (epoch seconds). */
  expire(accountId: string, expiresAt: number): Promise<void>;
  delete(accountId: string): Promise<void>;
}

/** Counts of what an erasure deleted, by kind. */
export type ErasureCounts = Record<string, number>;

/** Deletes an account's usage, support and limit partitions (erasure, §6). */
export interface ErasureStore {
  /** Returns `usageItemsDeleted`, `supportItemsDeleted` and `limitItemsDeleted`. */
  deleteAccountData(accountId: string, keyIds: readonly string[]): Promise<ErasureCounts>;
  /** Fences the account's budget counters: no settle (in flight or replayed) writes to them from now on. */
  fence(accountId: string): Promise<void>;
  /**
   * Deletes at most `maxItems` items of the next partition still holding data, from `cursor` on;
   * returns the counts of this page and the cursor to continue from (undefined when done).
   */
  deletePage(accountId: string, keyIds: readonly string[], cursor: ErasureCursor | undefined, maxItems: number): Promise<ErasurePage>;
}

/** Where an erasure job stopped: the partition it was in (index into its list) and DynamoDB's start key. */
export interface ErasureCursor {
  partition: number;
  startKey?: Record<string, unknown>;
}

export interface ErasurePage {
  counts: ErasureCounts;
  next: ErasureCursor | undefined;
}

/** An erasure job's state (§6): queued, running page by page, done with counts. */
export interface ErasureJob {
  jobId: string;
  accountId: string;
  status: 'running' | 'done';
  actor: 'operator' | 'key-holder';
  createdAt: string;
  updatedAt: string;
  counts: ErasureCounts;
  cursor?: ErasureCursor;
  keyIds: string[];
  pages: number;
}

/** Where erasure jobs are kept (a checkpoint per page, so a job survives any timeout). */
export interface ErasureJobStore {
  put(job: ErasureJob): Promise<void>;
  get(jobId: string): Promise<ErasureJob | undefined>;
}

/** Runs an erasure job's next pages outside the request (SQS in the cloud, in-process locally). */
export interface JobRunnerPort {
  enqueue(jobId: string): Promise<void>;
}

// ── Offer health ────────────────────────────────────────────────────────────────────────────

/** One offer's counts over one minute. Sums, so buckets add up across instances and minutes. */
export interface HealthBucket {
  attempts: number;
  failures: number;
  timeouts: number;
  ttftMsSum: number;
  ttftCount: number;
  outputTokens: number;
  generationMs: number;
}

/** Per-region, per-minute offer health counts, shared by every instance of a region (kept minutes, by TTL). */
export interface HealthStore {
  /** Adds this instance's counts of one minute. */
  add(region: string, minute: number, buckets: ReadonlyMap<string, HealthBucket>): Promise<void>;
  /** Every offer's buckets from `fromMinute` on. */
  window(region: string, fromMinute: number): Promise<Array<{ offerId: string; minute: number; bucket: HealthBucket }>>;
}
