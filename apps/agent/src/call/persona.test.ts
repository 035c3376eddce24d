import { describe, expect, it } from 'vitest';
import { callContextFromMetadata } from './context.js';
import { languageSection, personaFor, routeForLog } from './persona.js';

const worker = {
  instructions: 'You are the front desk.',
  greeting: { enabled: true, instructions: 'Say hello.' },
  businessTools: ['check_eligibility'],
  transferAllowlist: ['+15550109999', '+15550108888'],
};
const room = { callSid: 'CA1', direction: 'inbound', from: '+15551234567', to: '+15550100001' };
const dispatched = (fields: Record<string, unknown>) =>
  callContextFromMetadata(JSON.stringify({ ...room, ...fields }), '');

describe('the call persona', () => {
  it('is the worker’s own without a route', () => {
    const persona = personaFor(worker, dispatched({}));
    expect(persona).toEqual({
      instructions: 'You are the front desk.',
      greeting: 'Say hello.',
      voice: undefined,
      language: undefined,
      tools: ['check_eligibility'],
      transferAllowlist: ['+15550109999', '+15550108888'],
      ignoredTools: [],
    });
  });

  it('takes the route’s instructions, greeting, voice and language from the dispatch', () => {
    const call = dispatched({
      route: 'sales',
      persona: 'You sell phones.',
      greeting: 'Welcome to sales.',
      voice: 'cedar',
      language: 'es',
    });
    expect(call.issues).toEqual([]);
    const persona = personaFor(worker, call);
    expect(persona.instructions).toBe(
      'You sell phones.\n\nSpeak Spanish (es) with the caller, from your first words on.',
    );
    expect(persona).toMatchObject({ greeting: 'Welcome to sales.', voice: 'cedar', language: 'es' });
  });

  it('narrows tools and transfer targets to what the worker has, never beyond', () => {
    const call = dispatched({
      tools: ['book_table', 'check_eligibility'],
      transferTargets: ['+15550108888', '+15550107777'],
    });
    const persona = personaFor(worker, call);
    expect(persona.tools).toEqual(['check_eligibility']);
    expect(persona.ignoredTools).toEqual(['book_table']);
    expect(persona.transferAllowlist).toEqual(['+15550108888']);
    // A route that offers no tools and no transfers.
    expect(personaFor(worker, dispatched({ tools: [], transferTargets: [] }))).toMatchObject({
      tools: [],
      transferAllowlist: [],
    });
  });

  it('ignores invalid persona fields (each costs only itself)', () => {
    const call = dispatched({ language: 'Spanish', tools: 'check_eligibility', greeting: 'Hi' });
    expect(call.issues).toEqual(['dispatch.language is invalid', 'dispatch.tools is invalid']);
    expect(personaFor(worker, call)).toMatchObject({
      greeting: 'Hi',
      language: undefined,
      tools: ['check_eligibility'],
    });
  });

  it('names the language in English and masks a route named by its number', () => {
    expect(languageSection('de')).toBe('Speak German (de) with the caller, from your first words on.');
    expect(routeForLog('+15550100001')).toBe('+1555…0001');
    expect(routeForLog('sales')).toBe('sales');
  });
});
