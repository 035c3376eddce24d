/**
 * Insurance eligibility lookups, the kind of back-office service a phone agent calls (after the
 * clinic prototype in the seeds). In-memory with sample members so the example tool is real code
 * end to end; a deployment replaces `SAMPLE_MEMBERS` with its own system behind the same methods.
 */

export interface Member {
  /** "MB" followed by six digits. */
  memberId: string;
  /** YYYY-MM-DD. */
  dateOfBirth: string;
  firstName: string;
  plan: string;
  copayUsd: number;
  /** YYYY-MM-DD, inclusive. */
  coverageStart: string;
  coverageEnd: string;
}

export type EligibilityResult =
  | { eligible: true; firstName: string; plan: string; copayUsd: number; coveredUntil: string }
  | {
      eligible: false;
      firstName: string;
      plan: string;
      reason: 'not_started' | 'ended';
      coverageStart: string;
      coverageEnd: string;
    };

/** The member id is not on file. */
export class MemberNotFoundError extends Error {
  override name = 'MemberNotFoundError';
}

/** The date of birth does not match the member id (never say which is on file). */
export class IdentityMismatchError extends Error {
  override name = 'IdentityMismatchError';
}

export const SAMPLE_MEMBERS: readonly Member[] = [
  {
    memberId: 'MB123456',
    dateOfBirth: '1985-03-15',
    firstName: 'Dana',
    plan: 'Silver PPO',
    copayUsd: 25,
    coverageStart: '2024-01-01',
    coverageEnd: '2030-12-31',
  },
  {
    memberId: 'MB654321',
    dateOfBirth: '1972-11-02',
    firstName: 'Luis',
    plan: 'Bronze HMO',
    copayUsd: 40,
    coverageStart: '2020-01-01',
    coverageEnd: '2023-06-30',
  },
];

export class EligibilityService {
  readonly #members: Map<string, Member>;
  readonly #today: () => string;

  constructor(
    members: readonly Member[] = SAMPLE_MEMBERS,
    today: () => string = () => new Date().toISOString().slice(0, 10),
  ) {
    this.#members = new Map(members.map((m) => [m.memberId, m]));
    this.#today = today;
  }

  /** Checks coverage on today's date for a member identified by id and date of birth. */
  async check(memberId: string, dateOfBirth: string): Promise<EligibilityResult> {
    const member = this.#members.get(memberId);
    if (!member) throw new MemberNotFoundError(memberId);
    if (member.dateOfBirth !== dateOfBirth) throw new IdentityMismatchError(memberId);
    const today = this.#today();
    const base = { firstName: member.firstName, plan: member.plan };
    if (today < member.coverageStart) {
      return {
        ...base,
        eligible: false,
        reason: 'not_started',
        coverageStart: member.coverageStart,
        coverageEnd: member.coverageEnd,
      };
    }
    if (today > member.coverageEnd) {
      return {
        ...base,
        eligible: false,
        reason: 'ended',
        coverageStart: member.coverageStart,
        coverageEnd: member.coverageEnd,
      };
    }
    return { ...base, eligible: true, copayUsd: member.copayUsd, coveredUntil: member.coverageEnd };
  }
}
