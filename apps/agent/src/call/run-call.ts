/**
 * One call, from dispatch to hang-up. When the dispatch metadata names the caller (bridge calls),
 * the conversation, and with it the model connection, starts while the phone line is still coming
 * up; for a room joined by hand it starts once someone joins. Runs inside a job process.
 */
import { AutoSubscribe, type JobContext } from '@livekit/agents';
import type { RemoteParticipant } from '@livekit/rtc-node';
import { isPhoneIdentity } from '@callbridge/room-contract';
import { ATTR, callContextFromMetadata, maskNumber, withParticipantAttributes } from './context.js';
import { startConversation, type Conversation, type ConversationDeps } from './conversation.js';

/** The bridge joins within a second or two of dispatching; after this the call is abandoned. */
const CALLER_JOIN_TIMEOUT_MS = 30_000;

export type CallDeps = ConversationDeps;

export async function runCall<P>(ctx: JobContext<P>, deps: CallDeps): Promise<void> {
  await ctx.connect(undefined, AutoSubscribe.AUDIO_ONLY);
  let call = callContextFromMetadata(ctx.job.metadata, ctx.room.metadata ?? '');
  let log = deps.logger.child({ room: ctx.room.name, jobId: ctx.job.id, callSid: call.callSid });
  if (call.issues.length > 0) log.warn({ issues: call.issues }, 'call metadata partly ignored');
  log.info('job connected');

  const expectedIdentity = call.phoneIdentity;
  const early: Promise<Conversation> | undefined = expectedIdentity
    ? startConversation(ctx, { ...deps, logger: log }, call, { identity: expectedIdentity, isPhone: true })
    : undefined;
  // Surface a failed early start here, once, rather than as an unhandled rejection.
  early?.catch(() => undefined);

  const participant = await waitForCaller(ctx, expectedIdentity);
  if (!participant) {
    log.warn({ expectedIdentity, timeoutMs: CALLER_JOIN_TIMEOUT_MS }, 'caller never joined, leaving');
    deps.metrics.report({ metric: 'sessions', outcome: 'no_caller' });
    (await early?.catch(() => undefined))?.endNow('caller never joined');
    ctx.shutdown('caller never joined');
    return;
  }
  const joinedAt = Date.now();
  const known = call.issues.length;
  call = withParticipantAttributes(call, participant.attributes);
  log = log.child({ callSid: call.callSid });
  if (call.issues.length > known)
    log.warn(
      { participant: participant.identity, issues: call.issues.slice(known) },
      'phone participant attributes do not match the room contract: those attributes ignored',
    );
  // Only a bridge participant can be asked to hang up or transfer; a developer joined with `lk` cannot.
  const isPhone = isPhoneIdentity(participant.identity) || ATTR.callId in participant.attributes;
  log.info(
    {
      participant: participant.identity,
      direction: call.direction,
      caller: maskNumber(call.remoteNumber),
      phone: isPhone,
      modelReady: early !== undefined,
    },
    'caller joined',
  );
  const conversation =
    (await early) ??
    (await startConversation(ctx, { ...deps, logger: log }, call, {
      identity: participant.identity,
      isPhone,
    }));
  await conversation.callerJoined(call, joinedAt);
}

/** The phone participant: the bridge's `phone-…` identity when metadata names it, else whoever joins first. */
async function waitForCaller<P>(
  ctx: JobContext<P>,
  identity: string | undefined,
): Promise<RemoteParticipant | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), CALLER_JOIN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([ctx.waitForParticipant(identity), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
