/**
 * Business tools: offered on a call only when AGENT_TOOLS names them (none by default, so an
 * example never reaches a real deployment's model unasked). To add one: write a file in this folder
 * that returns `defineCallTool({ name, description, parameters: z.object(...), execute })`, add its
 * name to BUSINESS_TOOL_NAMES in ./names.ts and list it in CATALOG under that name. Throw
 * SpokenToolError with a sentence the model can say when the request cannot be served.
 */
import type { CallTool } from '../define.js';
import { checkEligibilityTool } from './check-eligibility.js';
import { BUSINESS_TOOL_NAMES, type BusinessToolName } from './names.js';

export { BUSINESS_TOOL_NAMES };

/** Every business tool this build has, by the name AGENT_TOOLS uses (exactly the names in names.ts). */
const CATALOG: Record<BusinessToolName, () => CallTool> = {
  // The example: insurance eligibility against fake in-repo members (demo and tests enable it).
  check_eligibility: checkEligibilityTool,
};

/** The named business tools, in the order given (names are checked when the config loads). */
export function businessTools(names: readonly string[]): CallTool[] {
  return names.map((name) => {
    const make = (CATALOG as Partial<Record<string, () => CallTool>>)[name];
    if (!make)
      throw new Error(`no business tool named ${name}; available: ${BUSINESS_TOOL_NAMES.join(', ')}`);
    return make();
  });
}
