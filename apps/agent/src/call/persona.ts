/**
 * The persona of one call: the worker's own settings, or what the call's route (the bridge's
 * ROUTES_FILE, docs/routing.md) sent in the dispatch metadata. A route replaces the instructions
 * and the greeting, and picks a voice and a language; it can only narrow what the worker offers:
 * business tools come from AGENT_TOOLS and transfer targets from TRANSFER_ALLOWLIST, never beyond.
 */
import type { AgentConfig } from '../config.js';
import { maskNumber, type CallContext } from './context.js';

export interface CallPersona {
  /** The persona part of the instructions (the call's facts and task are added to it). */
  instructions: string;
  /** What the agent is asked to say first to a caller who phoned us. */
  greeting: string;
  voice?: string;
  /** ISO 639-1: the language spoken, and the caller's speech transcribed in. */
  language?: string;
  /** The business tools offered, by name. */
  tools: string[];
  transferAllowlist: string[];
  /** Tools the route named that this worker does not have (AGENT_TOOLS): not offered, logged. */
  ignoredTools: string[];
}

type PersonaConfig = Pick<AgentConfig, 'instructions' | 'greeting' | 'businessTools' | 'transferAllowlist'>;

export function personaFor(config: PersonaConfig, call: CallContext): CallPersona {
  const base = call.persona ?? config.instructions;
  const language = call.language;
  return {
    instructions: language ? `${base.trim()}\n\n${languageSection(language)}` : base,
    greeting: call.greeting ?? config.greeting.instructions,
    voice: call.voice,
    language,
    tools: call.tools ? call.tools.filter((t) => config.businessTools.includes(t)) : config.businessTools,
    transferAllowlist: call.transferTargets
      ? config.transferAllowlist.filter((n) => call.transferTargets!.includes(n))
      : config.transferAllowlist,
    ignoredTools: call.tools?.filter((t) => !config.businessTools.includes(t)) ?? [],
  };
}

/** "Speak Spanish (es) with the caller…", the language named in English for the model. */
export function languageSection(code: string): string {
  let name = code;
  try {
    name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    // An unknown code: the model is given the code itself.
  }
  return `Speak ${name} (${code}) with the caller, from your first words on.`;
}

/** A route's name for logs: a route named by its number (the routes file's key) shows it masked. */
export function routeForLog(route: string | undefined): string | undefined {
  return route?.startsWith('+') ? maskNumber(route) : route;
}
