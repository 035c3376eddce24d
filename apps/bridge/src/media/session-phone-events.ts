import type { CallOutcome } from '../calls/registry.js';
import type { PhoneLineEvents } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { AgentWatch } from './agent-watch.js';
import type { CallAudio } from './call-audio.js';
import type { CallControl } from './call-control.js';
import type { HeardTranscript } from './heard-transcript.js';

/** The parts of a call session the phone line's news reaches (read when the news comes). */
export interface PhoneEventsSession {
  callSid: string;
  /** Whoever has the caller's ear (agent or operator). */
  control: CallControl;
  recorder?: CallRecorder;
  log(): Logger;
  /** The audio of the stream carrying the call now (none while a transfer dials). */
  audio(): CallAudio | undefined;
  watch(): AgentWatch | undefined;
  heard(): HeardTranscript | undefined;
  /** Runs a handler so that a bug in it ends this call, not the process. */
  guarded(fn: () => void): void;
  /** The agent left or is unreachable. */
  agentGone(agent: string): void;
  end(outcome: CallOutcome, reason: string): void;
}

/** What a call session does with its phone line's news of the room. */
export function sessionPhoneEvents(s: PhoneEventsSession): PhoneLineEvents {
  const { callSid, control, recorder } = s;
  return {
    // Through s.audio(): a failed transfer's new stream gets a new one (none while dialing).
    onAgentAudio: (pcm, rate, channels) =>
      s.guarded(() => s.audio()?.relay.onAgentAudio(pcm, rate, channels)),
    onAgentState: (state) => s.guarded(() => control.agentStateChanged(state)),
    onTakeover: (operator) => s.guarded(() => control.takeoverChanged(operator)),
    onAgentJoined: (agent) => {
      s.watch()?.agentBack(agent);
      void recorder?.agentJoined(callSid, agent);
    },
    onAgentLeft: (agent) => {
      s.log().info({ agent }, 'agent left');
      s.agentGone(agent);
    },
    onAgentUnreachable: (agent) => {
      s.log().warn({ agent }, 'agent connection lost');
      s.agentGone(agent);
    },
    onAgentReachable: (agent) => s.watch()?.agentBack(agent),
    onDisconnected: (reason) => s.end('room_closed', reason),
    onRoomDeleted: () => s.end('room_deleted', 'room deleted through the server API'),
    onReconnecting: () => s.watch()?.reconnecting(),
    onReconnected: () => s.watch()?.reconnected(),
    ...(recorder && {
      onTranscript: (line) => s.heard()?.line(line),
      onToolCall: (entry) => void recorder.toolCall(callSid, entry),
    }),
  };
}
