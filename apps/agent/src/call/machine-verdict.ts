/**
 * Answering machine detection on an outbound call. The bridge relays Twilio's verdict through the
 * phone participant's `callbridge.answeredBy` attribute, usually seconds into the call (Twilio's
 * asynchronous detection). Until it comes the agent neither speaks nor listens, so it never talks
 * over a voicemail greeting; then a human (or `unknown`) gets the greeting as on any call, and a
 * machine the voicemail plan: the message (the verdict `machine_end_*` comes after the beep), or a
 * hang-up without a word.
 */
import type { VoicemailPlan } from '@callbridge/room-contract';

/** Twilio answers `unknown` after its MachineDetectionTimeout (30 s by default); past this, greet anyway. */
export const VERDICT_WAIT_MS = 35_000;

export type VerdictAction = 'greet' | 'leave_message' | 'hang_up';

/** What the agent does on a verdict. */
export function actionFor(verdict: string, plan: VoicemailPlan | undefined): VerdictAction {
  if (verdict === 'fax') return 'hang_up';
  if (!verdict.startsWith('machine')) return 'greet'; // human, unknown, anything new
  return plan?.action === 'leave_message' ? 'leave_message' : 'hang_up';
}

/** Instructions for the voicemail reply: the plan's words verbatim, else a short message from the task. */
export function voicemailInstructions(
  plan: VoicemailPlan | undefined,
  call: { task?: string; ourNumber?: string },
): string {
  if (plan?.message)
    return (
      'You reached an answering machine and its beep has sounded. Leave exactly this message, word for ' +
      `word, and say nothing else: "${plan.message}"`
    );
  const purpose = call.task ? ` about this: ${call.task.trim()}` : '';
  const callback = call.ourNumber ? ` at ${call.ourNumber}` : '';
  return (
    'You reached an answering machine and its beep has sounded. Leave a short voicemail in two or three ' +
    `sentences: say that you are an AI assistant calling${purpose}, and ask them to call back${callback}. ` +
    'Then stop.'
  );
}

export interface VerdictWaitDeps {
  /** Subscribes to the verdict (PhoneLine.onAnsweredBy); returns an unsubscribe. */
  onAnsweredBy(onVerdict: (verdict: string) => void): () => void;
  onVerdict(verdict: string | undefined): void;
  waitMs?: number;
}

/** Waits for the verdict, once; `undefined` when none came in time. Returns a cancel. */
export function waitForVerdict(deps: VerdictWaitDeps): () => void {
  let done = false;
  // Filled once subscribed; a verdict already there is reported before that returns.
  const subscription: { off?: () => void } = {};
  const finish = (verdict: string | undefined) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    subscription.off?.();
    deps.onVerdict(verdict);
  };
  const timer = setTimeout(() => finish(undefined), deps.waitMs ?? VERDICT_WAIT_MS);
  subscription.off = deps.onAnsweredBy((v) => finish(v));
  if (done) subscription.off();
  return () => {
    done = true;
    clearTimeout(timer);
    subscription.off?.();
  };
}
