/**
 * A stand-in for the bridge's phone participant, following the bridge contract: identity
 * `phone-<digits>`, SIP-style attributes, a microphone track that streams continuously (speech or
 * silence, like a live phone line), RPC handlers for `hangup`/`transfer`, DTMF, and recording of
 * everything the agent sends back (audio, transcriptions, tool call records).
 */
import { connectParticipant, recordRemoteAudio, type AudioRecording } from '@callbridge/testkit/livekit';
import { AudioFrame, RoomEvent, RpcError, type AudioSource, type Room } from '@livekit/rtc-node';
import { rmsDbfs } from '@callbridge/testkit/audio-fixtures';
import { waitFor as waitForProbe, type Probe } from '@callbridge/testkit/wait';
import { onsetIndex } from './_audio.js';

const RATE = 48_000;
const FRAME = RATE / 100;

export interface TextMessage {
  topic: string;
  from: string;
  text: string;
  attributes: Record<string, string>;
  at: number;
}

export interface StandInPhone {
  identity: string;
  room: Room;
  /** performance.now() when the microphone went live, for latency measurements. */
  joinedAt: number;
  /** Agent audio as received (48 kHz mono); resolves once the agent's track is subscribed. */
  agentAudio: Promise<AudioRecording>;
  /** Queues speech (48 kHz) on the microphone; resolves when it has been sent. */
  say(pcm: Int16Array): Promise<void>;
  pressKeys(keys: string): Promise<void>;
  /**
   * Waits for the agent to start speaking at or after recording sample `from`, and to finish
   * (its `lk.agent.state` back to listening). Returns where the utterance starts and the audio.
   */
  nextUtterance(from: number): Promise<{ onset: number; end: number; heardAt: number; pcm: Int16Array }>;
  /** `at` is performance.now(), comparable with the recording's frame times. */
  rpcCalls: Array<{ method: string; payload: string; at: number }>;
  /** The agent participant's `lk.agent.state` attribute, once it has one. */
  agentState(): string | undefined;
  /** Every `lk.agent.state` change seen, with performance.now() times. */
  agentStates: Array<{ state: string; at: number }>;
  texts: TextMessage[];
  /** performance.now() of each LiveKit Agents session-event stream (`lk.agent.session`) sent to the phone. */
  sessionEventStreams: number[];
  waitFor<T>(what: string, probe: Probe<T>, timeoutMs?: number): Promise<T>;
  leave(): Promise<void>;
}

export interface CallIdentity {
  callSid: string;
  from: string;
  to: string;
  direction?: 'inbound' | 'outbound';
}

export async function joinAsPhone(
  server: { url: string; apiKey: string; apiSecret: string },
  roomName: string,
  call: CallIdentity,
  opts: { transferResult?: 'ok' | 'refuse' } = {},
): Promise<StandInPhone> {
  const direction = call.direction ?? 'inbound';
  const remote = direction === 'inbound' ? call.from : call.to;
  const identity = `phone-${remote.replace(/\D/g, '')}`;
  const participant = await connectParticipant(server, roomName, identity, {
    'sip.phoneNumber': remote,
    'sip.trunkPhoneNumber': direction === 'inbound' ? call.to : call.from,
    'sip.callID': call.callSid,
    'sip.callStatus': 'active',
    'sip.callDirection': direction,
    'callbridge.streamSid': `MZ${call.callSid.slice(2)}`,
  });
  const room = participant.room;
  const rpcCalls: StandInPhone['rpcCalls'] = [];
  const local = room.localParticipant!;
  local.registerRpcMethod('hangup', async (data) => {
    rpcCalls.push({ method: 'hangup', payload: data.payload, at: performance.now() });
    return JSON.stringify({ ok: true });
  });
  local.registerRpcMethod('transfer', async (data) => {
    rpcCalls.push({ method: 'transfer', payload: data.payload, at: performance.now() });
    if (opts.transferResult === 'refuse') throw new RpcError(1500, 'destination not allowed');
    return JSON.stringify({ ok: true });
  });

  const agentStates: StandInPhone['agentStates'] = [];
  room.on(RoomEvent.ParticipantAttributesChanged, (changed, p) => {
    const state = changed['lk.agent.state'];
    if (state && p.identity.startsWith('agent-')) agentStates.push({ state, at: performance.now() });
  });
  const texts: TextMessage[] = [];
  for (const topic of ['lk.transcription', 'callbridge.tool_calls']) {
    room.registerTextStreamHandler(topic, (reader, info) => {
      reader
        .readAll()
        .then((text) =>
          texts.push({
            topic,
            from: info.identity,
            text,
            attributes: reader.info.attributes ?? {},
            at: Date.now(),
          }),
        )
        // A stream cut short because someone left the room is not a test failure.
        .catch(() => undefined);
    });
  }

  const sessionEventStreams: number[] = [];
  room.registerByteStreamHandler('lk.agent.session', (reader) => {
    sessionEventStreams.push(performance.now());
    reader.readAll().catch(() => undefined);
  });

  const agentAudio = recordRemoteAudio(room, {
    sampleRate: RATE,
    from: (p) => p.identity.startsWith('agent-'),
  });
  // The microphone runs 400 ms ahead of real time, as a phone line's jitter buffer would: on a
  // busy machine this process can stall for a few hundred ms, and a shallow queue would then cut
  // holes of silence into the caller's speech, which the model's VAD hears as the end of a turn.
  const source = await participant.publishMicrophone({ sampleRate: RATE, queueMs: 400 });
  const mic = startMicrophone(source);
  const joinedAt = performance.now();

  /** The testkit's waitFor, labelled so a failure names the stand-in phone. */
  const waitFor = <T>(what: string, probe: Probe<T>, timeoutMs = 15_000): Promise<T> =>
    waitForProbe(what, probe, { timeoutMs, intervalMs: 50, label: 'stand-in phone' });

  const agentState = () =>
    [...room.remoteParticipants.values()].find((p) => p.identity.startsWith('agent-'))?.attributes[
      'lk.agent.state'
    ];

  return {
    identity,
    room,
    joinedAt,
    async nextUtterance(from) {
      const recording = await agentAudio;
      const onset = await waitFor('agent speech', () => {
        const at = onsetIndex(recording.samples(), RATE, from);
        return at >= 0 ? at : undefined;
      });
      // Both: the state attribute can lag the audio, and audio alone cannot tell a pause from the end.
      await waitFor(
        'agent to finish speaking',
        () => {
          const pcm = recording.samples();
          const tail = Math.max(onset, pcm.length - RATE / 2);
          return (
            (agentState() === 'listening' && pcm.length - onset > RATE / 2 && rmsDbfs(pcm, tail) < -50) ||
            undefined
          );
        },
        20_000,
      );
      const frame = recording.frames.find((f) => f.index + f.length > onset);
      return { onset, end: recording.samples().length, heardAt: frame?.atMs ?? 0, pcm: recording.samples() };
    },
    agentAudio,
    say: (pcm) => mic.play(pcm),
    pressKeys: async (keys) => {
      for (const key of keys) {
        await local.publishDtmf(dtmfCode(key), key);
        // A person's pace between keys (as the Twilio simulator's gapMs): input pacing, not a wait.
        await new Promise((r) => setTimeout(r, 120));
      }
    },
    rpcCalls,
    agentState,
    agentStates,
    texts,
    sessionEventStreams,
    waitFor,
    async leave() {
      mic.stop();
      void agentAudio.then((r) => r.stop());
      await participant.disconnect();
    },
  };
}

/** RFC 4733 event codes: 0-9, * = 10, # = 11, A-D = 12-15. */
function dtmfCode(key: string): number {
  if (/^\d$/.test(key)) return Number(key);
  return { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 }[key] ?? 0;
}

/** Streams 10 ms frames without pause: queued speech first, silence otherwise. */
function startMicrophone(source: AudioSource) {
  const queue: Array<{ pcm: Int16Array; offset: number; done: () => void }> = [];
  let running = true;
  void (async () => {
    while (running) {
      const frame = new Int16Array(FRAME);
      const head = queue[0];
      if (head) {
        frame.set(head.pcm.subarray(head.offset, head.offset + FRAME));
        head.offset += FRAME;
        if (head.offset >= head.pcm.length) {
          queue.shift();
          head.done();
        }
      }
      try {
        await source.captureFrame(new AudioFrame(frame, RATE, 1, FRAME));
      } catch {
        break;
      }
    }
  })();
  return {
    play: (pcm: Int16Array) => new Promise<void>((resolve) => queue.push({ pcm, offset: 0, done: resolve })),
    stop: () => {
      running = false;
    },
  };
}
