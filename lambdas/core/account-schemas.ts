/** What operators may send to create and change accounts and keys, validated (per-field errors, no values quoted). */
import * as z from 'zod';
import { lazy } from '../domain/lazy';
import { limitsInputSchema } from './limits';

// Built on first use: a function that manages no accounts never builds them.
export const accountIdSchema = lazy(() => z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'account ids are 1-64 letters, digits, _ or -'));

export const createAccountSchema = lazy(() =>
  z
    .object({
      accountId: accountIdSchema(),
      email: z.email().optional(),
      company: z.string().max(200).optional(),
      limits: limitsInputSchema().optional(),
    })
    .strict(),
);

export const updateAccountSchema = lazy(() =>
  z
    .object({
      email: z.email().optional(),
      company: z.string().max(200).optional(),
      status: z.enum(['active', 'suspended']).optional(),
      limits: limitsInputSchema().optional(),
    })
    .strict(),
);

export const createKeySchema = lazy(() =>
  z
    .object({
      name: z.string().min(1).max(100).default('default'),
      validUntil: z.iso.datetime().optional(),
      limits: limitsInputSchema().optional(),
    })
    .strict(),
);
