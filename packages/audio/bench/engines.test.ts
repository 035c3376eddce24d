import { describe, expect, it } from 'vitest';
import { createDownlink, createUplink } from '../src/index.js';
import { describeResamplerLifecycle, describeStreamingQuality } from '../test/support/resampler-contract.js';
import { ENGINE_NAMES, ENGINES, PRODUCT_ENGINE } from './engines.js';

describe('the engines the benchmark compares', () => {
  it('are named after what each builds, the product engine among them', () => {
    for (const name of ENGINE_NAMES) {
      const r = ENGINES[name]({ inputRate: 8000, outputRate: 48000 });
      expect(r.engine).toBe(name);
      r.close();
    }
    expect(ENGINE_NAMES).toContain(PRODUCT_ENGINE);
  });

  it('run inside the product chains, which name them', () => {
    const uplink = createUplink({ resampler: ENGINES['wave-resampler'] });
    const downlink = createDownlink({ inputRate: 48000, resampler: ENGINES['wave-resampler'] });
    expect(uplink.describe()).toBe('base64 -> PCMU(decode) -> resample 8000->48000 (wave-resampler)');
    expect(downlink.describe()).toContain('resample 48000->8000 (wave-resampler)');
  });
});

// The product engine runs the same suites in packages/audio/test.
describeResamplerLifecycle('wave-resampler', ENGINES['wave-resampler']);
describeStreamingQuality('wave-resampler', ENGINES['wave-resampler']);
// soxr works in its own internal blocks, so chunking moves its float rounding by a few LSB
// (-78 dBFS): far below one μ-law step, but not bit-exact as the pure-JS engines are. It also
// returns audio in bursts, so the lifecycle suite's exact output sizes do not apply to it.
describeStreamingQuality('livekit-soxr', ENGINES['livekit-soxr'], { chunkingToleranceLsb: 4 });
