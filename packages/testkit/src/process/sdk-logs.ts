import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** A pino level from an environment variable (TEST_LOG_LEVEL, DEMO_LOG_LEVEL), or the fallback. */
export function logLevelFrom(value: string | undefined, fallback: LogLevel): LogLevel {
  return LEVELS.find((l) => l === value?.toLowerCase()) ?? fallback;
}

/**
 * Sets the level of @livekit/rtc-node's own logger ("lk-rtc") in this process. It logs at debug
 * unless NODE_ENV=production ("Connect callback received" per room, "ignoring incoming byte stream
 * due to no handler for topic: lk.agent.session" per agent session), straight to stdout, past
 * vitest's console capture. rtc-node neither exports that logger nor reads a level from the
 * environment, so this sets it on the module instance its entry point uses (dist/log.cjs; the ESM
 * entry re-exports the CommonJS build). Returns false if the pinned package no longer has it.
 */
export function setRtcNodeLogLevel(level: LogLevel): boolean {
  const require = createRequire(import.meta.url);
  try {
    const entry = require.resolve('@livekit/rtc-node');
    const mod = require(join(dirname(entry), 'log.cjs')) as { log?: { level: string } };
    if (!mod.log) return false;
    mod.log.level = level;
    return true;
  } catch {
    return false;
  }
}
