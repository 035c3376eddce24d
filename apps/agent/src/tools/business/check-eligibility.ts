import { z } from 'zod';
import {
  EligibilityService,
  IdentityMismatchError,
  MemberNotFoundError,
} from '../../services/eligibility.js';
import { defineCallTool, SpokenToolError } from '../define.js';

/** Callers read ids out letter by letter ("m b one two three…"); keep only what an id can hold. */
const memberId = z
  .string()
  .transform((s) => s.replace(/[\s.-]/g, '').toUpperCase())
  .pipe(z.string().regex(/^MB\d{6}$/, 'a member ID is the letters M B followed by six digits'));

const dateOfBirth = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'the date of birth must be given as year-month-day, like 1985-03-15')
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: 'that date of birth is not a real calendar date',
    },
  )
  .refine((s) => s <= new Date().toISOString().slice(0, 10), {
    message: 'the date of birth is in the future',
  });

const spell = (id: string) => id.split('').join(' ');

const PARAMETERS = z.object({
  member_id: memberId.describe('Member ID as the caller gave it, e.g. "MB123456" or "M B 1 2 3 4 5 6".'),
  date_of_birth: dateOfBirth.describe('Date of birth as YYYY-MM-DD.'),
});

/** Example business tool: insurance eligibility, backed by the in-repo EligibilityService. */
export function checkEligibilityTool(service = new EligibilityService()) {
  return defineCallTool({
    name: 'check_eligibility',
    description:
      "Check whether a member's insurance covers a visit today, and their copay. Needs the member ID " +
      '(letters M B and six digits) and date of birth; ask the caller for both before calling.',
    parameters: PARAMETERS,
    async execute({ member_id, date_of_birth }) {
      try {
        const result = await service.check(member_id, date_of_birth);
        if (result.eligible) {
          return {
            eligible: true,
            summary: `${result.firstName} is covered on the ${result.plan} plan; the copay is ${result.copayUsd} dollars per visit.`,
            covered_until: result.coveredUntil,
          };
        }
        return {
          eligible: false,
          summary:
            result.reason === 'ended'
              ? `${result.firstName}'s ${result.plan} coverage ended on ${result.coverageEnd}.`
              : `${result.firstName}'s ${result.plan} coverage only starts on ${result.coverageStart}.`,
        };
      } catch (err) {
        if (err instanceof MemberNotFoundError) {
          throw new SpokenToolError(
            `No member was found with ID ${spell(member_id)}. Ask the caller to read the ID again.`,
          );
        }
        if (err instanceof IdentityMismatchError) {
          throw new SpokenToolError(
            'The date of birth does not match that member ID. Ask the caller to check both; never reveal what is on file.',
          );
        }
        throw err;
      }
    },
  });
}
