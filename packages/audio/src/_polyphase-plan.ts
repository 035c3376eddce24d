import { kaiserTapCount } from './_filter-design.js';
import type { StageSpec } from './_polyphase-table.js';
import { greatestCommonDivisor } from './_validate.js';

/**
 * The quality every polyphase chain keeps, relative to the lower of its two rates. At 8 kHz this
 * is flat to 3.4 kHz (the telephone band) and 70 dB down from 4.6 kHz, where the first image of
 * 3.4 kHz lands: nothing the caller can hear leaks across the 4 kHz fold.
 */
export const PASSBAND_FRACTION = 0.425;
export const STOPBAND_FRACTION = 0.575;
export const STOPBAND_DB = 70;

/** Beyond this, whole-sample delay alignment would need too long a search; delays stay fractional. */
const MAX_ALIGNMENT = 64;

type BandSpec = Omit<StageSpec, 'tapCount'>;

/**
 * Splits a rate change into cheap stages and sizes their filters. An even integer factor above
 * 2 (8k <-> 48k is 6) goes through a 2x half-band at the low-rate end, where the steep cut has to
 * happen, and the remaining factor (3x) at the high-rate end, where the filter only has to keep
 * images and aliases off the band the sharp stage keeps. Both filters are then "Nyquist" filters
 * (cutoff exactly at half the lower rate of their stage), so every 2nd (resp. 3rd) tap is zero
 * and costs nothing. Everything else is one stage.
 */
export function planStages(inputRate: number, outputRate: number): StageSpec[] {
  if (inputRate === outputRate) return [];
  const base = Math.min(inputRate, outputRate);
  const passbandHz = base * PASSBAND_FRACTION;
  const sharpStopHz = base * STOPBAND_FRACTION;
  const stage = (from: number, to: number, stopbandHz: number): BandSpec => ({
    inputRate: from,
    outputRate: to,
    passbandHz,
    stopbandHz,
    stopbandDb: STOPBAND_DB,
  });
  const factor = Math.max(inputRate, outputRate) / base;
  let bands: BandSpec[];
  if (Number.isInteger(factor) && factor > 2 && factor % 2 === 0) {
    const middle = base * 2;
    // The wide stage's transition mirrors the passband about middle / 2: its cutoff is then
    // exactly middle / 2 (a third-band filter for 3x). Whatever it lets fold or image from its
    // transition band lands between 3.4 and 4.6 kHz, where the sharp stage removes or leaves it
    // above the telephone band; nothing reaches 0-3.4 kHz at less than STOPBAND_DB down.
    const relaxedStopHz = middle - passbandHz;
    bands =
      outputRate > inputRate
        ? [stage(inputRate, middle, sharpStopHz), stage(middle, outputRate, relaxedStopHz)]
        : [stage(inputRate, middle, relaxedStopHz), stage(middle, outputRate, sharpStopHz)];
  } else {
    bands = [stage(inputRate, outputRate, sharpStopHz)];
  }
  return withAlignedTapCounts(bands, inputRate, outputRate);
}

function phasesOf(band: BandSpec): number {
  return band.outputRate / greatestCommonDivisor(band.inputRate, band.outputRate);
}

/**
 * Gives each stage at least its Kaiser length, lengthened (cheapest first) until the chain's
 * total delay is a whole number of both input and output samples. Then 8k -> 48k lines up with
 * the 8 kHz original sample for sample, and so does every round trip through mirrored chains.
 */
function withAlignedTapCounts(bands: BandSpec[], inputRate: number, outputRate: number): StageSpec[] {
  const highRates = bands.map((band) => band.inputRate * phasesOf(band));
  const minimal = bands.map((band, i) =>
    kaiserTapCount({ ...band, sampleRate: highRates[i]!, gain: phasesOf(band) }),
  );
  const common = highRates.reduce((a, b) => (a * b) / greatestCommonDivisor(a, b));
  // Delay in units of 1/common seconds must be a multiple of this to be whole at both ends.
  const inputStep = common / greatestCommonDivisor(common, inputRate);
  const outputStep = common / greatestCommonDivisor(common, outputRate);
  const alignment = (inputStep * outputStep) / greatestCommonDivisor(inputStep, outputStep);
  const withLengths = (lengths: number[]) => bands.map((band, i) => ({ ...band, tapCount: lengths[i]! }));
  if (alignment > MAX_ALIGNMENT) return withLengths(minimal);

  // Two more taps add one high-rate sample of delay and cost (output rate / phases) MACs a second.
  const weights = bands.map((band) => band.outputRate / phasesOf(band));
  const delayUnits = highRates.map((rate) => common / rate);
  let best: { extra: number[]; cost: number } | undefined;
  const search = (stage: number, extra: number[], delay: number, cost: number): void => {
    if (best && cost >= best.cost) return;
    if (stage === bands.length) {
      if (delay % alignment === 0) best = { extra: [...extra], cost };
      return;
    }
    for (let k = 0; k < alignment; k++) {
      extra[stage] = k;
      const centre = (minimal[stage]! - 1) / 2 + k;
      search(stage + 1, extra, delay + centre * delayUnits[stage]!, cost + k * weights[stage]!);
    }
  };
  search(0, [], 0, 0);
  if (!best) return withLengths(minimal);
  const { extra } = best;
  return withLengths(minimal.map((length, i) => length + 2 * extra[i]!));
}
