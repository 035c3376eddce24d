import { describe, expect, it } from 'vitest';
import { amdSettings, detect, type AmdSettings } from './_amd.js';

const form = (f: Record<string, string>) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, [v]]));

describe('answering machine detection model', () => {
  it('reads the request as Twilio does, with its default thresholds', () => {
    expect(amdSettings(form({}))).toBeNull();
    expect(amdSettings(form({ MachineDetection: 'Enable' }))).toEqual({
      mode: 'Enable',
      async: false,
      asyncCallback: null,
      speechThresholdMs: 2400,
      speechEndThresholdMs: 1200,
      silenceTimeoutMs: 5000,
    });
    expect(
      amdSettings(
        form({
          MachineDetection: 'DetectMessageEnd',
          AsyncAmd: 'true',
          AsyncAmdStatusCallback: 'https://app/amd',
          MachineDetectionSpeechThreshold: '3000',
        }),
      ),
    ).toMatchObject({
      mode: 'DetectMessageEnd',
      async: true,
      asyncCallback: 'https://app/amd',
      speechThresholdMs: 3000,
    });
  });

  const enable = amdSettings(form({ MachineDetection: 'Enable', AsyncAmd: 'true' })) as AmdSettings;
  const end = { ...enable, mode: 'DetectMessageEnd' } as AmdSettings;

  it('silence is unknown after the silence timeout; a short hello is human after the end threshold', () => {
    expect(detect({ pcm: new Int16Array(0), speechMs: 0, beepEndMs: null }, end)).toEqual({
      answeredBy: 'unknown',
      atMs: 5000,
    });
    expect(detect({ pcm: new Int16Array(0), speechMs: 800, beepEndMs: null }, end)).toEqual({
      answeredBy: 'human',
      atMs: 2000,
    });
  });

  it('a long greeting is a machine: at the threshold with Enable, after the beep or silence with DetectMessageEnd', () => {
    const greeting = { pcm: new Int16Array(0), speechMs: 4000, beepEndMs: 4900 };
    expect(detect(greeting, enable)).toEqual({ answeredBy: 'machine_start', atMs: 2400 });
    expect(detect(greeting, end)).toEqual({ answeredBy: 'machine_end_beep', atMs: 4900 });
    expect(detect({ ...greeting, beepEndMs: null }, end)).toEqual({
      answeredBy: 'machine_end_silence',
      atMs: 5200,
    });
  });
});
