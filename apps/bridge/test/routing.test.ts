/**
 * ROUTES_FILE through the real bridge and a real livekit-server: calls to two numbers get two
 * different agents (the route's agent name, as the LiveKit server lists the room's dispatch) with
 * their route's persona in the dispatch metadata; an unrouted number gets the default; an outbound
 * request picks a route by name and calls from its number; the transfer RPC keeps a call to its
 * route's transfer targets; the record shows the route.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose, RpcError } from '@livekit/rtc-node';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './_harness.js';
import { OUR_NUMBER, startOutboundBridge } from './_records-harness.js';
import { joinStandIn } from './_stand-in.js';

const SALES = '+15550100001';
const SUPPORT = '+15550100002';
const SALES_DESK = '+15550109991';
const MANAGER = '+15550109992';
const CALLEE = '+15554440001';

const ROUTES = `# two lines with their own agents; everything else to the main one
default:
  agent: main-agent
numbers:
  "${SALES}":
    name: sales
    agent: sales-agent
    instructions: You are Sam from sales.
    greeting: Welcome to sales, this is Sam.
    voice: cedar
    tools: [check_eligibility]
    transfer_targets: ["${SALES_DESK}"]
  "${SUPPORT}":
    agent: support-agent
    instructions: You are Sol from support.
    language: es
    tools: []
`;

let lk: LiveKitServer;
let ob: Awaited<ReturnType<typeof startOutboundBridge>>;
let dispatchApi: AgentDispatchClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'routing-'));
  writeFileSync(join(dir, 'routes.yaml'), ROUTES);
  lk = await startLiveKitServer();
  ob = await startOutboundBridge(lk, {
    env: { ROUTES_FILE: join(dir, 'routes.yaml'), TRANSFER_ALLOWLIST: `${SALES_DESK},${MANAGER}` },
    callees: () => ({ answer: 'human', ringMs: 100 }),
    ownedNumbers: [SALES, SUPPORT],
  });
  dispatchApi = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
}, 60_000);

afterAll(async () => {
  await ob?.close();
  await lk?.stop();
  await dispose();
});

/**
 * The dispatches the LiveKit server holds for the call's room: agent name and metadata (without
 * the server's own automatic dispatch for workers registered without a name, listed nameless).
 */
async function dispatchesOf(callSid: string): Promise<{ agent: string; metadata: unknown }[]> {
  const listed = await dispatchApi.listDispatch(`call-${callSid}`);
  return listed
    .filter((d) => d.agentName !== '')
    .map((d) => ({ agent: d.agentName, metadata: JSON.parse(d.metadata) as unknown }));
}

describe('routing by the called number', () => {
  it('dispatches each number’s agent with its persona, and the default agent for other numbers', async () => {
    const [sales, support, other] = await Promise.all([
      ob.tb.placeCall({ to: SALES }),
      ob.tb.placeCall({ to: SUPPORT }),
      ob.tb.placeCall({ to: OUR_NUMBER }),
    ]);
    try {
      const agents = async (callSid: string) => (await dispatchesOf(callSid)).map((d) => d.agent);
      expect(await agents(sales.callSid)).toEqual(['sales-agent']);
      expect(await agents(support.callSid)).toEqual(['support-agent']);
      expect(await agents(other.callSid)).toEqual(['main-agent']);

      const metadataOf = async (callSid: string) => (await dispatchesOf(callSid))[0]!.metadata;
      expect(await metadataOf(sales.callSid)).toEqual({
        callSid: sales.callSid,
        direction: 'inbound',
        from: '+15551230001',
        to: SALES,
        route: 'sales',
        persona: 'You are Sam from sales.',
        greeting: 'Welcome to sales, this is Sam.',
        voice: 'cedar',
        tools: ['check_eligibility'],
        transferTargets: [SALES_DESK],
      });
      expect(await metadataOf(support.callSid)).toEqual({
        callSid: support.callSid,
        direction: 'inbound',
        from: '+15551230001',
        to: SUPPORT,
        route: SUPPORT,
        persona: 'You are Sol from support.',
        language: 'es',
        tools: [],
      });
      expect(await metadataOf(other.callSid)).toEqual({
        callSid: other.callSid,
        direction: 'inbound',
        from: '+15551230001',
        to: OUR_NUMBER,
        route: 'default',
      });
      const record = await ob.api.waitForCall(sales.callSid, (c) => c.route !== null);
      expect(record).toMatchObject({ route: 'sales', to: SALES });
      expect((await ob.api.request('GET', `/api/calls/${support.callSid}`)).body.route).toBe(SUPPORT);
    } finally {
      await Promise.all([sales.hangup(), support.hangup(), other.hangup()]);
    }
  });

  it('keeps the transfer RPC to the route’s transfer targets', async () => {
    const call = await ob.tb.placeCall({ to: SALES, dialCallees: () => ({ kind: 'no-answer' }) });
    const standIn = await joinStandIn(lk, call.callSid);
    try {
      const phone = await waitFor('phone participant', () =>
        [...standIn.agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
      );
      const transfer = (to: string) =>
        standIn.agent.room.localParticipant!.performRpc({
          destinationIdentity: phone.identity,
          method: 'transfer',
          payload: JSON.stringify({ to }),
        });
      // The phone shows up a moment before its methods are registered.
      const refused = await waitFor('the phone to answer the transfer RPC', async () => {
        try {
          await transfer(MANAGER);
          return new Error('accepted');
        } catch (err) {
          if (err instanceof RpcError && err.message === 'Method not supported at destination')
            return undefined;
          return err as Error;
        }
      });
      // On TRANSFER_ALLOWLIST, but not among this route's targets.
      expect(refused).toBeInstanceOf(RpcError);
      expect((refused as RpcError).code).toBe(1403);
      expect(refused.message).toMatch(/not in the transfer_targets of this call's route/);
      expect(JSON.parse(await transfer(SALES_DESK))).toEqual({ ok: true });
    } finally {
      await call.hangup();
      await standIn.agent.disconnect();
    }
  });
});

describe('routing outbound calls', () => {
  it('takes the route a request names, calls from its number and dispatches its agent', async () => {
    const placed = await ob.api.request('POST', '/api/calls', {
      to: CALLEE,
      task: 'Offer the spring upgrade.',
      voice: 'marin',
      route: 'sales',
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ from: SALES, route: 'sales' });
    const sid: string = placed.body.sid;
    const restCall = await ob.rest.waitForCall((c) => c.request.callSid === sid && c.call !== null);
    expect(restCall.request).toMatchObject({ to: CALLEE, from: SALES });
    const [dispatch, ...more] = await waitFor('the dispatch', async () => {
      const listed = await dispatchesOf(sid).catch(() => []);
      return listed.length > 0 ? listed : undefined;
    });
    expect(more).toEqual([]);
    expect(dispatch!.agent).toBe('sales-agent');
    // The request's voice wins over the route's; the route's persona comes along.
    expect(dispatch!.metadata).toMatchObject({
      direction: 'outbound',
      from: SALES,
      route: 'sales',
      persona: 'You are Sam from sales.',
      task: 'Offer the spring upgrade.',
      voice: 'marin',
    });
  });

  it('takes the caller ID’s route without one, and refuses a route that does not exist', async () => {
    const placed = await ob.api.request('POST', '/api/calls', { to: CALLEE, task: 'Say hi.' });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ from: OUR_NUMBER, route: 'default' });
    const refused = await ob.api.request('POST', '/api/calls', {
      to: CALLEE,
      task: 'Say hi.',
      route: 'billing',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'unknown_route' });
    expect(refused.body.error.message).toMatch(
      /no route "billing" in ROUTES_FILE; routes: default, sales, \+15550100002/,
    );
  });
});
