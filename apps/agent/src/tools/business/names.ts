/**
 * The names AGENT_TOOLS (and a route's `tools`, see docs/routing.md) may use, one per entry of
 * CATALOG in ./index.ts (the compiler holds the two to the same set). Declared in the room contract,
 * so that the bridge can check a routes file, and kept apart from the catalog so that the config,
 * which checks AGENT_TOOLS against it, does not import the tools and with them @livekit/agents
 * (which loads native code and registers process listeners when imported).
 */
export { BUSINESS_TOOL_NAMES, type BusinessToolName } from '@callbridge/room-contract';
