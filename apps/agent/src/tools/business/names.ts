/**
 * The names AGENT_TOOLS may use, one per entry of CATALOG in ./index.ts (the compiler holds the two
 * to the same set). Kept apart from the catalog so that the config, which checks AGENT_TOOLS
 * against it, does not import the tools and with them @livekit/agents (which loads native code
 * and registers process listeners when imported).
 */
export const BUSINESS_TOOL_NAMES = ['check_eligibility'] as const;

export type BusinessToolName = (typeof BUSINESS_TOOL_NAMES)[number];
