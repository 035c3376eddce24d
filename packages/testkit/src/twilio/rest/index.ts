/** Twilio's REST API (calls.create / update / fetch) for tests, placing simulated outbound calls. */
export {
  TwilioRestSimulator,
  type TwilioRestSimulatorOptions,
  type RestCall,
} from './twilio-rest-simulator.js';
export type { CalleeScript, CalleeDirectory, OutboundCallRequest } from './_callee.js';
export { BEEP, type CalleeVoice } from './_amd.js';
