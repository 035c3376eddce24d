// bench:calls --overload: the offered calls past the bridge's limit, told apart from the ones it
// took; and how many of each kind of refusal the bridge counted (callbridge_admission_refusals_total).
import type { SimulatedCall } from '@callbridge/testkit/twilio';

/** The bridge answered the call with its polite busy message (a <Say> and a hang-up, no stream). */
export function refusedBusy(call: SimulatedCall): boolean {
  const summary = call.twiml?.summary;
  return Boolean(summary && summary.stream === null && summary.hangup && summary.said.length > 0);
}

/** The bridge's refusals so far by reason (capacity, draining, loop_lag, cpu, uplink_drops, uplink_backlog). */
export async function admissionRefusals(publicUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${publicUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^callbridge_admission_refusals_total\{([^}]*)\} (\S+)$/gm)) {
    const reason = /reason="([^"]*)"/.exec(m[1]!)?.[1] ?? 'unknown';
    out[reason] = (out[reason] ?? 0) + Number(m[2]);
  }
  return out;
}

/** `after - before`, per reason, leaving out reasons that did not change. */
export function refusalsSince(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );
}
