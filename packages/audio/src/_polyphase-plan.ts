import type { StageSpec } from './_polyphase-stage.js';

/**
 * The quality every polyphase chain keeps, relative to the lower of its two rates. At 8 kHz this
 * is flat to 3.4 kHz (the telephone band) and 70 dB down from 4.6 kHz, where the first image of
 * 3.4 kHz lands: nothing the caller can hear leaks across the 4 kHz fold.
 */
export const PASSBAND_FRACTION = 0.425;
export const STOPBAND_FRACTION = 0.575;
export const STOPBAND_DB = 70;

/**
 * Splits a rate change into cheap stages. An even integer factor above 2 (8k <-> 48k is 6) goes
 * through a 2x half-band at the low-rate end, where the steep cut has to happen: there half the
 * taps are zero and the filter runs at the lowest rate, while the remaining factor (3x) only has
 * to remove images far from the band and needs few taps. Everything else is one stage.
 */
export function planStages(inputRate: number, outputRate: number): StageSpec[] {
  if (inputRate === outputRate) return [];
  const base = Math.min(inputRate, outputRate);
  const passbandHz = base * PASSBAND_FRACTION;
  const sharpStopHz = base * STOPBAND_FRACTION;
  const stage = (from: number, to: number, stopbandHz: number): StageSpec => ({
    inputRate: from,
    outputRate: to,
    passbandHz,
    stopbandHz,
    stopbandDb: STOPBAND_DB,
  });
  const factor = Math.max(inputRate, outputRate) / base;
  if (Number.isInteger(factor) && factor > 2 && factor % 2 === 0) {
    const middle = base * 2;
    // The wide stage only has to reject what would land on the band the sharp stage keeps.
    const relaxedStopHz = middle - sharpStopHz;
    return outputRate > inputRate
      ? [stage(inputRate, middle, sharpStopHz), stage(middle, outputRate, relaxedStopHz)]
      : [stage(inputRate, middle, relaxedStopHz), stage(middle, outputRate, sharpStopHz)];
  }
  return [stage(inputRate, outputRate, sharpStopHz)];
}
