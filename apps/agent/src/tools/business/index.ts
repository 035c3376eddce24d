/**
 * Business tools: offered on a call only when AGENT_TOOLS names them (none by default, so an
 * example never reaches a real deployment's model unasked). To add one: write a file in this folder
 * that returns `defineCallTool({ name, description, parameters: z.object(...), execute })`, and
 * list it in CATALOG under the same name. Throw SpokenToolError with a sentence the model can say
 * when the request cannot be served.
 */
import type { CallTool } from '../define.js';
import { checkEligibilityTool } from './check-eligibility.js';

/** Every business tool this build has, by the name AGENT_TOOLS uses. */
const CATALOG: Record<string, () => CallTool> = {
  // The example: insurance eligibility against fake in-repo members (demo and tests enable it).
  check_eligibility: checkEligibilityTool,
};

export const BUSINESS_TOOL_NAMES: readonly string[] = Object.keys(CATALOG);

/** The named business tools, in the order given (names are checked when the config loads). */
export function businessTools(names: readonly string[]): CallTool[] {
  return names.map((name) => {
    const make = CATALOG[name];
    if (!make)
      throw new Error(`no business tool named ${name}; available: ${BUSINESS_TOOL_NAMES.join(', ')}`);
    return make();
  });
}
