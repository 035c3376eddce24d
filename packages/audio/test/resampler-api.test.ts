import { describe, expect, it } from 'vitest';
import { createResampler, DEFAULT_RESAMPLER_ENGINE, type ResamplerEngine } from '../src/index.js';
import { chunks, concat, sine, toInt16 } from './support/signal-quality.js';

const PURE_JS_ENGINES: ResamplerEngine[] = ['polyphase', 'wave-resampler'];

describe('createResampler', () => {
  it('defaults to the polyphase engine and reports its rates', () => {
    const r = createResampler({ inputRate: 8000, outputRate: 48000 });
    expect(DEFAULT_RESAMPLER_ENGINE).toBe('polyphase');
    expect(r).toMatchObject({ engine: 'polyphase', inputRate: 8000, outputRate: 48000 });
  });

  it.each([0, -8000, 8000.5, Number.NaN, 500, 1_000_000, '8000'])(
    'refuses input rate %s, naming it',
    (rate) => {
      expect(() => createResampler({ inputRate: rate as number, outputRate: 8000 })).toThrow(
        new RegExp(`input sample rate .*got ${String(rate).replace('.', '\\.')}$`),
      );
    },
  );

  it('refuses an unknown engine, naming it and the choices', () => {
    expect(() =>
      createResampler({ inputRate: 8000, outputRate: 48000, engine: 'speex' as ResamplerEngine }),
    ).toThrow(/unknown resampler engine "speex"; expected one of polyphase, wave-resampler, livekit-soxr/);
  });

  it.each(PURE_JS_ENGINES)('%s refuses input that is not PCM16, naming its type', (engine) => {
    const r = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    expect(() => r.process(new Float32Array(160) as unknown as Int16Array)).toThrow(
      /resampler input must be an Int16Array.*got Float32Array\(length 160\)/,
    );
  });
});

describe.each(PURE_JS_ENGINES)('%s resampler lifecycle', (engine) => {
  const signal = toInt16(sine(700, 8000, 1600)).map((v, i) => v + ((i * 31) % 97));

  it('produces exactly 6 samples per input sample at 8k -> 48k once its pipeline is full', () => {
    const r = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    const sizes = chunks(signal, 160).map((c) => r.process(c).length);
    expect(sizes.slice(2)).toEqual(sizes.slice(2).map(() => 960));
  });

  it('returns nothing for an empty chunk and keeps going', () => {
    const fresh = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    const withEmpty = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    expect(withEmpty.process(new Int16Array(0)).length).toBe(0);
    expect(Array.from(withEmpty.process(signal))).toEqual(Array.from(fresh.process(signal)));
  });

  it('flush drains the tail the filter still holds: the last input sample reaches the output', () => {
    const impulseAtEnd = new Int16Array(800);
    impulseAtEnd[799] = 16000;
    const r = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    const body = r.process(impulseAtEnd).slice();
    const tail = r.flush().slice();
    const all = concat([body, tail]);
    expect(all.length).toBeGreaterThanOrEqual(800 * 6);
    const peak = all.reduce((best, v, i) => (v > all[best]! ? i : best), 0);
    expect(all[peak]).toBeGreaterThan(8000);
    expect(peak).toBeGreaterThanOrEqual(body.length - 600);
  });

  it('flushes nothing when it was given nothing', () => {
    const r = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    expect(r.flush().length).toBe(0);
    r.process(signal);
    r.reset();
    expect(r.flush().length).toBe(0);
  });

  it('after flush or reset, starts over exactly like a new instance', () => {
    const fresh = createResampler({ inputRate: 8000, outputRate: 48000, engine }).process(signal).slice();
    const flushed = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    flushed.process(signal.map((v) => -v));
    flushed.flush();
    expect(Array.from(flushed.process(signal))).toEqual(Array.from(fresh));
    const reset = createResampler({ inputRate: 8000, outputRate: 48000, engine });
    reset.process(signal.map((v) => -v));
    reset.reset();
    expect(Array.from(reset.process(signal))).toEqual(Array.from(fresh));
  });

  it('downsamples 48k -> 8k to one sample per six, whatever the chunk size', () => {
    const r = createResampler({ inputRate: 48000, outputRate: 8000, engine });
    const input = toInt16(sine(500, 48000, 48000 * 0.3));
    const total = chunks(input, 7).reduce((n, c) => n + r.process(c).length, 0) + r.flush().length;
    expect(total).toBeGreaterThanOrEqual(input.length / 6);
    expect(total).toBeLessThanOrEqual(input.length / 6 + 60);
  });
});
