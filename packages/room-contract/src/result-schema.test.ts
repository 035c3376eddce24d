import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dispatchMetadataSchema } from './dispatch.js';
import { RESULT_SCHEMA_LIMITS, resultSchemaSchema, resultSchemaToZod } from './result-schema.js';

const booking = {
  type: 'object',
  description: 'The outcome of the booking request',
  properties: {
    confirmed: { type: 'boolean', description: 'Whether the restaurant confirmed the table' },
    confirmation_code: { type: 'string', maxLength: 20 },
    party_size: { type: 'integer', minimum: 1, maximum: 20 },
    time: { type: 'string', enum: ['19:00', '19:30', '20:00'] },
    notes: { type: 'array', items: { type: 'string' }, maxItems: 3 },
    contact: {
      type: 'object',
      properties: { name: { type: 'string' }, callback: { type: 'boolean' } },
      required: ['name'],
    },
  },
  required: ['confirmed'],
  additionalProperties: false,
} as const;

const issues = (value: unknown) => {
  const parsed = resultSchemaSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('result schema subset', () => {
  it('accepts an object with typed properties, required, enums, descriptions and bounds', () => {
    expect(issues(booking)).toEqual([]);
  });

  it('refuses keywords outside the subset, naming where', () => {
    expect(issues({ ...booking, $ref: '#/x' }).join()).toMatch(/\$ref/);
    const withPattern = {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^(a+)+$' } },
    };
    expect(issues(withPattern).join()).toMatch(/properties\.code/);
    expect(issues({ type: 'object', properties: { a: { oneOf: [] } } }).join()).toMatch(/properties\.a/);
    expect(issues({ type: 'object', properties: {}, additionalProperties: true }).length).toBeGreaterThan(0);
  });

  it('refuses a top level that is not an object, an empty object, a required name that is no property', () => {
    expect(issues({ type: 'string' }).length).toBeGreaterThan(0);
    expect(issues({ type: 'object', properties: {} }).join()).toMatch(/at least one property/);
    expect(issues({ type: 'object', properties: { a: { type: 'string' } }, required: ['b'] }).join()).toMatch(
      /"b" is not a property/,
    );
    expect(issues({ type: 'object', properties: { 'bad name': { type: 'string' } } }).join()).toMatch(
      /property names/,
    );
  });

  it('bounds size and nesting', () => {
    const deep = (n: number): unknown =>
      n === 0 ? { type: 'string' } : { type: 'object', properties: { x: deep(n - 1) } };
    expect(issues(deep(RESULT_SCHEMA_LIMITS.depth))).toEqual([]);
    expect(issues(deep(RESULT_SCHEMA_LIMITS.depth + 1)).join()).toMatch(/nest/);
    const many = Object.fromEntries(
      Array.from({ length: RESULT_SCHEMA_LIMITS.properties + 1 }, (_, i) => [`p${i}`, { type: 'boolean' }]),
    );
    expect(issues({ type: 'object', properties: many }).join()).toMatch(/at most/);
  });

  it('travels in the dispatch metadata', () => {
    const room = { callSid: 'CA1', direction: 'outbound', from: '+15551234567', to: '+15557654321' };
    expect(dispatchMetadataSchema.parse({ ...room, resultSchema: booking }).resultSchema).toEqual(booking);
    expect(dispatchMetadataSchema.safeParse({ ...room, resultSchema: { type: 'array' } }).success).toBe(
      false,
    );
  });
});

describe('resultSchemaToZod', () => {
  const zod = resultSchemaToZod(resultSchemaSchema.parse(booking));

  it('validates results: required, types, enums, bounds, nested objects, no unknown keys', () => {
    expect(zod.parse({ confirmed: true })).toEqual({ confirmed: true });
    const full = {
      confirmed: true,
      confirmation_code: 'ABC123',
      party_size: 4,
      time: '19:00',
      notes: ['window seat'],
      contact: { name: 'Ana' },
    };
    expect(zod.parse(full)).toEqual(full);
    const bad = (v: unknown) => zod.safeParse(v).success;
    expect(bad({})).toBe(false);
    expect(bad({ confirmed: 'yes' })).toBe(false);
    expect(bad({ confirmed: true, party_size: 4.5 })).toBe(false);
    expect(bad({ confirmed: true, party_size: 21 })).toBe(false);
    expect(bad({ confirmed: true, time: '18:00' })).toBe(false);
    expect(bad({ confirmed: true, confirmation_code: 'x'.repeat(21) })).toBe(false);
    expect(bad({ confirmed: true, notes: ['a', 'b', 'c', 'd'] })).toBe(false);
    expect(bad({ confirmed: true, contact: {} })).toBe(false);
    expect(bad({ confirmed: true, surprise: 1 })).toBe(false);
  });

  it('bounds strings without a maxLength, and keeps descriptions for the model', () => {
    const s = resultSchemaToZod({ type: 'object', properties: { a: { type: 'string' } } });
    expect(s.safeParse({ a: 'x'.repeat(RESULT_SCHEMA_LIMITS.stringLength + 1) }).success).toBe(false);
    const json = z.toJSONSchema(zod, { io: 'input' }) as {
      description?: string;
      properties: Record<string, { description?: string; enum?: string[] }>;
      required: string[];
    };
    expect(json.description).toBe(booking.description);
    expect(json.properties.confirmed?.description).toBe(booking.properties.confirmed.description);
    expect(json.properties.time?.enum).toEqual(['19:00', '19:30', '20:00']);
    expect(json.required).toEqual(['confirmed']);
  });

  it('number enums become literals', () => {
    const s = resultSchemaToZod({ type: 'object', properties: { n: { type: 'number', enum: [1, 2.5] } } });
    expect(s.safeParse({ n: 2.5 }).success).toBe(true);
    expect(s.safeParse({ n: 3 }).success).toBe(false);
  });
});
