/**
 * A call in the scale-out test: what the caller heard (on content: correlation with the Realtime
 * simulator's voice) and which part of the layout carried it (from the parts' own logs and Redis).
 */
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import type { NodeApp } from '@callbridge/testkit/process';
import type { RealtimeScript } from '@callbridge/testkit/realtime';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';
import { heardSince, matches, playedOut } from './_caller.js';
import type { ScaleOut } from './_scale-out-stack.js';

export const GREETING = 'Hello, thanks for calling Sunrise Clinic. How can I help you today?';
export const RESUMED = 'Sorry about that, where were we?';
export const REPLY = 'Sure. I can book that for you. Which day works best?';
/** Other speech scores well under this against a given text; the e2e tests' bar. */
export const HEARD = 0.7;

/** A new agent told to pick the call up after an interruption apologises instead of greeting. */
export const SCRIPT: RealtimeScript = {
  greeting: (ctx) => ({ say: /where were we/i.test(ctx.instructions) ? RESUMED : GREETING }),
  reply: (ctx) => (ctx.trigger === 'user_turn' ? { say: REPLY } : undefined),
};

export interface LiveCall {
  call: SimulatedCall;
  room: string;
  /** Index of the bridge whose stream the caller first reached, of the LiveKit node hosting the room. */
  bridge: number;
  node: number;
  /** Index of the worker whose job took the call first. */
  worker: number;
  /** How well the greeting the caller heard matched GREETING (computed when first read). */
  readonly greeting: number;
}

/**
 * What the caller heard of an utterance. The match is computed when first read, not while calls
 * are live: correlating seconds of audio against every lag takes this process (the simulated
 * Twilio, its callers' audio clocks) off the event loop for seconds on a loaded machine, which
 * once held a call's stream back 27 s and failed the run.
 */
export interface Heard {
  /** When the caller started hearing it (performance.now). */
  at: number;
  readonly match: number;
}

function heardLazily(at: number, heard: Int16Array, text: string): Heard {
  let match: number | undefined;
  return {
    at,
    get match() {
      match ??= matches(heard, text).median;
      return match;
    },
  };
}

/**
 * The caller heard `text` from the first onset after `afterMs`, played out to its end: its
 * correlation with the simulator's voice saying it, and when it started.
 */
export async function hears(
  call: SimulatedCall,
  afterMs: number,
  text: string,
  what: string,
  onset: () => void = () => undefined,
): Promise<Heard> {
  const at = await call.waitForAudioOnset(afterMs, 60_000);
  onset();
  await playedOut(call, what, 60_000);
  // A copy: the call goes on, and its heard timeline with it.
  return heardLazily(at, heardSince(call, at - 100).slice(), text);
}

/** The caller speaks and hears the answer out (its match against REPLY, when read). */
export async function callerTurn(call: SimulatedCall): Promise<Heard> {
  const askedAt = performance.now();
  await call.sendAudio(speechPcm({ text: 'I would like to book an appointment please.', sampleRate: 8000 }));
  return hears(call, askedAt, REPLY, 'the reply');
}

const indexOf = (apps: NodeApp[], match: (e: Record<string, unknown>) => boolean) =>
  apps.findIndex((a) => a.entries().some(match));

/**
 * Places a call through the balancer and waits until the caller heard the greeting out; `started`
 * runs once the greeting began (the call is set up: its agent process runs).
 */
export async function greetedCall(s: ScaleOut, n: number, started: () => void): Promise<LiveCall> {
  const call = await s.placeCall(`+1555123${String(n).padStart(4, '0')}`);
  const room = `call-${call.callSid}`;
  const greeting = await hears(call, call.streamStartedAtMs - 1, GREETING, 'the greeting', started);
  const bridge = await waitFor('the bridge carrying the stream', () => {
    const i = indexOf(s.bridges, (e) => e.msg === 'call live' && e.room === room);
    return i >= 0 ? i : undefined;
  });
  const worker = await waitFor('the worker that took the job', () => {
    const i = indexOf(s.workers, (e) => e.msg === 'job accepted' && e.room === room);
    return i >= 0 ? i : undefined;
  });
  // Redis answers slowly on a loaded machine (the testkit's client gives up after 2 s): ask again.
  const node = await waitFor(
    'the LiveKit node hosting the room',
    async () => {
      const i = await s.cluster.nodeOf(room).catch(() => -1);
      return i >= 0 ? i : undefined;
    },
    20_000,
  );
  return {
    call,
    room,
    bridge,
    node,
    worker,
    get greeting() {
      return greeting.match;
    },
  };
}

/**
 * `n` calls, at most `settingUp` of them being set up at once (placed, the agent process starting,
 * not yet greeting): a burst of agent processes starting together starves a small machine.
 */
export async function wave(s: ScaleOut, first: number, n: number, settingUp: number): Promise<LiveCall[]> {
  const waiting: (() => void)[] = [];
  let free = settingUp;
  const slot = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await slot();
      let released = false;
      const done = () => {
        if (!released) release();
        released = true;
      };
      try {
        return await greetedCall(s, first + i, done);
      } finally {
        done();
      }
    }),
  );
}

/** How many of `calls` each of `n` parts carried. */
export function perPart(calls: LiveCall[], part: (c: LiveCall) => number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => calls.filter((c) => part(c) === i).length);
}
