/**
 * What the console needs of the account operations. The AccountService satisfies it in-process
 * (local store, `ctr console`); a client of the admin API (/admin/*, SigV4) can implement the same
 * methods one-to-one (each maps to one admin route), so a deployed stack can be served later without
 * changing the console's server or page.
 */
import type { AccountService } from '../core/accounts';

/** The account operations behind the console's JSON endpoints. */
export type ConsoleBackend = Pick<
  AccountService,
  'listAccounts' | 'createAccount' | 'updateAccount' | 'listKeys' | 'createKey' | 'rotateKey' | 'revokeKey' | 'setKeyLimits' | 'usage'
>;
