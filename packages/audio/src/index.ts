export {
  FRAME_MS,
  LIVEKIT_SAMPLE_RATE,
  MULAW_FRAME_BYTES,
  MULAW_SILENCE,
  TWILIO_SAMPLE_RATE,
  samplesPerFrame,
} from './constants.js';
export { muLawDecode, muLawEncode } from './mulaw.js';
export { base64ToMuLaw, muLawToBase64 } from './base64.js';
export { downmixToMono, pcm16FromBytes } from './pcm.js';
export { MuLawFramer, PcmFramer } from './framer.js';
export type { StreamingResampler } from './resampler-types.js';
export { createResampler, type ResamplerFactory, type ResamplerOptions } from './resampler.js';
export { createUplink, type Uplink, type UplinkOptions } from './uplink.js';
export { createDownlink, type Downlink, type DownlinkOptions } from './downlink.js';
