import { describe, expect, it } from 'vitest';
import { createResampler } from '../src/index.js';
import { describeResamplerLifecycle } from './support/resampler-contract.js';

describe('createResampler', () => {
  it('builds the polyphase engine and reports its rates', () => {
    const r = createResampler({ inputRate: 8000, outputRate: 48000 });
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
});

describeResamplerLifecycle('polyphase', createResampler);
