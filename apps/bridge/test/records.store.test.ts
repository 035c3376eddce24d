import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CallEventHub } from '../src/records/call-events.js';
import { CallRecorder } from '../src/records/call-recorder.js';
import type { CallStore } from '../src/records/call-store.js';
import { openCallStore } from '../src/records/open-store.js';

/** The same suite against both backends: SQLite in a temp file, PostgreSQL as a real server. */
describe.each(['sqlite', 'postgres'] as const)('call store (%s)', (backend) => {
  let pg: PostgresServer | undefined;
  let dir: string;
  let store: CallStore;
  let open: () => Promise<CallStore>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callbridge-records-'));
    let databaseUrl: string | undefined;
    if (backend === 'postgres') {
      pg = await startPostgres();
      databaseUrl = await pg.createDatabase('store_test');
    }
    open = () => openCallStore({ databaseUrl, sqlitePath: join(dir, 'calls.sqlite') });
    store = await open();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("links a call's recording (sizes as numbers, BIGINT on PostgreSQL) and clears the link", async () => {
    await store.create({
      ...{ callSid: 'CArec', direction: 'inbound', from: '+15550000001', to: '+15550000002' },
      ...{ instanceId: 'i1', status: 'in-progress' },
    });
    expect(await store.get('CArec')).toMatchObject({
      recordingPath: null,
      recordingBytes: null,
      recordingDurationMs: null,
    });
    const link = { recordingPath: '/rec/CArec.wav', recordingBytes: 5_760_044, recordingDurationMs: 180_000 };
    await store.update('CArec', link);
    expect(await store.get('CArec')).toMatchObject(link);
    await store.update('CArec', { recordingPath: null, recordingBytes: null, recordingDurationMs: null });
    expect((await store.get('CArec'))?.recordingPath).toBeNull();
  });

  it('keeps a call with its transcript, tool calls and status history, and ends it once', async () => {
    const t0 = Date.now();
    await store.create({
      callSid: 'CA01',
      direction: 'outbound',
      from: '+15550000001',
      to: '+15550000002',
      instanceId: 'i1',
      status: 'queued',
      task: 'book a table',
      metadata: { ticket: 42 },
      createdAt: t0,
    });
    // A retried webhook must not duplicate or overwrite the record.
    await store.create({
      callSid: 'CA01',
      direction: 'inbound',
      from: 'x',
      to: 'y',
      instanceId: 'i2',
      status: 'ringing',
    });
    await store.update('CA01', {
      status: 'in-progress',
      webhookAt: t0 + 10,
      streamStartedAt: t0 + 100,
      room: 'call-CA01',
    });
    await store.addTranscriptLine('CA01', {
      speaker: 'agent',
      identity: 'agent-1',
      text: 'Hello, I am an AI.',
      at: t0 + 200,
    });
    await store.addTranscriptLine('CA01', {
      speaker: 'caller',
      identity: 'phone-1',
      text: 'Hi.',
      at: t0 + 300,
    });
    await store.addToolCall('CA01', {
      name: 'check',
      toolCallId: 'tc1',
      arguments: { a: 1 },
      result: { ok: true },
      error: null,
      startedAt: t0 + 310,
      endedAt: t0 + 320,
    });
    await store.addStatusEvent('CA01', { status: 'ringing', at: t0 + 5, detail: null });
    expect(
      await store.end('CA01', {
        outcome: 'agent_hung_up',
        reason: 'hangup rpc',
        endedAt: t0 + 1100,
        status: 'completed',
      }),
    ).toBe(true);
    expect(
      await store.end('CA01', {
        outcome: 'caller_hung_up',
        reason: 'late',
        endedAt: t0 + 2000,
        status: 'completed',
      }),
    ).toBe(false);

    const rec = await store.get('CA01');
    expect(rec).toMatchObject({
      callSid: 'CA01',
      direction: 'outbound',
      instanceId: 'i1',
      status: 'completed',
      outcome: 'agent_hung_up',
      outcomeReason: 'hangup rpc',
      task: 'book a table',
      metadata: { ticket: 42 },
      room: 'call-CA01',
      createdAt: t0,
      endedAt: t0 + 1100,
      durationMs: 1000,
    });
    expect(await store.transcript('CA01')).toEqual([
      { speaker: 'agent', identity: 'agent-1', text: 'Hello, I am an AI.', at: t0 + 200 },
      { speaker: 'caller', identity: 'phone-1', text: 'Hi.', at: t0 + 300 },
    ]);
    expect(await store.toolCalls('CA01')).toEqual([
      {
        name: 'check',
        toolCallId: 'tc1',
        arguments: { a: 1 },
        result: { ok: true },
        error: null,
        startedAt: t0 + 310,
        endedAt: t0 + 320,
      },
    ]);
    expect(await store.statusEvents('CA01')).toEqual([{ status: 'ringing', at: t0 + 5, detail: null }]);
  });

  it('lists newest first with filters and a keyset cursor, and counts outbound calls per window', async () => {
    const base = 1_700_000_000_000;
    for (let i = 0; i < 5; i++) {
      await store.create({
        callSid: `CB0${i}`,
        direction: i % 2 ? 'inbound' : 'outbound',
        from: '+15551110000',
        to: `+1555222000${i % 2}`,
        instanceId: 'i1',
        status: i === 4 ? 'busy' : 'completed',
        createdAt: base + i * 1000,
      });
    }
    const page1 = await store.list({ limit: 2, number: '+15551110000' });
    expect(page1.map((c) => c.callSid)).toEqual(['CB04', 'CB03']);
    const last = page1[1]!;
    const page2 = await store.list({
      limit: 2,
      number: '+15551110000',
      before: { createdAt: last.createdAt, callSid: last.callSid },
    });
    expect(page2.map((c) => c.callSid)).toEqual(['CB02', 'CB01']);
    expect((await store.list({ limit: 10, status: 'busy' })).map((c) => c.callSid)).toEqual(['CB04']);
    expect(
      (await store.list({ limit: 10, since: base + 1000, until: base + 3000 })).map((c) => c.callSid),
    ).toEqual(['CB02', 'CB01']);
    expect(
      (await store.list({ limit: 10, direction: 'inbound', number: '+15552220001' })).map((c) => c.callSid),
    ).toEqual(['CB03', 'CB01']);
    expect(await store.countOutboundSince(base, '+15552220000')).toBe(3);
    expect(await store.countOutboundSince(base + 1500)).toBeGreaterThanOrEqual(2);
  });

  it('marks only its own unfinished calls interrupted after a restart, keeping what was said', async () => {
    const t0 = Date.now();
    await store.create({
      callSid: 'CC01',
      direction: 'inbound',
      from: '+15550000003',
      to: '+15550000004',
      instanceId: 'mine',
      status: 'in-progress',
      createdAt: t0,
    });
    await store.update('CC01', { streamStartedAt: t0 + 50 });
    await store.addTranscriptLine('CC01', {
      speaker: 'caller',
      identity: 'phone-3',
      text: 'I was saying',
      at: t0 + 2050,
    });
    await store.create({
      callSid: 'CC02',
      direction: 'inbound',
      from: '+15550000005',
      to: '+15550000004',
      instanceId: 'other',
      status: 'in-progress',
      createdAt: t0,
    });
    await store.close();

    store = await open(); // migrations run again: nothing to do, nothing lost
    expect(await store.interruptUnfinished('mine', t0 + 9000)).toEqual(['CC01']);
    const rec = await store.get('CC01');
    expect(rec).toMatchObject({ outcome: 'interrupted', endedAt: t0 + 9000, durationMs: 2000 });
    expect((await store.transcript('CC01')).map((l) => l.text)).toEqual(['I was saying']);
    expect((await store.get('CC02'))?.outcome).toBeNull();
  });

  it('gives a replacement agent what the first dispatch carried and the transcript so far, lines queued just before included', async () => {
    const recorder = new CallRecorder(
      Promise.resolve(store),
      new CallEventHub(),
      pino({ level: 'silent' }),
      'i1',
    );
    await store.create({
      ...{ callSid: 'CR01', direction: 'outbound', from: '+15550000001', to: '+15550000002' },
      ...{ instanceId: 'i1', status: 'in-progress', task: 'Confirm Tuesday', voice: 'ash' },
      instructions: 'Speak slowly.',
    });
    const at = Date.now();
    // Not awaited: the agent left while these writes were still queued.
    void recorder.transcript('CR01', { speaker: 'agent', identity: 'agent-1', text: 'Hello.', at });
    void recorder.transcript('CR01', { speaker: 'caller', identity: 'phone-1', text: ' Move it. ', at });
    void recorder.toolCall('CR01', {
      ...{ name: 'check_eligibility', toolCallId: 'c1', arguments: { member_id: 'MB123456' } },
      ...{ result: { covered: true }, error: null, startedAt: at + 1, endedAt: at + 2 },
    });
    expect(await recorder.resumeFields('CR01')).toEqual({
      task: 'Confirm Tuesday',
      instructions: 'Speak slowly.',
      voice: 'ash',
      history: [
        { speaker: 'agent', text: 'Hello.' },
        { speaker: 'caller', text: 'Move it.' },
        { speaker: 'tool', text: 'check_eligibility({"member_id":"MB123456"}) → {"covered":true}' },
      ],
    });
    // An inbound call without a record line yet: nothing to add, and no error.
    expect(await recorder.resumeFields('CR-unknown')).toEqual({});
  });

  it('keeps a result schema, the result and the callback delivery, and finds pending callbacks', async () => {
    const schema = {
      type: 'object' as const,
      properties: { ok: { type: 'boolean' as const } },
      required: ['ok'],
    };
    const t0 = Date.now();
    for (const callSid of ['CD01', 'CD02']) {
      await store.create({
        callSid,
        direction: 'outbound',
        from: '+15550000001',
        to: '+15550000002',
        instanceId: 'cb',
        status: 'queued',
        resultSchema: schema,
        callbackUrl: 'https://hooks.example.com/cb',
        callbackState: 'pending',
        createdAt: t0,
      });
    }
    expect(await store.get('CD01')).toMatchObject({
      resultSchema: schema,
      result: null,
      callbackAttempts: 0,
      callbackState: 'pending',
    });
    await store.update('CD01', { result: { ok: true, note: 'ABC' }, resultAt: t0 + 5 });
    await store.end('CD01', {
      outcome: 'agent_hung_up',
      reason: null,
      endedAt: t0 + 10,
      status: 'completed',
    });
    await store.update('CD02', { streamStartedAt: t0 + 1 }); // still live: its callback is not due
    expect(await store.pendingCallbacks('cb')).toEqual(['CD01']);
    await store.update('CD01', {
      callbackState: 'delivered',
      callbackAttempts: 2,
      callbackLastStatus: 200,
      callbackDeliveredAt: t0 + 20,
      callbackLastError: null,
    });
    expect(await store.get('CD01')).toMatchObject({
      result: { ok: true, note: 'ABC' },
      resultAt: t0 + 5,
      callbackState: 'delivered',
      callbackAttempts: 2,
      callbackLastStatus: 200,
      callbackDeliveredAt: t0 + 20,
    });
    expect(await store.pendingCallbacks('cb')).toEqual([]);
    // A call the bridge died during: interrupted, no result and why, and its callback due at start.
    expect(await store.interruptUnfinished('cb', t0 + 30)).toEqual(['CD02']);
    expect(await store.get('CD02')).toMatchObject({ outcome: 'interrupted', noResultReason: 'failed' });
    expect(await store.pendingCallbacks('cb')).toEqual(['CD02']);
  });
});
