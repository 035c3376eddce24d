// bench:calls' search for the knee: the most calls a step carries while meeting the bar.

export interface StepVerdict {
  calls: number;
  /** False when the load generator ran late: the step measured it, not the bridge. */
  valid: boolean;
  meets_bar: boolean;
}

/**
 * Ramps through `steps` until one misses the bar, then bisects between the last step that met it
 * and the first that did not, to within `resolution` calls: bigger steps past the knee would only
 * measure a drowning machine. A step the load generator ran late in ends the search.
 */
export async function searchKnee<S extends StepVerdict>(
  steps: readonly number[],
  resolution: number,
  runStep: (calls: number) => Promise<S>,
): Promise<S[]> {
  const results: S[] = [];
  let lastPass = 0;
  let firstFail: number | undefined;
  for (const n of steps) {
    const step = await runStep(n);
    results.push(step);
    if (!step.valid) break; // the load generator ran late: larger steps would measure it even more
    if (!step.meets_bar) {
      firstFail = n;
      break;
    }
    lastPass = n;
  }
  while (firstFail !== undefined && firstFail - lastPass > resolution) {
    const n = Math.round((lastPass + firstFail) / 2);
    const step = await runStep(n);
    results.push(step);
    if (!step.valid) break;
    if (step.meets_bar) lastPass = n;
    else firstFail = n;
  }
  return results;
}

/** The knee, and what ended the search: the bridge missed the bar, the generator ran late, or the steps ran out. */
export function kneeOf(steps: readonly StepVerdict[]): {
  knee: number;
  limitedBy: 'load_generator' | 'bridge' | 'steps';
} {
  const knee = steps.filter((s) => s.meets_bar).reduce((m, s) => Math.max(m, s.calls), 0);
  const limitedBy = steps.some((s) => !s.valid)
    ? 'load_generator'
    : steps.some((s) => !s.meets_bar)
      ? 'bridge'
      : 'steps';
  return { knee, limitedBy };
}
