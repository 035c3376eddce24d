// The per-frame audio path of the patched rtc-node (patches/@livekit__rtc-node@0.13.35.patch, parts
// 5, docs/patches.md): captureFrame's request, response and callback and every received AudioStream
// frame are written and read by hand instead of through protobuf-es, and reach their one listener
// instead of every listener of the process.
// The reference for the hand-written messages is protobuf-es itself (the bindings' generated types).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { decimate, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import {
  connectParticipant,
  playPcm,
  recordRemoteAudio,
  startLiveKitServer,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const rtcNodeDist = dirname(require.resolve('@livekit/rtc-node'));
const fromRtcNode = createRequire(join(rtcNodeDist, 'index.cjs'));
/* eslint-disable @typescript-eslint/no-explicit-any -- the bindings' generated message classes */
const pb = fromRtcNode('@livekit/rtc-ffi-bindings') as Record<string, any>;
interface FfiEventLike {
  message: { case?: string };
}
const { FfiClient } = fromRtcNode('./ffi_client.cjs') as {
  FfiClient: {
    instance: {
      on(event: 'ffi_event', listener: (ev: FfiEventLike) => void): void;
      off(event: 'ffi_event', listener: (ev: FfiEventLike) => void): void;
    };
  };
};
const fast = fromRtcNode('./audio_fast_path.cjs') as {
  encodeCaptureRequest(h: bigint, ptr: bigint, ch: number, rate: number, spc: number): Uint8Array | undefined;
  decodeCaptureResponse(buf: Uint8Array): number;
  decodeEvent(buf: Uint8Array): number;
  event: Record<string, number>;
  NOT_HANDLED: number;
  CAPTURE_DONE: number;
  FRAME_RECEIVED: number;
};

const frameEvent = (streamHandle: bigint, frameHandle: bigint, dataPtr: bigint) =>
  new pb.FfiEvent({
    message: {
      case: 'audioStreamEvent',
      value: new pb.AudioStreamEvent({
        streamHandle,
        message: {
          case: 'frameReceived',
          value: new pb.AudioFrameReceived({
            frame: new pb.OwnedAudioFrameBuffer({
              handle: new pb.FfiOwnedHandle({ id: frameHandle }),
              info: new pb.AudioFrameBufferInfo({
                dataPtr,
                numChannels: 1,
                sampleRate: 48_000,
                samplesPerChannel: 960,
              }),
            }),
          }),
        },
      }),
    },
  }).toBinary() as Uint8Array;

describe('patched rtc-node: the per-frame audio messages', () => {
  it('writes the CaptureAudioFrameRequest protobuf-es reads back field for field', () => {
    // A 47-bit pointer (user-space addresses on x86-64/arm64) and a multi-byte handle.
    const req = fast.encodeCaptureRequest(300n, 0x7f12_3456_7890n, 1, 48_000, 960)!;
    const decoded = pb.FfiRequest.fromBinary(req).message;
    expect(decoded.case).toBe('captureAudioFrame');
    expect(decoded.value.sourceHandle).toBe(300n);
    expect(decoded.value.buffer).toMatchObject({
      dataPtr: 0x7f12_3456_7890n,
      numChannels: 1,
      sampleRate: 48_000,
      samplesPerChannel: 960,
    });
    // Past 2^53 a Number cannot carry it: protobuf-es takes over.
    expect(fast.encodeCaptureRequest(1n, 2n ** 60n, 1, 48_000, 960)).toBeUndefined();
  });

  it('reads the response and both events as protobuf-es wrote them, and hands back what it does not read', () => {
    const response = new pb.FfiResponse({
      message: { case: 'captureAudioFrame', value: new pb.CaptureAudioFrameResponse({ asyncId: 70_000n }) },
    }).toBinary();
    expect(fast.decodeCaptureResponse(response)).toBe(70_000);
    const other = new pb.FfiResponse({
      message: { case: 'clearAudioBuffer', value: new pb.ClearAudioBufferResponse({}) },
    }).toBinary();
    expect(fast.decodeCaptureResponse(other)).toBe(-1);

    const callback = (error?: string) =>
      new pb.FfiEvent({
        message: {
          case: 'captureAudioFrame',
          value: new pb.CaptureAudioFrameCallback({ asyncId: 9n, error }),
        },
      }).toBinary();
    expect(fast.decodeEvent(callback())).toBe(fast.CAPTURE_DONE);
    expect(fast.event.asyncId).toBe(9);
    // An error string goes to protobuf-es (and on to captureFrame, which throws it).
    expect(fast.decodeEvent(callback('source closed'))).toBe(fast.NOT_HANDLED);

    expect(fast.decodeEvent(frameEvent(42n, 555n, 0x7fab_cdef_0123n))).toBe(fast.FRAME_RECEIVED);
    expect(fast.event).toMatchObject({
      streamHandle: 42,
      frameHandle: 555,
      dataPtr: 0x7fab_cdef_0123,
      numChannels: 1,
      sampleRate: 48_000,
      samplesPerChannel: 960,
    });
    const eos = new pb.FfiEvent({
      message: {
        case: 'audioStreamEvent',
        value: new pb.AudioStreamEvent({
          streamHandle: 42n,
          message: { case: 'eos', value: new pb.AudioStreamEOS({}) },
        }),
      },
    }).toBinary();
    expect(fast.decodeEvent(eos)).toBe(fast.NOT_HANDLED);
    const truncated = frameEvent(42n, 555n, 1n).subarray(0, 12);
    expect(fast.decodeEvent(truncated)).toBe(fast.NOT_HANDLED);
  });
});

describe('patched rtc-node: audio between two participants', () => {
  let server: LiveKitServer;
  beforeAll(async () => {
    server = await startLiveKitServer();
  });
  afterAll(async () => {
    await server?.stop();
    await dispose();
  });

  it('delivers the speech while its frames and capture callbacks reach no process-wide listener', async () => {
    // What every listener of the process (each Room, as unpatched each AudioStream and pending
    // captureFrame) is handed: by the patch, none of the per-frame events.
    const seen = new Map<string, number>();
    const tally = (ev: FfiEventLike) =>
      seen.set(ev.message.case ?? '', (seen.get(ev.message.case ?? '') ?? 0) + 1);
    FfiClient.instance.on('ffi_event', tally);
    const speech = speechPcm({ text: 'Your appointment is on Tuesday at ten', sampleRate: 48_000 });
    const sender = await connectParticipant(server, 'fast-path', 'sender');
    const receiver = await connectParticipant(server, 'fast-path', 'receiver');
    try {
      const source = await sender.publishMicrophone();
      const recording = await recordRemoteAudio(receiver.room, { from: (p) => p.identity === 'sender' });
      await playPcm(source, new Int16Array(48_000 / 2), 48_000);
      await playPcm(source, speech, 48_000);
      await playPcm(source, new Int16Array(48_000), 48_000);
      recording.stop();

      // The frames went through the hand-written path both ways and still carry the speech.
      const match = segmentedCorrelation(decimate(speech, 6), decimate(recording.samples(), 6), 2000);
      expect(match.peaks.length).toBeGreaterThan(5);
      expect(match.median).toBeGreaterThan(0.75);
      // The room's own events still reach the process-wide listeners.
      expect(seen.get('roomEvent') ?? 0).toBeGreaterThan(0);
      expect({
        captureAudioFrame: seen.get('captureAudioFrame') ?? 0,
        audioStreamEvent: seen.get('audioStreamEvent') ?? 0,
      }).toEqual({ captureAudioFrame: 0, audioStreamEvent: 0 });
    } finally {
      FfiClient.instance.off('ffi_event', tally);
      await sender.disconnect();
      await receiver.disconnect();
    }
  });
});
