/**
 * The conversation of one call: the OpenAI Realtime session, the agent (instructions, tools) and
 * the watchers (DTMF, silence, time limit, caller hang-up). It can start before the caller is in
 * the room, so the model connection is ready by the time the phone line is; the clocks and the
 * greeting start only once the caller has joined.
 */
import { voice, type JobContext } from '@livekit/agents';
import { DisconnectReason, RoomEvent, type RemoteParticipant } from '@livekit/rtc-node';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../ops/logger.js';
import type { MetricsReporter } from '../ops/metrics-relay.js';
import { businessTools, callTools, type ToolRuntime } from '../tools/index.js';
import { RoomToolCallRecorder } from '../tools/tool-call-log.js';
import { CallEnding } from './call-ending.js';
import { keepCallerLinked } from './caller-relink.js';
import type { CallContext } from './context.js';
import { DtmfCollector, dtmfUserInput } from './dtmf.js';
import { composeInstructions, greetingInstructions, resumeInstructions } from './instructions.js';
import { actionFor, voicemailInstructions, waitForVerdict } from './machine-verdict.js';
import { PhoneLine } from './phone-line.js';
import { PhonePlayoutOutput } from './phone-playout.js';
import { createRealtimeModel } from './realtime-model.js';
import { roomOutputOptions } from './room-output.js';
import { OperatorHold } from './operator-hold.js';
import { personaFor, routeForLog } from './persona.js';
import { stopSessionEventsToCaller } from './session-host.js';
import { SilenceWatchdog } from './silence-watchdog.js';
import { watchTransfers } from './transfer-watch.js';

/** Why a caller's participant disconnected that means the caller is gone (LiveKit Agents' list). */
const CALLER_GONE: DisconnectReason[] = [
  DisconnectReason.CLIENT_INITIATED,
  DisconnectReason.ROOM_DELETED,
  DisconnectReason.USER_REJECTED,
  DisconnectReason.PARTICIPANT_REMOVED,
];

const DTMF_INTER_DIGIT_MS = 1_500;
/** After a human verdict, the agent listens again once its greeting plays, or after this at the latest. */
const GREETING_START_TIMEOUT_MS = 5_000;
const REPROMPT_INSTRUCTIONS =
  'The caller has been silent for a while. Ask briefly, in one short sentence, whether they are still there.';
const SILENCE_GOODBYE_INSTRUCTIONS =
  'The caller is not responding. Say you will end the call now and say a short, polite goodbye.';
const TIME_LIMIT_INSTRUCTIONS =
  'This call has reached its time limit. Apologise briefly, tell the caller they are welcome to call back, and say goodbye.';

export interface ConversationDeps {
  config: AgentConfig;
  logger: Logger;
  metrics: MetricsReporter;
  /** CPU time the call process has used since the call started (the logs show the first words' cost). */
  cpuMs?: () => number;
}

export interface CallerLine {
  identity: string;
  /** A bridge phone participant, which can be asked to hang up or transfer. */
  isPhone: boolean;
}

export interface Conversation {
  /** The caller is in the room: update the context if it grew, start the clocks, greet. */
  callerJoined(call: CallContext, joinedAt: number): Promise<void>;
  /** Ends without speaking (the caller never came, or is gone). */
  endNow(reason: string): void;
}

export async function startConversation<P>(
  ctx: JobContext<P>,
  { config, logger: log, metrics, cpuMs }: ConversationDeps,
  initialCall: CallContext,
  caller: CallerLine,
): Promise<Conversation> {
  const phone = caller.isPhone ? new PhoneLine(ctx.room, caller.identity, log) : undefined;
  // The call's route (ROUTES_FILE) may set the persona; tools and transfers stay within the worker's.
  const persona = personaFor(config, initialCall);
  if (initialCall.route || persona.ignoredTools.length > 0)
    log.info({ route: routeForLog(initialCall.route), ignoredTools: persona.ignoredTools }, 'call persona');
  const model = createRealtimeModel(config, persona, () => metrics.report({ metric: 'modelReconnects' }));
  const session = new voice.AgentSession({
    llm: model,
    vad: null,
    turnHandling: { turnDetection: 'realtime_llm' },
  });
  const ending = new CallEnding(session, phone, log);
  const recorder = new RoomToolCallRecorder(ctx.room, log, (r) => metrics.report(r));
  const runtime: ToolRuntime = {
    call: initialCall,
    phone,
    logger: log,
    transferAllowlist: persona.transferAllowlist,
    endCallAfterReply: (reason) => ending.afterNextReply(reason),
  };
  let instructions = composeInstructions(persona.instructions, initialCall);
  const agent = new voice.Agent({
    instructions,
    tools: callTools(runtime, recorder, businessTools(persona.tools)),
  });

  // While an operator has taken the call over from the console, nothing may make the agent speak.
  let hold: OperatorHold | undefined = undefined;
  const watchdog = new SilenceWatchdog({
    silenceMs: config.silenceRepromptMs,
    maxReprompts: config.silenceMaxReprompts,
    onReprompt: (attempt) => {
      if (hold?.active) return;
      log.info({ attempt }, 'caller silent, reprompting');
      session.generateReply({ instructions: REPROMPT_INSTRUCTIONS });
    },
    onGiveUp: () => {
      if (!hold?.active) ending.sayGoodbyeAndEnd(SILENCE_GOODBYE_INSTRUCTIONS, 'caller silent');
    },
  });
  const dtmf = new DtmfCollector({
    interDigitTimeoutMs: DTMF_INTER_DIGIT_MS,
    onEntry: (keys) => {
      if (hold?.active) return;
      log.info({ keys: keys.length }, 'keypad entry');
      // Keys are the caller talking: they interrupt the agent like speech would.
      void session.interrupt();
      session.generateReply({ userInput: dtmfUserInput(keys) });
    },
  });
  let timeLimit: NodeJS.Timeout | undefined;
  let joinedAt: number | undefined;
  let firstSpokeAt: number | undefined;
  let firstWordsRequested = false;
  /** A replacement agent (re-dispatched mid-call) speaks first even with the greeting off. */
  const wantsFirstWords = (call: CallContext) => config.greeting.enabled || call.resumed === true;
  const requestFirstWords = (call: CallContext) => {
    firstWordsRequested = true;
    if (call.resumed) {
      // Taking over a call under way: no fresh greeting, a short "where were we".
      session.generateReply({ instructions: resumeInstructions(instructions) });
      log.info({ historyLines: call.history?.length ?? 0 }, 'resuming the call');
    } else {
      session.generateReply({ instructions: greetingInstructions(persona.greeting, call) });
      log.info({ cpuMs: cpuMs?.() }, 'greeting requested');
    }
  };
  /** Answering machine detection runs on this outbound call: the agent holds until its verdict. */
  const holdsForVerdict = (call: CallContext) =>
    call.machineDetection === true && call.direction === 'outbound' && phone !== undefined;
  /** Waiting for answering machine detection's verdict: neither speaking nor listening. */
  let holding = false;
  let cancelVerdictWait: (() => void) | undefined;
  /** Once both are known: how long the caller waited in the room for the agent's first words. */
  const reportFirstWords = () => {
    if (joinedAt === undefined || firstSpokeAt === undefined) return;
    const latencyMs = Math.max(0, firstSpokeAt - joinedAt);
    log.info({ latencyMs, resumed: initialCall.resumed === true, cpuMs: cpuMs?.() }, 'agent first spoke');
    // A replacement agent's pick-up line is not a greeting: it would skew the greeting figures.
    if (!initialCall.resumed) metrics.report({ metric: 'greetingSeconds', value: latencyMs / 1000 });
  };

  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    // Silence only counts once there is a caller to be silent (and the agent is talking to them).
    if (joinedAt !== undefined && !holding) watchdog.agentState(ev.newState);
    if (ev.newState === 'speaking' && firstSpokeAt === undefined) {
      firstSpokeAt = Date.now();
      reportFirstWords();
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
    const err = 'error' in ev.error ? ev.error.error : undefined;
    log.warn({ type: ev.error.type, recoverable, err }, 'session error');
    metrics.report({ metric: 'errors', source: ev.error.type, recoverable });
  });
  session.on(voice.AgentSessionEventTypes.Close, (ev) => {
    const outcome = ending.reason ?? String(ev.reason);
    const durationMs = joinedAt === undefined ? 0 : Date.now() - joinedAt;
    log.info({ outcome, durationMs, cpuMs: cpuMs?.() }, 'call ended');
    metrics.report({ metric: 'sessions', outcome: outcome.replace(/\s+/g, '_') });
    ctx.shutdown(outcome);
  });

  const onDtmf = (_code: number, digit: string, from: RemoteParticipant) => {
    if (from.identity === caller.identity) dtmf.press(digit);
  };
  const onLeft = (p: RemoteParticipant) => {
    if (p.identity !== caller.identity) return;
    log.info({ sid: p.sid, reason: p.disconnectReason ?? null }, 'caller participant left');
    // Only a phone that left (or was removed) ends the call, as in LiveKit Agents' own room input.
    // One replaced by a participant with its identity (the call's stream moved to another bridge
    // instance) is reported without a reason: the same caller, not a hang-up. The bridge carrying
    // the call ends it (hang-up attribute, room deleted).
    if (p.disconnectReason === undefined || !CALLER_GONE.includes(p.disconnectReason)) return;
    ending.endNow('caller left');
  };
  ctx.room.on(RoomEvent.DtmfReceived, onDtmf);
  ctx.room.on(RoomEvent.ParticipantDisconnected, onLeft);
  const stopHangupWatch = phone?.onHangup(() => ending.endNow('caller hung up'));
  const stopTransferWatch =
    phone &&
    watchTransfers({
      onTransfer: (onState) => phone.onTransfer(onState),
      hold: (held) => watchdog.pause(held),
      reply: (instructions) => session.generateReply({ instructions }),
      log,
    });

  ctx.addShutdownCallback(async () => {
    clearTimeout(timeLimit);
    cancelVerdictWait?.();
    watchdog.close();
    dtmf.close();
    stopHangupWatch?.();
    stopTransferWatch?.();
    hold?.close();
    ctx.room.off(RoomEvent.DtmfReceived, onDtmf);
    ctx.room.off(RoomEvent.ParticipantDisconnected, onLeft);
    await recorder.flushed();
    await metrics.close();
  });

  // Starts the model connection now; the room input/output attach when the caller appears.
  await session.start({
    agent,
    room: ctx.room,
    inputOptions: { participantIdentity: caller.identity, closeOnDisconnect: true },
    outputOptions: roomOutputOptions(),
    record: false,
  });
  if (caller.isPhone) await stopSessionEventsToCaller(session);
  const stopRelink = keepCallerLinked(ctx.room, session, caller.identity, log);
  ctx.addShutdownCallback(async () => stopRelink());
  hold = new OperatorHold(ctx.room, session, log);
  // An interrupted reply is cut where the caller stopped hearing it, not where LiveKit did.
  const roomAudio = session.output.audio;
  if (phone && roomAudio)
    session.output.audio = new PhonePlayoutOutput(roomAudio, (ms) => phone.playbackInterrupted(ms), log);
  // A bridge call's first words are asked for at once, while the phone line is still coming up:
  // the model's think time overlaps the call setup. Nothing is spoken into an empty room: LiveKit
  // Agents holds the agent's audio until a participant subscribes to its track, and the phone
  // subscribes once it joined, when the caller can hear.
  // (Not while answering machine detection runs: then the first words wait for its verdict.)
  if (caller.isPhone && wantsFirstWords(initialCall) && !holdsForVerdict(initialCall))
    requestFirstWords(initialCall);

  return {
    async callerJoined(call, at) {
      joinedAt = at;
      runtime.call = call;
      const updated = composeInstructions(persona.instructions, call);
      if (updated !== instructions) {
        instructions = updated;
        await agent.updateInstructions(instructions);
      }
      if (config.maxCallDurationMs > 0) {
        timeLimit = setTimeout(
          () => ending.sayGoodbyeAndEnd(TIME_LIMIT_INSTRUCTIONS, 'time limit'),
          config.maxCallDurationMs,
        );
      }
      reportFirstWords();
      const converse = () => {
        watchdog.agentState(session.agentState);
        if (wantsFirstWords(call) && !firstWordsRequested) requestFirstWords(call);
      };
      if (!holdsForVerdict(call) || !phone) return converse();
      // Answering machine detection runs: hold (deaf and silent) until its verdict.
      holding = true;
      session.input.setAudioEnabled(false);
      log.info('waiting for the machine detection verdict');
      cancelVerdictWait = waitForVerdict({
        onAnsweredBy: (cb) => phone.onAnsweredBy(cb),
        onVerdict: (verdict) => {
          holding = false;
          const action = actionFor(verdict ?? 'unknown', call.voicemail);
          log.info({ answeredBy: verdict ?? 'none in time', action }, 'machine detection verdict');
          if (action === 'hang_up') return ending.hangUpNow('voicemail: hung up');
          if (action === 'leave_message')
            return ending.sayGoodbyeAndEnd(
              voicemailInstructions(call.voicemail, call),
              'voicemail: message left',
            );
          converse();
          // What the callee said during detection ("Hello?", perhaps delivered late by the bridge,
          // which holds caller audio until an agent listens) is not a turn to answer: listen again
          // once the greeting is playing (or at once without one).
          if (!config.greeting.enabled) return session.input.setAudioEnabled(true);
          const listen = () => {
            clearTimeout(fallback);
            session.off(voice.AgentSessionEventTypes.AgentStateChanged, onState);
            session.input.setAudioEnabled(true);
          };
          const onState = (ev: voice.AgentStateChangedEvent) => ev.newState === 'speaking' && listen();
          const fallback = setTimeout(listen, GREETING_START_TIMEOUT_MS);
          session.on(voice.AgentSessionEventTypes.AgentStateChanged, onState);
        },
      });
    },
    endNow: (reason) => ending.endNow(reason),
  };
}
