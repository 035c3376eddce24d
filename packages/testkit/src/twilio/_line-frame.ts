/** The phone line's unit: one 20 ms frame of 8 kHz μ-law, one byte a sample. */

/** 20 ms at 8 kHz. */
export const FRAME_SAMPLES = 160;
export const SAMPLES_PER_MS = 8;
/** Peak below which a frame counts as silence (≈ −52 dBFS): μ-law noise floor, not speech. */
export const SILENCE_PEAK = 80;
