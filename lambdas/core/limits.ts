/** Per-key and per-account limits. Budgets are held in integer nano-USD. */
import * as z from 'zod';
import type { Limits } from '../domain/caller';
import { lazy } from '../domain/lazy';
import { usdToNano } from '../domain/money';

/** Limits as operators give them (USD budgets), validated. */
export const limitsInputSchema = lazy(() =>
  z
    .object({
      rpm: z.number().int().positive().optional(),
      tpm: z.number().int().positive().optional(),
      dailyBudgetUsd: z.number().nonnegative().max(1e9).optional(),
      monthlyBudgetUsd: z.number().nonnegative().max(1e9).optional(),
    })
    .strict(),
);
export type LimitsInput = z.infer<ReturnType<typeof limitsInputSchema>>;

/** Limits as operators give them, in the stored form (nano-USD); `setAt` is stamped by the change (`stampLimits`). */
export function limitsFromInput(input: LimitsInput): Limits {
  return {
    ...(input.rpm !== undefined ? { rpm: input.rpm } : {}),
    ...(input.tpm !== undefined ? { tpm: input.tpm } : {}),
    ...(input.dailyBudgetUsd !== undefined ? { dailyBudgetNanoUsd: usdToNano(input.dailyBudgetUsd) } : {}),
    ...(input.monthlyBudgetUsd !== undefined ? { monthlyBudgetNanoUsd: usdToNano(input.monthlyBudgetUsd) } : {}),
  };
}

/**
 * Limits as changed at `now`: `setAt` orders the change after every earlier one, even under a
 * clock that went back (the counters' copies compare it; store/lease-repo.ts).
 */
export function stampLimits(previous: Limits | undefined, next: Limits, now: Date): Limits {
  return { ...next, setAt: Math.max(now.getTime(), (previous?.setAt ?? 0) + 1) };
}
