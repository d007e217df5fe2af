/**
 * The metering outbox without a store: what metering queues when writes fail, the SQS outbox and
 * job runner (aws-sdk-client-mock), the spool file's drain, the replay's rules, and the workers'
 * partial batch failures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { jsonLogger } from '../../lambdas/core/log';
import { finishMetering } from '../../lambdas/core/metering';
import { replayOutboxEntry } from '../../lambdas/core/outbox';
import type { OutboxEntry, Reservation } from '../../lambdas/domain/ports';
import type { UsageEvent } from '../../lambdas/domain/usage';
import { eachRecord } from '../../lambdas/handlers/workers';
import { SqsJobRunner } from '../../lambdas/store/job-queue-sqs';
import { SpoolOutbox } from '../../lambdas/store/outbox-spool';
import { SqsOutbox } from '../../lambdas/store/outbox-sqs';

const dir = mkdtempSync(join(tmpdir(), 'ctr-outbox-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = { requestId: 'req_1', accountId: 'acct', keyId: 'key', costNanoUsd: 700, promptTokens: 3, completionTokens: 4 } as UsageEvent;
const ticket = {
  accountId: 'acct',
  reservationKey: { pk: 'resv#acct#acct', sk: '1#req_1' },
  counters: [{ pk: 'budget#acct#acct', sk: 'month#2026-11' }],
  reservedNanoUsd: 900,
};
const failing = () => Promise.reject(Object.assign(new Error('down'), { name: 'TimeoutError' }));
const logger = () => {
  const lines: string[] = [];
  return { lines, log: jsonLogger((l) => lines.push(l), 'debug') };
};

describe('finishMetering and the outbox', () => {
  it('queues the usage record and the settle that failed after their retries, once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const put = vi.fn(async (_e: OutboxEntry) => undefined);
      const reservation: Reservation = { settle: vi.fn(failing), ticket, reservedNanoUsd: 900, rateLimit: {} };
      const { log, lines } = logger();
      const done = finishMetering(
        { recordUsage: vi.fn(failing), outbox: { put }, log },
        { ...event },
        { caller: { accountId: 'acct', keyId: 'key' }, reservation },
      );
      await vi.runAllTimersAsync();
      await done;
      expect(put).toHaveBeenCalledTimes(1);
      expect(put.mock.calls[0]![0]).toMatchObject({
        format: 'ctr.outbox/1',
        requestId: 'req_1',
        usage: { analytics: true },
        settle: { ticket, actualCostNano: 700 },
      });
      expect(lines.join('\n')).toContain('metering queued to outbox');
    } finally {
      vi.useRealTimers();
    }
  });

  it('queues nothing when the writes succeed, and never throws when the outbox fails too', async () => {
    const put = vi.fn(async () => undefined);
    await finishMetering(
      { recordUsage: async () => true, outbox: { put }, log: logger().log },
      { ...event },
      { caller: { accountId: 'acct', keyId: 'key' } },
    );
    expect(put).not.toHaveBeenCalled();
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { log, lines } = logger();
      const done = finishMetering(
        { recordUsage: failing, outbox: { put: failing }, log },
        { ...event },
        { caller: { accountId: 'acct', keyId: 'key' } },
      );
      await vi.runAllTimersAsync();
      await expect(done).resolves.toBeUndefined();
      expect(lines.join('\n')).toContain('outbox write failed');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('replayOutboxEntry', () => {
  const entry: OutboxEntry = {
    format: 'ctr.outbox/1',
    requestId: 'req_1',
    accountId: 'acct',
    usage: { event, analytics: false },
    settle: { ticket, actualCostNano: 700 },
  };

  it('writes the record and settles; skips the settle of an erased account', async () => {
    const deps = {
      recordUsage: vi.fn(async () => true),
      settleFromOutbox: vi.fn(async () => undefined),
      accountErased: vi.fn(async () => false),
      log: logger().log,
    };
    await replayOutboxEntry(deps, entry);
    expect(deps.recordUsage).toHaveBeenCalledWith(event, { analytics: false });
    expect(deps.settleFromOutbox).toHaveBeenCalledWith(ticket, 700);
    deps.accountErased.mockResolvedValue(true);
    await replayOutboxEntry(deps, entry);
    expect(deps.settleFromOutbox).toHaveBeenCalledTimes(1);
  });

  it('throws while the store fails, so the entry is kept', async () => {
    await expect(
      replayOutboxEntry({ recordUsage: failing, settleFromOutbox: failing, accountErased: async () => false, log: logger().log }, entry),
    ).rejects.toThrow('down');
  });
});

describe('outbox stores', () => {
  it('SqsOutbox sends one JSON message per entry; SqsJobRunner one per job run', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const client = new SQSClient({ region: 'us-east-1' });
    const entry: OutboxEntry = { format: 'ctr.outbox/1', requestId: 'req_1', accountId: 'acct', settle: { ticket, actualCostNano: 1 } };
    await new SqsOutbox(client, 'https://sqs/outbox').put(entry);
    await new SqsJobRunner(client, 'https://sqs/jobs').enqueue('erase_1');
    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls.map((c) => c.args[0].input.QueueUrl)).toEqual(['https://sqs/outbox', 'https://sqs/jobs']);
    expect(JSON.parse(calls[0]!.args[0].input.MessageBody!)).toEqual(entry);
    expect(JSON.parse(calls[1]!.args[0].input.MessageBody!)).toEqual({ jobId: 'erase_1' });
    sqs.restore();
  });

  it('SpoolOutbox appends JSON lines and drains them, keeping what fails and skipping a torn line', async () => {
    const spool = new SpoolOutbox(join(dir, 'spool.jsonl'));
    for (const id of ['a', 'b', 'c']) await spool.put({ format: 'ctr.outbox/1', requestId: id, accountId: 'acct' });
    await import('node:fs/promises').then((fs) => fs.appendFile(spool.path, '{"torn'));
    const seen: string[] = [];
    const result = await spool.drain(async (e) => {
      seen.push(e.requestId);
      if (e.requestId === 'b') throw new Error('still down');
    });
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(result).toEqual({ replayed: 2, failed: 2 });
    expect(
      readFileSync(spool.path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).requestId),
    ).toEqual(['b']);
    expect(await spool.drain(async () => undefined)).toEqual({ replayed: 1, failed: 0 });
    expect(await spool.drain(async () => undefined)).toEqual({ replayed: 0, failed: 0 });
  });
});

describe('queue workers', () => {
  it('report only the messages that failed', async () => {
    const sqsEvent = {
      Records: [
        { messageId: 'ok', body: '1' },
        { messageId: 'bad', body: '2' },
      ],
    } as SQSEvent;
    const out = await eachRecord(
      sqsEvent,
      async (r) => {
        if (r.body === '2') throw new Error('x');
      },
      logger().log,
    );
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });
});
