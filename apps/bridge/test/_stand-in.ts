/**
 * A stand-in for the agent in a call's room: joins once the bridge created the room, publishes a
 * microphone, reports `lk.agent.state`, and speaks in real time. Shared by the bridge's integration
 * tests and `npm run bench:clear`.
 */
import { AudioFrame, RpcError, type AudioSource } from '@livekit/rtc-node';
import { decimate, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { isProgressMark, type SimulatedCall } from '@callbridge/testkit/twilio';
import {
  connectParticipant,
  type ConnectedParticipant,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import { waitFor } from '@callbridge/testkit/wait';
import { RoomServiceClient } from 'livekit-server-sdk';

export interface StandIn {
  agent: ConnectedParticipant;
  source: AudioSource;
  setState(state: 'speaking' | 'listening'): Promise<void>;
}

/**
 * Joins the call's room (`call-<CallSid>`) once the bridge has created it. `kind: 'agent'` joins as
 * an agent worker does, so the bridge watches it like one (agent left, unreachable, redispatch).
 */
export async function joinStandIn(
  lk: LiveKitServer,
  callSid: string,
  opts: { kind?: 'agent' } = {},
): Promise<StandIn> {
  const room = `call-${callSid}`;
  const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
  await waitFor('call room', async () => (await rooms.listRooms([room])).length > 0);
  const agent = await connectParticipant(
    lk,
    room,
    `agent-standin-${callSid.slice(-6)}`,
    { 'lk.agent.state': 'listening' },
    opts.kind,
  );
  const source = await agent.publishMicrophone({ queueMs: 100 });
  return {
    agent,
    source,
    setState: (state) => agent.room.localParticipant!.setAttributes({ 'lk.agent.state': state }),
  };
}

/**
 * An RPC from a participant in the room to the phone. The phone is visible in the room a moment
 * before the bridge has registered its methods (rtc-node answers an invocation that arrives with
 * the connection itself before any handler can be registered), so a call that early is retried.
 */
export function callPhone(
  from: ConnectedParticipant,
  phoneIdentity: string,
  method: string,
  payload: string,
): Promise<string> {
  return waitFor(`the phone to answer the ${method} RPC`, async () => {
    try {
      return await from.room.localParticipant!.performRpc({
        destinationIdentity: phoneIdentity,
        method,
        payload,
      });
    } catch (err) {
      if (
        err instanceof RpcError &&
        err.code === RpcError.ErrorCode.UNSUPPORTED_METHOD &&
        /not supported/.test(err.message)
      )
        return undefined;
      throw err;
    }
  });
}

const FRAME = 480; // 10 ms at 48 kHz

/** Plays 48 kHz PCM in 10 ms frames in real time, to the end. Resolves when it has played out. */
export async function speak(source: AudioSource, pcm: Int16Array): Promise<void> {
  for (let off = 0; off < pcm.length; off += FRAME) await captureAt(source, pcm, off);
  await source.waitForPlayout();
}

/**
 * The stand-in says `text` (`speaking` while it does) and, once Twilio echoed the end mark of an
 * utterance, returns what the caller heard and how it matches what was said (2 s segments at 8 kHz).
 */
export async function sayToCaller(standIn: StandIn, call: SimulatedCall, text: string) {
  const speech48 = speechPcm({ text, sampleRate: 48_000 });
  await standIn.setState('speaking');
  await speak(standIn.source, speech48);
  await standIn.setState('listening');
  await waitFor('utterance mark echoed', () => call.marksEchoed.some((m) => !isProgressMark(m)));
  const heard = call.heardPcm();
  return { speech48, heard, match: segmentedCorrelation(decimate(speech48, 6), heard, 2000) };
}

/**
 * Speaks 48 kHz PCM (it should be loud throughout, e.g. a tone) until `cutWhen()` says so, then is
 * cut off mid-word the way an interrupted agent is (callers make the caller speak first: the
 * bridge clears only for a barge-in): its state leaves `speaking` while its audio is
 * still loud, and the audio stops once `stoppedWhen()` says the cut took effect (e.g. the `clear`
 * reached the caller). The bridge tells an interruption from a natural end by loud audio right
 * before the state change, and an attribute can reach it later than audio sent after it, so the
 * audio stays loud until then. Resolves with the moment (performance.now) the state change was sent.
 */
export async function speakUntilCut(
  standIn: StandIn,
  pcm: Int16Array,
  cutWhen: () => boolean,
  stoppedWhen: () => boolean,
): Promise<number> {
  await standIn.setState('speaking');
  let off = 0;
  for (; off < pcm.length && !cutWhen(); off += FRAME) await captureAt(standIn.source, pcm, off);
  if (off >= pcm.length) throw new Error('the stand-in ran out of speech before it was cut off');
  const stoppedAt = performance.now();
  await standIn.setState('listening');
  for (; off < pcm.length && !stoppedWhen(); off += FRAME) await captureAt(standIn.source, pcm, off);
  standIn.source.clearQueue();
  return stoppedAt;
}

function captureAt(source: AudioSource, pcm: Int16Array, off: number): Promise<void> {
  const chunk = new Int16Array(FRAME);
  chunk.set(pcm.subarray(off, Math.min(pcm.length, off + FRAME)));
  return source.captureFrame(new AudioFrame(chunk, 48_000, 1, FRAME));
}
