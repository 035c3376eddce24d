import type { SharedNonces } from '../records/shared-nonces.js';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { LiveCalls } from '../calls/live-calls.js';
import type { CallEntry, CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import type { CallRooms } from '../livekit/call-rooms.js';
import type { EarlyPhones } from '../livekit/early-phone.js';
import type { NewPhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { Recordings } from '../recordings/recordings.js';
import type { TwilioControl } from '../twilio/control.js';

/** What a call session works with (the server's, or fakes in the unit tests). */
export interface CallSessionDeps {
  config: BridgeConfig;
  rooms: CallRooms;
  registry: CallRegistry;
  metrics: BridgeMetrics;
  log: Logger;
  twilio: TwilioControl;
  /** Writes the call record as the call happens. */
  recorder?: CallRecorder;
  /** Ends the call's bookkeeping and deletes its room, once (the one way every call ends). */
  lifecycle: CallLifecycle;
  /** Makes the call's phone line (the server passes the LiveKit participant; tests a fake). */
  newPhoneLine: NewPhoneLine;
  /** The operator console's view of active calls (stream start, agent state, latencies). */
  live?: Pick<LiveCalls, 'update' | 'addTurn'>;
  /** A call another bridge instance answered, taken here for its stream (see shared-calls.ts). */
  adoptCall?: (callSid: string) => Promise<CallEntry | undefined>;
  /** With bridges sharing PostgreSQL: stream-token nonces claimed for every instance. */
  nonces?: Pick<SharedNonces, 'claim'>;
  /** Call recordings (RECORD_CALLS); off when absent. */
  recordings?: Pick<Recordings, 'record' | 'finish'>;
  /** Phones that joined their call's room while it rang, taken over at the stream's start. */
  earlyPhones?: Pick<EarlyPhones, 'take' | 'drop'>;
}
