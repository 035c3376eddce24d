import { z } from 'zod';
import { TransferRefusedError } from '../call/phone-line.js';
import { defineCallTool, SpokenToolError } from './define.js';

/** Spoken or typed numbers arrive with spaces, dashes and brackets; the allow-list holds E.164. */
export function normalisePhoneNumber(raw: string): string {
  const trimmed = raw.trim();
  const digits = trimmed.replace(/\D/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits.length === 10 ? `+1${digits}` : `+${digits}`;
}

/**
 * Transfers the caller to a human at one of the allow-listed numbers (TRANSFER_ALLOWLIST). The
 * bridge checks its own allow-list too; this one keeps the model from even trying other numbers.
 */
export const transferCall = defineCallTool({
  name: 'transfer_call',
  description:
    'Transfer the caller to a human at another phone number. Only the allowed numbers listed below work. ' +
    'Tell the caller you are transferring them before calling this.',
  parameters: z.object({
    to: z
      .string()
      .min(3, 'the number to transfer to is missing')
      .describe('Destination phone number, in E.164 format.'),
  }),
  async execute({ to }, { runtime }) {
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
    try {
      await runtime.phone.transfer(number);
    } catch (err) {
      if (err instanceof TransferRefusedError) {
        throw new SpokenToolError(
          `The transfer did not go through (${err.message}). Apologise and offer another way to help.`,
        );
      }
      throw err;
    }
    return {
      transferred: true,
      to: number,
      note: 'The caller is being connected now; do not say anything else.',
    };
  },
});
