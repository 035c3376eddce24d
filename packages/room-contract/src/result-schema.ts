/**
 * The result of an outbound call's task, as the API caller describes it: a small, safe subset of
 * JSON Schema (an object with typed properties, `required`, `enum`, `description`, a few bounds).
 * The bridge checks the subset when `POST /api/calls` names one and validates what the agent reports
 * against it; the agent turns it into the parameters of its `report_result` tool. Both use
 * `resultSchemaToZod`, so the two sides cannot disagree on what a valid result is.
 *
 * Anything outside the subset (`$ref`, `oneOf`, `pattern`, `format`, `additionalProperties: true`,
 * …) is refused: it either cannot be given to the model reliably or could make validation costly.
 */
import { z } from 'zod';

export const RESULT_SCHEMA_LIMITS = {
  /** The schema as JSON text. */
  bytes: 8192,
  /** Properties in all, nested ones included. */
  properties: 40,
  /** Nesting of objects (the top level is 1). */
  depth: 3,
  enumValues: 50,
  description: 500,
  /** Longest string a property may hold when the schema gives no `maxLength`. */
  stringLength: 2000,
  arrayItems: 50,
} as const;

const description = z.string().max(RESULT_SCHEMA_LIMITS.description).optional();
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const stringProperty = z.strictObject({
  type: z.literal('string'),
  description,
  enum: z.array(z.string().max(200)).min(1).max(RESULT_SCHEMA_LIMITS.enumValues).optional(),
  minLength: z.number().int().min(0).max(RESULT_SCHEMA_LIMITS.stringLength).optional(),
  maxLength: z.number().int().min(1).max(RESULT_SCHEMA_LIMITS.stringLength).optional(),
});
const numberProperty = z.strictObject({
  type: z.enum(['number', 'integer']),
  description,
  enum: z.array(z.number()).min(1).max(RESULT_SCHEMA_LIMITS.enumValues).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
});
const booleanProperty = z.strictObject({ type: z.literal('boolean'), description });
const scalarProperty = z.discriminatedUnion('type', [stringProperty, numberProperty, booleanProperty]);
const arrayProperty = z.strictObject({
  type: z.literal('array'),
  description,
  items: scalarProperty,
  maxItems: z.number().int().min(1).max(RESULT_SCHEMA_LIMITS.arrayItems).optional(),
});

export type ScalarProperty = z.infer<typeof scalarProperty>;
export type ArrayProperty = z.infer<typeof arrayProperty>;
export interface ObjectSchema {
  type: 'object';
  description?: string;
  properties: Record<string, ResultProperty>;
  required?: string[];
  additionalProperties?: false;
}
export type ResultProperty = ScalarProperty | ArrayProperty | ObjectSchema;

const objectSchema: z.ZodType<ObjectSchema> = z.lazy(() =>
  z
    .strictObject({
      type: z.literal('object'),
      description,
      properties: z.record(z.string(), property),
      required: z.array(z.string()).optional(),
      additionalProperties: z.literal(false).optional(),
    })
    .superRefine((o, ctx) => {
      for (const name of Object.keys(o.properties)) {
        if (!PROPERTY_NAME.test(name))
          ctx.addIssue({
            code: 'custom',
            path: ['properties', name],
            message: 'property names are letters, digits and _ (at most 64)',
          });
      }
      for (const name of o.required ?? []) {
        if (!(name in o.properties))
          ctx.addIssue({ code: 'custom', path: ['required'], message: `"${name}" is not a property` });
      }
    }),
);
const property: z.ZodType<ResultProperty> = z.lazy(() =>
  z.union([scalarProperty, arrayProperty, objectSchema], {
    error: 'a property is {type: "string"|"number"|"integer"|"boolean"|"array"|"object", description?, …}',
  }),
);

function countAndDepth(o: ObjectSchema, depth = 1): { properties: number; depth: number } {
  let properties = 0;
  let deepest = depth;
  for (const p of Object.values(o.properties)) {
    properties += 1;
    if (p.type === 'object') {
      const inner = countAndDepth(p, depth + 1);
      properties += inner.properties;
      deepest = Math.max(deepest, inner.depth);
    }
  }
  return { properties, depth: deepest };
}

/** The result schema as `POST /api/calls` accepts it and the dispatch metadata carries it. */
export const resultSchemaSchema: z.ZodType<ObjectSchema> = objectSchema.superRefine((o, ctx) => {
  if (JSON.stringify(o).length > RESULT_SCHEMA_LIMITS.bytes)
    ctx.addIssue({ code: 'custom', message: `must be at most ${RESULT_SCHEMA_LIMITS.bytes} bytes of JSON` });
  if (Object.keys(o.properties).length === 0)
    ctx.addIssue({ code: 'custom', path: ['properties'], message: 'needs at least one property' });
  const size = countAndDepth(o);
  if (size.properties > RESULT_SCHEMA_LIMITS.properties)
    ctx.addIssue({ code: 'custom', message: `at most ${RESULT_SCHEMA_LIMITS.properties} properties in all` });
  if (size.depth > RESULT_SCHEMA_LIMITS.depth)
    ctx.addIssue({ code: 'custom', message: `objects nest at most ${RESULT_SCHEMA_LIMITS.depth} deep` });
});
export type ResultSchema = ObjectSchema;

function scalarToZod(p: ScalarProperty): z.ZodType {
  switch (p.type) {
    case 'string': {
      if (p.enum) return z.enum(p.enum as [string, ...string[]]);
      let s = z.string().max(p.maxLength ?? RESULT_SCHEMA_LIMITS.stringLength);
      if (p.minLength !== undefined) s = s.min(p.minLength);
      return s;
    }
    case 'number':
    case 'integer': {
      if (p.enum) {
        const literals = p.enum.map((v) => z.literal(v));
        return literals.length === 1 ? literals[0]! : z.union(literals);
      }
      let n = p.type === 'integer' ? z.number().int() : z.number();
      if (p.minimum !== undefined) n = n.min(p.minimum);
      if (p.maximum !== undefined) n = n.max(p.maximum);
      return n;
    }
    case 'boolean':
      return z.boolean();
  }
}

function propertyToZod(p: ResultProperty): z.ZodType {
  let out: z.ZodType;
  if (p.type === 'object') out = resultSchemaToZod(p);
  else if (p.type === 'array')
    out = z.array(scalarToZod(p.items)).max(p.maxItems ?? RESULT_SCHEMA_LIMITS.arrayItems);
  else out = scalarToZod(p);
  return p.description ? out.describe(p.description) : out;
}

/**
 * The zod schema of a result: properties not in `required` are optional, unknown properties are
 * refused (the model must use the names it was given).
 */
export function resultSchemaToZod(schema: ResultSchema): z.ZodObject {
  const required = new Set(schema.required ?? []);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, p] of Object.entries(schema.properties)) {
    const field = propertyToZod(p);
    shape[name] = required.has(name) ? field : field.optional();
  }
  const object = z.strictObject(shape);
  return schema.description ? object.describe(schema.description) : object;
}
