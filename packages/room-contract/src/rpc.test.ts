import { describe, expect, it } from 'vitest';
import { hangupRequestSchema, parseRpcPayload, RPC_OK, rpcOkSchema, transferRequestSchema } from './rpc.js';

describe('RPC payloads', () => {
  it('parses a transfer request', () => {
    expect(parseRpcPayload(transferRequestSchema, '{"to":"+15550001111"}')).toEqual({
      ok: true,
      value: { to: '+15550001111' },
    });
  });

  it('tells text that is not JSON from JSON of the wrong shape', () => {
    expect(parseRpcPayload(transferRequestSchema, 'to +1555')).toEqual({
      ok: false,
      json: false,
      issue: 'payload is not JSON',
    });
    const wrong = parseRpcPayload(transferRequestSchema, '{"to":5}');
    expect(wrong.ok).toBe(false);
    expect(wrong.ok === false && wrong.json).toBe(true);
    expect(wrong.ok === false && wrong.issue).toMatch(/^to: /);
    expect(parseRpcPayload(transferRequestSchema, '{"to":""}').ok).toBe(false);
    expect(parseRpcPayload(transferRequestSchema, 'null').ok).toBe(false);
  });

  it('a hangup carries an optional reason', () => {
    expect(parseRpcPayload(hangupRequestSchema, '{"reason":"caller said goodbye"}')).toEqual({
      ok: true,
      value: { reason: 'caller said goodbye' },
    });
    expect(parseRpcPayload(hangupRequestSchema, '{}').ok).toBe(true);
  });

  it('the bridge reply round-trips through the schema the agent checks', () => {
    expect(rpcOkSchema.parse(JSON.parse(JSON.stringify(RPC_OK)))).toEqual({ ok: true });
    expect(rpcOkSchema.safeParse({ ok: false }).success).toBe(false);
  });
});

describe('transfer summary', () => {
  it('is optional, trimmed, and bounded', () => {
    expect(
      parseRpcPayload(transferRequestSchema, '{"to":"+15550001111","summary":" Ana, refund. "}'),
    ).toEqual({
      ok: true,
      value: { to: '+15550001111', summary: 'Ana, refund.' },
    });
    expect(
      parseRpcPayload(transferRequestSchema, JSON.stringify({ to: '+1', summary: 'x'.repeat(601) })).ok,
    ).toBe(false);
  });
});
