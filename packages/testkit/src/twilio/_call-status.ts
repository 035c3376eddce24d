/** A call's status callbacks as Twilio posts them: numbered from 0, with the duration from the answer. */
import type { CallStatus } from '@callbridge/twilio-media';
import type { FormPostResult } from './_signed-post.js';
import { type CallIdentity, postStatusCallback } from './_status-callbacks.js';

export interface CallStatusSetup {
  identity: Required<CallIdentity>;
  authToken: string;
  statusCallbackUrl: string | null;
  rewriteUrl: (url: string) => string;
}

export class CallStatusReports {
  private answeredAtMs: number | null = null;
  private sequence = 0;

  constructor(private readonly setup: CallStatusSetup) {}

  /** The call is answered now (a later call of this keeps the first answer). */
  answered(): void {
    this.answeredAtMs ??= performance.now();
  }

  /** Whole seconds from the answer to now; null for a call never answered. */
  durationSec(): number | null {
    const answered = this.answeredAtMs;
    return answered === null ? null : Math.round((performance.now() - answered) / 1000);
  }

  /** Posts a (signed) status callback now; null without a status callback URL. */
  post(status: CallStatus, extraParams?: Record<string, string>): Promise<FormPostResult> | null {
    if (this.setup.statusCallbackUrl === null) return null;
    const durationSec = status === 'completed' ? (this.durationSec() ?? undefined) : undefined;
    return postStatusCallback({
      url: this.setup.statusCallbackUrl,
      authToken: this.setup.authToken,
      call: this.setup.identity,
      status,
      durationSec,
      sequenceNumber: this.sequence++,
      rewriteUrl: this.setup.rewriteUrl,
      extraParams,
    });
  }
}
