import { describe, expect, it } from 'vitest';
import { dispatchMetadataSchema } from './dispatch.js';
import { BUSINESS_TOOL_NAMES, personaFieldsSchema } from './persona.js';

const room = { callSid: 'CA1', direction: 'inbound', from: '+15551234567', to: '+15550100001' } as const;

describe('persona fields of the dispatch metadata', () => {
  it('carries a route’s persona, and checks each field', () => {
    const persona = {
      route: 'sales',
      persona: 'You sell.',
      greeting: 'Welcome to sales.',
      language: 'es',
      tools: [...BUSINESS_TOOL_NAMES],
      transferTargets: ['+15550109999'],
    };
    expect(dispatchMetadataSchema.parse({ ...room, ...persona })).toMatchObject(persona);
    expect(personaFieldsSchema.safeParse({ language: 'spanish' }).success).toBe(false);
    expect(personaFieldsSchema.safeParse({ transferTargets: ['555-0100'] }).success).toBe(false);
    expect(personaFieldsSchema.safeParse({ greeting: '' }).success).toBe(false);
    // A dispatch without them (no routes file) is what it always was.
    expect(dispatchMetadataSchema.parse(room)).toEqual(room);
  });
});
