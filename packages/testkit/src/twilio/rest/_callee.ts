import type { SimulatedCall } from '../_call.js';
import type { CalleeVoice } from './_amd.js';

/** Who the simulated callee is: someone who answers, or a line that never connects. */
export type CalleeScript =
  | {
      /** `human` answers; `machine` answers too, and answering machine detection says so. */
      answer: 'human' | 'machine';
      /** How long it rings before being picked up. Default 300 ms. */
      ringMs?: number;
      /**
       * What the callee plays when the call is answered with asynchronous machine detection on:
       * a person's short "Hello?", or a voicemail box's greeting and beep. Detection judges this
       * audio (see _amd.ts).
       */
      voice?: CalleeVoice;
      /** Runs once the call streams to the application: speak, listen, hang up. */
      onAnswer?: (call: SimulatedCall) => void | Promise<void>;
    }
  | {
      /** The call never connects; Twilio reports this final status. */
      outcome: 'busy' | 'no-answer' | 'failed';
      ringMs?: number;
    };

/** Decides the callee of each `calls.create` by destination (and anything else in the request). */
export type CalleeDirectory = (request: OutboundCallRequest) => CalleeScript;

/** What the application asked for in `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`. */
export interface OutboundCallRequest {
  callSid: string;
  to: string;
  from: string;
  url: string | null;
  method: string;
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackEvents: string[];
  timeoutS: number | null;
  machineDetection: string | null;
  /** Every form field as sent, for assertions on anything else. */
  form: Record<string, string[]>;
}
