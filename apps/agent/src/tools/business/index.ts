/**
 * Business tools offered on every call. To add one: write a file in this folder that returns
 * `defineCallTool({ name, description, parameters: z.object(...), execute })`, and list it here.
 * Throw SpokenToolError with a sentence the model can say when the request cannot be served.
 */
import type { CallTool } from '../define.js';
import { checkEligibilityTool } from './check-eligibility.js';

export function businessTools(): CallTool[] {
  return [checkEligibilityTool()];
}
