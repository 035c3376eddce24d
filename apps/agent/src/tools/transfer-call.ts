import { TRANSFER_SUMMARY_MAX } from '@callbridge/room-contract';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TransferRefusedError } from '../call/phone-line.js';
import { defineCallTool, SpokenToolError } from './define.js';

/** Spoken or typed numbers arrive with spaces, dashes and brackets; the allow-list holds E.164. */
export function normalisePhoneNumber(raw: string): string {
  const trimmed = raw.trim();
  const digits = trimmed.replace(/\D/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits.length === 10 ? `+1${digits}` : `+${digits}`;
}

/** The words before the transfer get this long to play out before the caller's stream ends. */
const PLAYOUT_CAP_MS = 10_000;
/** Audio still in flight to the phone (LiveKit, bridge, Twilio) when playout reports done. */
const PLAYOUT_GRACE_MS = 300;

/**
 * Warm-transfers the caller to a human at one of the allow-listed numbers (TRANSFER_ALLOWLIST): the
 * human hears the model's summary before being connected. The bridge checks its own allow-list
 * too; this one keeps the model from even trying other numbers. If the human does not take the
 * call, the caller comes back and the agent is told why (call/transfer-watch.ts).
 */
export const transferCall = defineCallTool({
  name: 'transfer_call',
  description:
    'Transfer the caller to a human at another phone number. Only the allowed numbers listed below work. ' +
    'Tell the caller you are transferring them before calling this. The person you transfer to first hears ' +
    'your summary, then decides to take the call; if they do not, the caller comes back to you and you are told why.',
  parameters: z.object({
    to: z
      .string()
      .min(3, 'the number to transfer to is missing')
      .describe('Destination phone number, in E.164 format.'),
    summary: z
      .string()
      .trim()
      .min(10, 'write a one or two sentence summary for the person taking the call')
      .max(TRANSFER_SUMMARY_MAX, `the summary must be under ${TRANSFER_SUMMARY_MAX} characters`)
      .describe(
        'One or two sentences the person taking the call hears before being connected: who is calling ' +
          '(name if known) and what they need, with any detail that saves them asking again.',
      ),
  }),
  async execute({ to, summary }, { runtime, run }) {
    const number = normalisePhoneNumber(to);
    if (!runtime.transferAllowlist.includes(number)) {
      throw new SpokenToolError(
        'Transfers to that number are not allowed. Tell the caller you cannot transfer them there and offer another way to help.',
      );
    }
    if (!runtime.phone) {
      throw new SpokenToolError(
        'This call cannot be transferred. Tell the caller and offer another way to help.',
      );
    }
    // The caller should hear "I'll transfer you now" in full before their line starts ringing.
    await Promise.race([run.waitForPlayout?.().catch(() => undefined), sleep(PLAYOUT_CAP_MS)]);
    await sleep(PLAYOUT_GRACE_MS);
    try {
      await runtime.phone.transfer(number, summary);
    } catch (err) {
      if (err instanceof TransferRefusedError) {
        throw new SpokenToolError(
          `The transfer did not go through (${err.message}). Apologise and offer another way to help.`,
        );
      }
      throw err;
    }
    return {
      transferring: true,
      to: number,
      note: 'The caller hears ringing while the person decides; do not say anything until you are told how the transfer went.',
    };
  },
});
