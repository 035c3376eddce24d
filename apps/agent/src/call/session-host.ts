/**
 * LiveKit Agents 1.9 streams every session event (agent and user state changes, conversation items,
 * metrics) to the linked participant as byte streams on `lk.agent.session`, for a remote client
 * such as an agents console. On a phone call that participant is the bridge's phone line, which
 * has no handler for the topic: each event is protobuf-encoded, sent through the SFU, decoded by
 * the bridge and dropped (rtc-node logs "ignoring incoming byte stream due to no handler"). In a
 * call process's first second that is tens of milliseconds of the agent's CPU, on the greeting's path.
 * AgentSession keeps the host in a private field and stops it only when the session closes; this
 * stops it early, the way close does.
 */
import type { voice } from '@livekit/agents';

interface SessionHostField {
  sessionHost?: { close(): Promise<void> };
}

/** Stops the session's event stream to the linked participant; false if this version has none. */
export async function stopSessionEventsToCaller(session: voice.AgentSession): Promise<boolean> {
  const holder = session as unknown as SessionHostField;
  const host = holder.sessionHost;
  if (!host || typeof host.close !== 'function') return false;
  holder.sessionHost = undefined;
  await host.close();
  return true;
}
