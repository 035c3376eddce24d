import { describe, expect, it } from 'vitest';
import { speechPcm } from '../../testkit/src/audio-fixtures/index.js';
import {
  createDownlink,
  createUplink,
  MULAW_FRAME_BYTES,
  muLawDecode,
  muLawEncode,
  muLawToBase64,
} from '../src/index.js';
import { alignedSnrDb, bandLimited, chunks, concat, sine, toInt16 } from './support/signal-quality.js';
import { soxPcm16 } from './support/sox.js';

const SPEECH = 'Thanks for calling. How can I help you today?';
const toneFrame = muLawEncode(toInt16(sine(1000, 8000, 160)));

describe('uplink (Twilio -> room)', () => {
  it('turns one 160-byte Twilio payload into 20 ms of 48 kHz PCM and describes its chain', () => {
    const uplink = createUplink();
    expect(uplink.describe()).toBe('base64 -> PCMU(decode) -> resample 8000->48000 (polyphase)');
    expect(uplink.processBase64(muLawToBase64(toneFrame)).length).toBe(960);
  });

  it('gives the same audio from base64 as from bytes', () => {
    const a = createUplink();
    const b = createUplink();
    for (let i = 0; i < 3; i++) {
      expect(Array.from(a.processBase64(muLawToBase64(toneFrame)))).toEqual(
        Array.from(b.processMuLaw(toneFrame)),
      );
    }
  });

  it('returns fresh arrays that own their buffer (rtc-node AudioFrame reads from byte 0 of .buffer)', () => {
    const uplink = createUplink();
    const first = uplink.processMuLaw(toneFrame);
    const copy = first.slice();
    const second = uplink.processMuLaw(toneFrame);
    expect(second.buffer).not.toBe(first.buffer);
    expect(Array.from(first)).toEqual(Array.from(copy));
    expect(second.byteOffset).toBe(0);
    expect(second.buffer.byteLength).toBe(second.byteLength);
  });

  it('serves other room rates, and 8 kHz without resampling', () => {
    expect(createUplink({ outputRate: 16000 }).processMuLaw(toneFrame).length).toBe(320);
    const direct = createUplink({ outputRate: 8000 });
    expect(direct.describe()).toBe('base64 -> PCMU(decode)');
    expect(Array.from(direct.processMuLaw(toneFrame))).toEqual(Array.from(muLawDecode(toneFrame)));
  });

  it('refuses empty or malformed payloads and bad rates, naming them', () => {
    const uplink = createUplink();
    expect(() => uplink.processBase64('')).toThrow(/empty/);
    expect(() => uplink.processBase64('not base64!')).toThrow(/not padded base64 \(length 11/);
    expect(() => uplink.processMuLaw(new Uint8Array(0))).toThrow(/empty \(0 bytes\)/);
    expect(() => uplink.processMuLaw(new Int16Array(160) as unknown as Uint8Array)).toThrow(/got Int16Array/);
    expect(() => createUplink({ outputRate: 47999.5 })).toThrow(/uplink output rate .* got 47999.5/);
  });

  it('matches sox resampling the same decoded speech to 48 kHz, within the telephone band', () => {
    const speech = muLawEncode(speechPcm({ text: SPEECH, sampleRate: 8000 }));
    const uplink = createUplink();
    const ours = concat([
      ...chunks(speech, MULAW_FRAME_BYTES).map((f) => uplink.processMuLaw(f)),
      uplink.flush(),
    ]);
    const theirs = soxPcm16(
      muLawDecode(speech),
      { kind: 'pcm16', rate: 8000 },
      { kind: 'pcm16', rate: 48000 },
    );
    const { snrDb, lag } = alignedSnrDb(
      bandLimited(theirs, 48000, 3000),
      bandLimited(ours, 48000, 3000),
      200,
      2000,
    );
    expect(lag).toBe(102); // 17 samples at 8 kHz: the polyphase chain's whole-sample delay
    expect(snrDb).toBeGreaterThan(50);
  });
});

describe('downlink (room -> Twilio)', () => {
  const agentTone = toInt16(sine(1000, 48000, 4800));

  it('turns 10 ms LiveKit chunks into exact 20 ms μ-law frames and describes its chain', () => {
    const downlink = createDownlink({ inputRate: 48000 });
    expect(downlink.describe()).toBe(
      'resample 48000->8000 (polyphase) -> PCMU(encode) -> frame 160 bytes (20 ms)',
    );
    const perPush = chunks(agentTone, 480).map((c) => downlink.push(c, 48000).length);
    expect(perPush).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it('downmixes stereo to the same frames as mono, per chunk', () => {
    const stereo = new Int16Array(agentTone.length * 2);
    agentTone.forEach((v, i) => stereo.set([v, v], 2 * i));
    const fromStereo = createDownlink({ inputRate: 48000, channels: 2 });
    expect(fromStereo.describe()).toMatch(/^downmix 2->1 -> resample/);
    const fromMono = createDownlink({ inputRate: 48000 });
    const a = chunks(stereo, 960).flatMap((c) => fromStereo.push(c));
    const b = chunks(agentTone, 480).flatMap((c) => fromMono.push(c, 48000, 1));
    expect(a.map((f) => Array.from(f))).toEqual(b.map((f) => Array.from(f)));
  });

  it('returns frames that are each their own 160-byte buffer, safe to queue', () => {
    const downlink = createDownlink({ inputRate: 48000 });
    const frames = downlink.push(agentTone);
    expect(frames.length).toBe(5);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(5);
    expect(
      frames.every((f) => f.byteLength === MULAW_FRAME_BYTES && f.buffer.byteLength === MULAW_FRAME_BYTES),
    ).toBe(true);
  });

  it('flushes the rest of an utterance padded with μ-law silence, and reset drops it instead', () => {
    const downlink = createDownlink({ inputRate: 24000 });
    const body = downlink.push(toInt16(sine(1000, 24000, 2500)));
    const tail = downlink.flush();
    const total = body.length + tail.length;
    // 2500 samples at 24 kHz plus the filter delay is a bit over 5 frames.
    expect(total).toBe(6);
    expect(tail.at(-1)!.at(-1)).toBe(0xff);
    downlink.push(toInt16(sine(1000, 24000, 1000)));
    downlink.reset();
    expect(downlink.flush().length).toBe(0);
    expect(createDownlink({ inputRate: 48000 }).flush().length).toBe(0);
  });

  it('refuses the wrong rate, uneven channels and empty chunks, naming them', () => {
    const downlink = createDownlink({ inputRate: 48000 });
    expect(() => downlink.push(agentTone, 24000)).toThrow(
      /at 24000 Hz but this downlink was built for 48000 Hz/,
    );
    expect(() => downlink.push(new Int16Array(481), 48000, 2)).toThrow(
      /481 samples does not divide into 2 channels/,
    );
    expect(() => downlink.push(agentTone, 48000, 0)).toThrow(/channel count .* got 0/);
    expect(() => downlink.push(new Int16Array(0))).toThrow(/empty \(0 samples\)/);
    expect(() => createDownlink({ inputRate: 0 })).toThrow(/downlink input rate .* got 0/);
    expect(() => createDownlink({ inputRate: 48000, channels: 3.5 })).toThrow(/got 3.5/);
  });

  it('matches sox downsampling agent speech to 8 kHz, within the telephone band', () => {
    const speech = speechPcm({ text: SPEECH, sampleRate: 48000 });
    const downlink = createDownlink({ inputRate: 48000 });
    const frames = [...chunks(speech, 480).flatMap((c) => downlink.push(c)), ...downlink.flush()];
    const ours = muLawDecode(concat(frames));
    const theirs = soxPcm16(speech, { kind: 'pcm16', rate: 48000 }, { kind: 'pcm16', rate: 8000 });
    const bandOurs = bandLimited(ours, 8000, 3000);
    const bandTheirs = bandLimited(theirs, 8000, 3000);
    const { snrDb, lag } = alignedSnrDb(bandTheirs, bandOurs, 60, 400);
    expect(lag).toBe(17);
    // What is left is μ-law's own noise: sox's output through our codec scores the same.
    const codecOnly = alignedSnrDb(
      bandTheirs,
      bandLimited(muLawDecode(muLawEncode(theirs)), 8000, 3000),
      0,
      400,
    );
    expect(snrDb).toBeGreaterThan(codecOnly.snrDb - 1);
  });
});
