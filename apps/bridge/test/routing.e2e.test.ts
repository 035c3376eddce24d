/**
 * Two numbers, two agent pools, one run: the bridge's ROUTES_FILE sends calls to the sales number to
 * the worker registered as the sales agent and calls to the support number to the support worker
 * (each its own AGENT_NAME), each with its route's persona. The whole stack as real processes
 * (livekit-server, bridge, two agent workers with the real OpenAI plugin, the Realtime and Twilio
 * simulators); the simulator speaks the greeting instructions it was given, so each caller must
 * hear their own route's greeting and not the other's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { decimate, rmsDbfs, segmentedCorrelation } from '@callbridge/testkit/audio-fixtures';
import type { NodeApp } from '@callbridge/testkit/process';
import { waitFor } from '@callbridge/testkit/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appLogTail, startStack, type Stack } from '../../../scripts/lib/stack.js';

const SALES = '+15550100001';
const SUPPORT = '+15550100002';
const SALES_GREETING = 'Welcome to sales. My name is Sam, what can I sell you today?';
const SUPPORT_GREETING = 'Support desk here, tell me what went wrong and I will fix it.';

let stack: Stack;
let salesWorker: NodeApp;
let supportWorker: NodeApp;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'routing-e2e-'));
  const routesFile = join(dir, 'routes.yaml');
  writeFileSync(
    routesFile,
    [
      'default:',
      '  agent: nobody-listens',
      'numbers:',
      `  "${SALES}":`,
      '    name: sales',
      '    agent: sales-pool',
      '    instructions: You are Sam, who sells phone plans.',
      `    greeting: "${SALES_GREETING}"`,
      '    voice: cedar',
      '    tools: [check_eligibility]',
      `  "${SUPPORT}":`,
      '    name: support',
      '    agent: support-pool',
      '    instructions: You are Sol, who fixes broken phones.',
      `    greeting: "${SUPPORT_GREETING}"`,
      '    language: es',
      '    tools: []',
      '',
    ].join('\n'),
  );
  stack = await startStack({
    workers: 0,
    bridgeEnv: { ROUTES_FILE: routesFile },
    // SILENCE_REPROMPT_S=0: nothing but the greeting is spoken.
    agentEnv: { SILENCE_REPROMPT_S: '0' },
    // The model says the route greeting it was asked to say (LiveKit Agents sends the agent's
    // instructions with a reply's own): which one tells which persona answered.
    script: {
      greeting: (ctx) => ({
        say:
          [SALES_GREETING, SUPPORT_GREETING].find((g) => ctx.instructions.includes(g)) ??
          'No route greeting.',
      }),
    },
  });
  [salesWorker, supportWorker] = await Promise.all([
    stack.addWorker({ AGENT_NAME: 'sales-pool' }),
    stack.addWorker({ AGENT_NAME: 'support-pool' }),
  ]);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await dispose();
});

/** 4 kHz PCM: the index of its first 20 ms at -40 dBFS or louder, or -1. */
function firstLoud(pcm: Int16Array): number {
  for (let i = 0; i + 80 <= pcm.length; i += 80) if (rmsDbfs(pcm, i, i + 80) >= -40) return i;
  return -1;
}

/** 4 kHz PCM: how much of it is speech (20 ms windows at -40 dBFS or louder), in ms. */
function voicedMs(pcm: Int16Array): number {
  let n = 0;
  for (let i = 0; i + 80 <= pcm.length; i += 80) if (rmsDbfs(pcm, i, i + 80) >= -40) n++;
  return n * 20;
}

/** The model session of the call to `number` opened since `since` (its instructions state our number). */
function sessionFor(number: string, since: number) {
  return stack.realtime!.sessions.find(
    (s) => s.connectedAt >= since && s.config.instructions.includes(`Our phone number is ${number}.`),
  );
}

describe('one persona per number', () => {
  it('answers each number with its own agent pool and persona', async () => {
    const since = Date.now();
    const [sales, support] = await Promise.all([
      stack.placeCall({ to: SALES }),
      stack.placeCall({ to: SUPPORT }),
    ]);
    try {
      // Each call's job went to its route's worker, and only there.
      await salesWorker.waitForLog(
        'the sales call’s job',
        (e) => e.msg === 'job connected' && e.callSid === sales.callSid,
      );
      await supportWorker.waitForLog(
        'the support call’s job',
        (e) => e.msg === 'job connected' && e.callSid === support.callSid,
      );
      expect(salesWorker.logs()).not.toContain(support.callSid);
      expect(supportWorker.logs()).not.toContain(sales.callSid);

      // Each model session got its route's persona: instructions, voice, language and tools.
      const rt = stack.realtime!;
      const salesSession = await waitFor('the sales call’s model session', () => sessionFor(SALES, since));
      const supportSession = await waitFor('the support call’s model session', () =>
        sessionFor(SUPPORT, since),
      );
      expect(salesSession.config.instructions).toContain('You are Sam, who sells phone plans.');
      expect(supportSession.config.instructions).toContain('You are Sol, who fixes broken phones.');
      expect(supportSession.config.instructions).toContain('Speak Spanish (es) with the caller');
      expect(salesSession.config.audio.output.voice).toBe('cedar');
      expect(supportSession.config.audio.output.voice).toBe('marin');
      expect(supportSession.config.audio.input.transcription).toMatchObject({ language: 'es' });
      const toolNames = (s: typeof salesSession) =>
        ((s.config.tools ?? []) as { name: string }[]).map((t) => t.name);
      expect(toolNames(salesSession)).toContain('check_eligibility');
      expect(toolNames(supportSession)).not.toContain('check_eligibility');

      // The greeting each model was asked to speak is its route's, and it reached its caller.
      const greetingOf = (sessionId: string) =>
        waitFor('the greeting to finish', () =>
          rt.responses.find(
            (r) => r.sessionId === sessionId && r.trigger === 'greeting' && r.doneAt !== undefined,
          ),
        );
      const [salesReply, supportReply] = await Promise.all([
        greetingOf(salesSession.id),
        greetingOf(supportSession.id),
      ]);
      expect(salesReply.text).toBe(SALES_GREETING);
      expect(supportReply.text).toBe(SUPPORT_GREETING);
      // What each model spoke, at 4 kHz (decimated: the content check stays cheap on a busy box).
      const spoken = (r: typeof salesReply) => decimate(r.audio.subarray(0, r.sentSamples), 6);
      // Each caller heard their own greeting (its 300 ms pieces found), not the other's: once the
      // caller has heard as much speech as the greeting holds, from its first loud frame on.
      const heard = async (call: typeof sales, own: Int16Array, other: Int16Array) => {
        const window = await waitFor(
          `call ${call.callSid} to hear its greeting`,
          () => {
            const pcm = decimate(call.heardPcm(), 2);
            const start = firstLoud(pcm);
            if (start < 0 || voicedMs(pcm.subarray(start)) < 0.8 * voicedMs(own)) return undefined;
            return pcm.subarray(Math.max(0, start - 400), start + own.length + 4000);
          },
          { timeoutMs: 20_000, intervalMs: 200 },
        );
        return {
          own: segmentedCorrelation(own, window, 1200).median,
          other: segmentedCorrelation(other, window, 1200).median,
        };
      };
      const salesHeard = await heard(sales, spoken(salesReply), spoken(supportReply));
      const supportHeard = await heard(support, spoken(supportReply), spoken(salesReply));
      console.log(
        `routing: sales caller matched ${salesHeard.own.toFixed(2)} own / ${salesHeard.other.toFixed(2)} other greeting; ` +
          `support caller ${supportHeard.own.toFixed(2)} / ${supportHeard.other.toFixed(2)}`,
      );
      // Unrelated speech matches at most about 0.45; a greeting that got through well above that
      // (0.8 to 0.97 seen here, through μ-law, Opus and a loaded box's jitter buffer).
      expect(salesHeard.own).toBeGreaterThan(0.6);
      expect(supportHeard.own).toBeGreaterThan(0.6);
      expect(salesHeard.other).toBeLessThan(0.5);
      expect(supportHeard.other).toBeLessThan(0.5);
    } catch (err) {
      console.log(appLogTail(stack));
      throw err;
    } finally {
      await Promise.all([sales.hangup(), support.hangup()]);
    }
  }, 60_000);
});
