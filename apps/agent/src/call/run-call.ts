/**
 * One call, from dispatch to hang-up: find the phone participant, compose the agent (instructions
 * from the call context, tools, OpenAI Realtime), greet, and keep watch (DTMF, silence, time
 * limit, caller hang-up) until the call ends. Runs inside a job process.
 */
import { AutoSubscribe, voice, type JobContext } from '@livekit/agents';
import { RoomEvent, type RemoteParticipant } from '@livekit/rtc-node';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../ops/logger.js';
import type { MetricsReporter } from '../ops/metrics-relay.js';
import { callTools, type ToolRuntime } from '../tools/index.js';
import { RoomToolCallRecorder } from '../tools/tool-call-log.js';
import { CallEnding } from './call-ending.js';
import {
  ATTR,
  callContextFromMetadata,
  maskNumber,
  phoneIdentityFor,
  withParticipantAttributes,
} from './context.js';
import { DtmfCollector, dtmfUserInput } from './dtmf.js';
import { composeInstructions, greetingInstructions } from './instructions.js';
import { PhoneLine } from './phone-line.js';
import { createRealtimeModel } from './realtime-model.js';
import { SilenceWatchdog } from './silence-watchdog.js';

/** The bridge joins within a second or two of dispatching; after this the call is abandoned. */
const CALLER_JOIN_TIMEOUT_MS = 30_000;
const DTMF_INTER_DIGIT_MS = 1_500;

const REPROMPT_INSTRUCTIONS =
  'The caller has been silent for a while. Ask briefly, in one short sentence, whether they are still there.';
const SILENCE_GOODBYE_INSTRUCTIONS =
  'The caller is not responding. Say you will end the call now and say a short, polite goodbye.';
const TIME_LIMIT_INSTRUCTIONS =
  'This call has reached its time limit. Apologise briefly, tell the caller they are welcome to call back, and say goodbye.';

export interface CallDeps {
  config: AgentConfig;
  logger: Logger;
  metrics: MetricsReporter;
}

export async function runCall<P>(ctx: JobContext<P>, { config, logger, metrics }: CallDeps): Promise<void> {
  await ctx.connect(undefined, AutoSubscribe.AUDIO_ONLY);
  let call = callContextFromMetadata(ctx.job.metadata, ctx.room.metadata ?? '');
  let log = logger.child({ room: ctx.room.name, jobId: ctx.job.id, callSid: call.callSid });
  if (call.issues.length > 0) log.warn({ issues: call.issues }, 'call metadata partly ignored');

  const expectedIdentity = phoneIdentityFor(call.remoteNumber);
  const participant = await waitForCaller(ctx, expectedIdentity);
  if (!participant) {
    log.warn({ expectedIdentity, timeoutMs: CALLER_JOIN_TIMEOUT_MS }, 'caller never joined, leaving');
    metrics.report({ metric: 'sessions', outcome: 'no_caller' });
    ctx.shutdown('caller never joined');
    return;
  }
  const callerJoinedAt = Date.now();
  call = withParticipantAttributes(call, participant.attributes);
  log = log.child({ callSid: call.callSid });
  // Only a bridge participant can be asked to hang up or transfer; a developer joined with `lk` cannot.
  const isPhone = participant.identity.startsWith('phone-') || ATTR.callId in participant.attributes;
  const phone = isPhone ? new PhoneLine(ctx.room, participant.identity, log) : undefined;
  log.info(
    {
      participant: participant.identity,
      direction: call.direction,
      caller: maskNumber(call.remoteNumber),
      phone: isPhone,
    },
    'caller joined',
  );

  const model = createRealtimeModel(config, call.voice, () => metrics.report({ metric: 'modelReconnects' }));
  const session = new voice.AgentSession({
    llm: model,
    vad: null,
    turnHandling: { turnDetection: 'realtime_llm' },
  });
  const ending = new CallEnding(session, phone, log);
  const recorder = new RoomToolCallRecorder(ctx.room, log, (r) => metrics.report(r));
  const runtime: ToolRuntime = {
    call,
    phone,
    logger: log,
    transferAllowlist: config.transferAllowlist,
    endCallAfterReply: (reason) => ending.afterNextReply(reason),
  };
  const agent = new voice.Agent({
    instructions: composeInstructions(config.instructions, call),
    tools: callTools(runtime, recorder),
  });

  const watchdog = new SilenceWatchdog({
    silenceMs: config.silenceRepromptMs,
    maxReprompts: config.silenceMaxReprompts,
    onReprompt: (attempt) => {
      log.info({ attempt }, 'caller silent, reprompting');
      session.generateReply({ instructions: REPROMPT_INSTRUCTIONS });
    },
    onGiveUp: () => ending.sayGoodbyeAndEnd(SILENCE_GOODBYE_INSTRUCTIONS, 'caller silent'),
  });
  const timeLimit =
    config.maxCallDurationMs > 0
      ? setTimeout(
          () => ending.sayGoodbyeAndEnd(TIME_LIMIT_INSTRUCTIONS, 'time limit'),
          config.maxCallDurationMs,
        )
      : undefined;
  const dtmf = new DtmfCollector({
    interDigitTimeoutMs: DTMF_INTER_DIGIT_MS,
    onEntry: (keys) => {
      log.info({ keys: keys.length }, 'keypad entry');
      // Keys are the caller talking: they interrupt the agent like speech would.
      void session.interrupt();
      session.generateReply({ userInput: dtmfUserInput(keys) });
    },
  });

  let greeted = false;
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    watchdog.agentState(ev.newState);
    if (ev.newState === 'speaking' && !greeted) {
      greeted = true;
      const latencyMs = Date.now() - callerJoinedAt;
      log.info({ latencyMs }, 'agent first spoke');
      metrics.report({ metric: 'greetingSeconds', value: latencyMs / 1000 });
    }
  });
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => watchdog.callerState(ev.newState));
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type === 'message' && (ev.item.role === 'user' || ev.item.role === 'assistant')) {
      metrics.report({ metric: 'turns', role: ev.item.role });
    }
  });
  session.on(voice.AgentSessionEventTypes.Error, (ev) => {
    const recoverable = 'recoverable' in ev.error ? Boolean(ev.error.recoverable) : false;
    log.warn(
      { type: ev.error.type, recoverable, err: 'error' in ev.error ? ev.error.error : undefined },
      'session error',
    );
    metrics.report({ metric: 'errors', source: ev.error.type, recoverable });
  });
  session.on(voice.AgentSessionEventTypes.Close, (ev) => {
    const outcome = ending.reason ?? String(ev.reason);
    log.info({ outcome, durationMs: Date.now() - callerJoinedAt }, 'call ended');
    metrics.report({ metric: 'sessions', outcome: outcome.replace(/\s+/g, '_') });
    ctx.shutdown(outcome);
  });

  const onDtmf = (_code: number, digit: string, from: RemoteParticipant) => {
    if (from.identity === participant.identity) dtmf.press(digit);
  };
  const onLeft = (p: RemoteParticipant) => {
    if (p.identity === participant.identity) ending.endNow('caller left');
  };
  ctx.room.on(RoomEvent.DtmfReceived, onDtmf);
  ctx.room.on(RoomEvent.ParticipantDisconnected, onLeft);
  const stopHangupWatch = phone?.onHangup(() => ending.endNow('caller hung up'));

  ctx.addShutdownCallback(async () => {
    clearTimeout(timeLimit);
    watchdog.close();
    dtmf.close();
    stopHangupWatch?.();
    ctx.room.off(RoomEvent.DtmfReceived, onDtmf);
    ctx.room.off(RoomEvent.ParticipantDisconnected, onLeft);
    await recorder.flushed();
    await metrics.close();
  });

  await session.start({
    agent,
    room: ctx.room,
    inputOptions: { participantIdentity: participant.identity, closeOnDisconnect: true },
    outputOptions: { transcriptionEnabled: true },
    record: false,
  });
  if (config.greeting.enabled)
    session.generateReply({ instructions: greetingInstructions(config.greeting.instructions, call) });
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
