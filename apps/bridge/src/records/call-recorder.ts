import type { Logger } from '../logger.js';
import { writeCallEnding } from './call-ending.js';
import type { CallEventHub } from './call-events.js';
import { checkResult } from './call-result.js';
import type { CallStore } from './call-store.js';
import { CallWriteQueue } from './call-write-queue.js';
import { readResumeFields, type ResumeFields } from './resume-fields.js';
import { carriedElsewhere, unansweredOutcome } from './twilio-call-status.js';
import type {
  CallStatusValue,
  OperatorAction,
  RecordOutcome,
  ToolCallEntry,
  TranscriptLine,
} from './schema.js';

/** How long a call's ending is left to the bridge instance carrying its stream. */
const CARRIER_GRACE_MS = 5000;

/**
 * What the call code tells the record, as it happens. Never throws and never makes a call wait:
 * every write is queued per call (so they land in order) and a failing database is logged, not
 * propagated — losing a record line must not drop a live call.
 */
export class CallRecorder {
  private readonly queue: CallWriteQueue;
  private store!: CallStore;
  /** Writes wait for the database to be open; calls never do. */
  private readonly ready: Promise<void>;

  constructor(
    store: Promise<CallStore>,
    private readonly hub: CallEventHub,
    private readonly log: Logger,
    readonly instanceId: string,
    /** Called once per call, after its ending is written (the result callback is sent from here). */
    private readonly onEnded: (callSid: string) => void = () => undefined,
  ) {
    this.ready = store.then((s) => {
      this.store = s;
    });
    this.ready.catch(() => undefined);
    this.queue = new CallWriteQueue(this.ready, log);
  }

  private write(callSid: string, what: string, work: () => Promise<void>): Promise<void> {
    return this.queue.write(callSid, what, work);
  }

  private status(callSid: string, status: string, detail: string | null, at = Date.now()): Promise<void> {
    return this.store.addStatusEvent(callSid, { status, detail, at }).then(() => {
      this.hub.publish({ type: 'status', callSid, status, outcome: null, at, detail });
    });
  }

  /** Our voice webhook answered the call (inbound, or an outbound call the callee picked up). */
  webhookAnswered(
    call: {
      callSid: string;
      direction: 'inbound' | 'outbound';
      from: string;
      to: string;
      room: string;
    },
    answeredBy?: string,
  ): Promise<void> {
    const at = Date.now();
    return this.write(call.callSid, 'webhook', async () => {
      await this.store.create({ ...call, instanceId: this.instanceId, status: 'in-progress', createdAt: at });
      await this.store.update(call.callSid, {
        room: call.room,
        webhookAt: at,
        status: 'in-progress',
        answeredBy: answeredBy?.slice(0, 40),
      });
      await this.status(call.callSid, 'in-progress', 'voice webhook answered', at);
    });
  }

  /** The ROUTES_FILE route the webhook chose for the call (an outbound call's record may have it already). */
  routed(callSid: string, route: string): Promise<void> {
    return this.write(callSid, 'route', () => this.store.update(callSid, { route }));
  }

  /** A call refused at the webhook (capacity, drain, room setup failed): a record with its outcome. */
  refused(
    call: { callSid: string; direction: 'inbound' | 'outbound'; from: string; to: string },
    outcome: RecordOutcome,
    reason: string,
  ): Promise<void> {
    const at = Date.now();
    return this.write(call.callSid, 'refused', async () => {
      await this.store.create({
        ...call,
        instanceId: this.instanceId,
        status: 'in-progress',
        createdAt: at,
        webhookAt: at,
      });
      await this.finish(call.callSid, outcome, reason, 'completed', at);
    });
  }

  /**
   * This instance carries the call's stream although another answered it: the record names it, so
   * a restart of this instance (not the other) marks the call interrupted.
   */
  carriedHere(callSid: string): Promise<void> {
    return this.write(callSid, 'carrier', () => this.store.update(callSid, { instanceId: this.instanceId }));
  }

  /**
   * The call's stream went down with the bridge carrying it (`carrier`); the caller is being
   * reconnected on a new stream into the same room. Its status event marks the gap in the record.
   */
  streamLost(callSid: string, carrier: string): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'stream_lost', () =>
      this.status(callSid, 'stream-lost', `bridge ${carrier} stopped; reconnecting the caller`, at),
    );
  }

  streamStarted(callSid: string, streamSid: string): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'stream', async () => {
      await this.store.update(callSid, { streamStartedAt: at });
      await this.status(callSid, 'stream-started', streamSid, at);
    });
  }

  agentJoined(callSid: string, identity: string): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'agent', async () => {
      const record = await this.store.get(callSid);
      // The first agent is the one the call was dispatched to; later joiners only get an event.
      if (record && record.agentJoinedAt === null)
        await this.store.update(callSid, { agentJoinedAt: at, agentIdentity: identity });
      await this.status(callSid, 'agent-joined', identity, at);
    });
  }

  /**
   * A step of a warm transfer, as a status event: `transfer-dialing`, `transfer-failed` (detail:
   * why), `transfer-accepted`, and the caller's new stream after a failed one (`stream-started`).
   */
  transferStep(callSid: string, step: string, detail: string): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'transfer', () => this.status(callSid, step, detail, at));
  }

  /** The bridge measured the call's greeting (stream start → first agent audio to the caller). */
  greeting(callSid: string, ms: number): Promise<void> {
    return this.write(callSid, 'greeting', () => this.store.update(callSid, { greetingMs: ms }));
  }

  /** The bridge measured one more turn (caller stops → first agent audio of the answer). */
  turn(callSid: string, ms: number): Promise<void> {
    return this.write(callSid, 'turn', async () => {
      const record = await this.store.get(callSid);
      if (!record) return;
      await this.store.update(callSid, { turnLatenciesMs: [...(record.turnLatenciesMs ?? []), ms] });
    });
  }

  transcript(callSid: string, line: TranscriptLine): Promise<void> {
    return this.write(callSid, 'transcript', async () => {
      await this.store.addTranscriptLine(callSid, line);
      this.hub.publish({ type: 'transcript', callSid, line });
    });
  }

  toolCall(callSid: string, entry: ToolCallEntry): Promise<void> {
    return this.write(callSid, 'tool_call', async () => {
      await this.store.addToolCall(callSid, entry);
      this.hub.publish({ type: 'tool_call', callSid, toolCall: entry });
    });
  }

  /**
   * The agent reported the task's result: validated against the call's result schema, stored and
   * published. Resolves with what to answer the agent (a refusal names each problem).
   */
  result(
    callSid: string,
    raw: Record<string, unknown>,
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    let verdict: { ok: true } | { ok: false; message: string } = {
      ok: false,
      message: 'the result could not be recorded',
    };
    const at = Date.now();
    return this.write(callSid, 'result', async () => {
      const checked = checkResult(await this.store.get(callSid), raw);
      if (!checked.ok) {
        verdict = checked;
        return;
      }
      const { result } = checked;
      await this.store.update(callSid, { result, resultAt: at });
      this.hub.publish({ type: 'result', callSid, result, at });
      verdict = { ok: true };
    }).then(() => verdict);
  }

  /** Asynchronous answering machine detection's verdict (`POST /twilio/amd`). */
  answeredBy(callSid: string, verdict: string, detectionMs: number | null): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'answered_by', async () => {
      if (!(await this.store.get(callSid))) return;
      await this.store.update(callSid, { answeredBy: verdict });
      const detail = detectionMs === null ? verdict : `${verdict} after ${detectionMs} ms`;
      await this.status(callSid, 'machine-detection', detail, at);
    });
  }

  /** The caller pressed a key: a `dtmf` status event (the digit itself is not kept: PINs, card numbers). */
  dtmf(callSid: string): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'dtmf', () => this.status(callSid, 'dtmf', 'the caller pressed a key', at));
  }

  /** An operator acted on the call from the console (written whether the action worked or not). */
  operatorAction(callSid: string, action: OperatorAction): Promise<void> {
    return this.write(callSid, 'operator_action', async () => {
      await this.store.addOperatorAction(callSid, action);
      this.hub.publish({ type: 'operator_action', callSid, action });
    });
  }

  /** A Twilio status callback (initiated, ringing, in-progress, completed, busy, no-answer, …). */
  twilioStatus(callSid: string, status: string, extras: { answeredBy?: string } = {}): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'twilio_status', async () => {
      const record = await this.store.get(callSid);
      if (!record) return; // not a call we know of (another system's number)
      const completed = () => this.finish(callSid, 'completed', 'twilio status completed', 'completed', at);
      if (extras.answeredBy) await this.store.update(callSid, { answeredBy: extras.answeredBy });
      await this.status(callSid, status, 'twilio status callback', at);
      const unanswered = unansweredOutcome(status);
      if (unanswered)
        await this.finish(callSid, unanswered, `twilio status ${status}`, status as CallStatusValue, at);
      else if (status === 'initiated' || status === 'ringing') await this.store.update(callSid, { status });
      else if (status === 'completed' && carriedElsewhere(record, this.instanceId))
        // The bridge carrying the stream records how the call ended (Twilio's `stop` reaches it);
        // `completed` stays the fallback for a carrier that is gone.
        setTimeout(() => void this.write(callSid, 'twilio_status', completed), CARRIER_GRACE_MS).unref();
      else if (status === 'completed') await completed();
    });
  }

  /** The bridge ended the call (any CallOutcome); the first ending recorded wins. */
  ended(callSid: string, outcome: RecordOutcome, reason: string | undefined): Promise<void> {
    const at = Date.now();
    return this.write(callSid, 'ended', () => this.finish(callSid, outcome, reason ?? null, 'completed', at));
  }

  private async finish(
    callSid: string,
    outcome: RecordOutcome,
    reason: string | null,
    status: CallStatusValue,
    at: number,
  ): Promise<void> {
    await writeCallEnding(this.store, this.hub, this.onEnded, callSid, {
      outcome,
      reason,
      endedAt: at,
      status,
    });
  }

  /**
   * What a replacement agent needs to continue the call (see readResumeFields).
   * Waits for this call's queued writes first, so every line recorded before is in. Never throws:
   * a database that cannot answer costs the new agent its memory, not the call its agent.
   */
  async resumeFields(callSid: string): Promise<ResumeFields> {
    try {
      await this.queue.pending(callSid);
      await this.ready;
      return await readResumeFields(this.store, callSid);
    } catch (err) {
      this.log.error(
        { callSid, err: (err as Error).message },
        'could not read the call record for the new agent',
      );
      return {};
    }
  }

  /** Waits for every queued write (shutdown, tests). */
  flushed(): Promise<void> {
    return this.queue.flushed();
  }
}
