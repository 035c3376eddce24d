/**
 * Audio both ways on a call whose agent is a stand-in: speech matched by correlation, tones by
 * energy, and a watch of the flow over time (when each side last heard the other, the longest gap).
 * Used by livekit-multinode.test.ts.
 */
import { decimate, rmsDbfs, segmentedCorrelation, speechPcm, tone } from '@callbridge/testkit/audio-fixtures';
import { recordRemoteAudio, type AudioRecording, type LiveKitServer } from '@callbridge/testkit/livekit';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';
import { joinStandIn, speak, type StandIn } from './_stand-in.js';

export interface LiveCall {
  call: SimulatedCall;
  room: string;
  /** Index of the node hosting the room. */
  node: number;
  /** Index of the node the agent stand-in connected to (the bridge always uses node 1, index 0). */
  agentNode: number;
  standIn: StandIn;
  /** What the stand-in hears from the phone participant (48 kHz). */
  heardByAgent: AudioRecording;
}

/** A call on one node with a stand-in agent that records the phone: ready for the checks below. */
export async function withStandIn(lk: LiveKitServer, call: SimulatedCall): Promise<LiveCall> {
  const standIn = await joinStandIn(lk, call.callSid, { kind: 'agent' });
  const phone = await waitFor('phone participant', () =>
    [...standIn.agent.room.remoteParticipants.values()].find((r) => r.identity.startsWith('phone-')),
  );
  const heardByAgent = await recordRemoteAudio(standIn.agent.room, {
    from: (r) => r.identity === phone.identity,
  });
  return { call, room: `call-${call.callSid}`, node: 0, agentNode: 0, standIn, heardByAgent };
}

/** The caller says something; resolves with how well the agent's recording matches it. */
export async function callerToAgent(c: LiveCall, text: string) {
  const speech = speechPcm({ text, sampleRate: 8000 });
  const from = c.heardByAgent.samples().length;
  await c.call.sendAudio(new Int16Array(8000));
  await c.call.sendAudio(speech);
  // All of it has arrived once the line's silence after it has.
  await waitFor('silence after the speech in the room', () => {
    const pcm = c.heardByAgent.samples();
    return pcm.length - 19_200 >= from + speech.length * 6 && rmsDbfs(pcm, pcm.length - 19_200) < -50;
  });
  return segmentedCorrelation(speech, decimate(c.heardByAgent.samples().slice(from), 6), 2000);
}

/** The agent says something; resolves with how well what the caller heard matches it. */
export async function agentToCaller(c: LiveCall, text: string) {
  const speech48 = speechPcm({ text, sampleRate: 48_000 });
  const from = c.call.heardPcm().length;
  await c.standIn.setState('speaking');
  await speak(c.standIn.source, speech48);
  await c.standIn.setState('listening');
  await waitFor(
    'the speech heard by the caller',
    () => c.call.heardPcm().length >= from + speech48.length / 6,
  );
  return segmentedCorrelation(decimate(speech48, 6), c.call.heardPcm().slice(from), 2000);
}

/**
 * Whether a 1 s tone gets through within `timeoutMs`, each way: the caller hears the agent's, the
 * agent hears the caller's (above -40 dBFS over 200 ms, where silence is below -50).
 */
export async function tonesGetThrough(c: LiveCall, timeoutMs: number) {
  const heardFrom = c.call.heardPcm().length;
  const recFrom = c.heardByAgent.samples().length;
  const loud = (pcm: Int16Array, from: number, window: number) => {
    for (let at = from; at + window <= pcm.length; at += window)
      if (rmsDbfs(pcm, at, at + window) > -40) return true;
    return false;
  };
  // An utterance as an agent makes one: `speaking`, the tone, a moment of silence, `listening` (a
  // state change right after loud audio would be an interruption, after which the bridge mutes the
  // rest until the next `speaking`).
  const agentTone = new Int16Array(48_000 + 14_400);
  agentTone.set(tone({ frequency: 440, sampleRate: 48_000, durationMs: 1000, dbfs: -12 }));
  const callerTone = tone({ frequency: 300, sampleRate: 8000, durationMs: 1000, dbfs: -12 });
  const [toCaller, toAgent] = await Promise.all([
    c.standIn
      .setState('speaking')
      .then(() => speak(c.standIn.source, agentTone))
      .then(() => c.standIn.setState('listening'))
      .then(() => waitFor('agent tone heard', () => loud(c.call.heardPcm(), heardFrom, 1600), timeoutMs))
      .then(
        () => true,
        () => false,
      ),
    c.call
      .sendAudio(callerTone)
      .then(() =>
        waitFor('caller tone heard', () => loud(c.heardByAgent.samples(), recFrom, 9600), timeoutMs),
      )
      .then(
        () => true,
        () => false,
      ),
  ]);
  return { toCaller, toAgent };
}

/** Both sides play tones non-stop; records when each side heard loud audio. */
export function watchFlow(c: LiveCall) {
  let stopped = false;
  let closed = false;
  void c.call.closed.then(() => (closed = true));
  const agentTone = tone({ frequency: 440, sampleRate: 48_000, durationMs: 500, dbfs: -12 });
  const callerTone = tone({ frequency: 300, sampleRate: 8000, durationMs: 500, dbfs: -12 });
  void (async () => {
    // The agent talks on and on (no state change, so the caller's tone is no interruption). Stops
    // at the first failure (the stand-in lost its room): no busy loop.
    await c.standIn.setState('speaking').catch(() => undefined);
    while (!stopped) if ((await speak(c.standIn.source, agentTone).catch(() => 'failed')) === 'failed') break;
  })();
  void (async () => {
    while (!stopped && !closed)
      if ((await c.call.sendAudio(callerTone).catch(() => 'failed')) === 'failed') break;
  })();
  const heardByCaller: number[] = [];
  const heardByAgent: number[] = [];
  let callerAt = c.call.heardPcm().length;
  let agentAt = c.heardByAgent.samples().length;
  const loud = (pcm: Int16Array, from: number, window: number) => {
    for (let at = from; at + window <= pcm.length; at += window)
      if (rmsDbfs(pcm, at, at + window) > -40) return true;
    return false;
  };
  const timer = setInterval(() => {
    const now = performance.now();
    const heard = c.call.heardPcm();
    if (loud(heard, callerAt, 160)) heardByCaller.push(now);
    callerAt = heard.length;
    const rec = c.heardByAgent.samples();
    if (loud(rec, agentAt, 960)) heardByAgent.push(now);
    agentAt = rec.length;
  }, 50);
  /** After `since`: when loud audio was last heard, and the longest gap between two hearings (and where it began). */
  const summarize = (times: number[], since: number) => {
    const after = times.filter((t) => t >= since);
    let gap = 0;
    let gapAt = since;
    let prev = since;
    for (const t of after) {
      if (t - prev > gap) [gap, gapAt] = [t - prev, prev];
      prev = t;
    }
    return {
      last_ms: after.length ? Math.round(after.at(-1)! - since) : null,
      longest_gap_ms: Math.round(gap),
      longest_gap_from_ms: Math.round(gapAt - since),
    };
  };
  const heardSince = (times: number[], since: number) => times.some((t) => t > since);
  const startedAt = performance.now();
  return {
    /** Both sides heard loud audio after `since` (default: since the watch started). */
    flowing: (since = startedAt) => heardSince(heardByCaller, since) && heardSince(heardByAgent, since),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    /** The same, before `since` (from the start of the watch). */
    before: (until: number) => ({
      caller_hears: summarize(
        heardByCaller.filter((t) => t < until),
        startedAt,
      ).longest_gap_ms,
      agent_hears: summarize(
        heardByAgent.filter((t) => t < until),
        startedAt,
      ).longest_gap_ms,
    }),
    summary: (since: number) => ({
      caller_hears: summarize(heardByCaller, since),
      agent_hears: summarize(heardByAgent, since),
      observed_ms: Math.round(performance.now() - since),
    }),
  };
}
