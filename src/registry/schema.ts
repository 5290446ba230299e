/**
 * Input schemas: zod schemas are turned into JSON Schema (what MCP carries), and every JSON Schema is
 * compiled once with Ajv, so that arguments are checked at the serving node before a handler runs.
 */
import { Ajv, type ErrorObject } from 'ajv'
import { z } from 'zod'
import { InvalidToolDefinitionError } from '../errors.ts'
import type { JsonSchemaObject } from './types.ts'

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false })

function isZod(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema != null && '_zod' in schema
}

/** The JSON Schema of a tool's input or output, from JSON Schema or zod. */
export function toJsonSchema(
  schema: JsonSchemaObject | z.ZodType | undefined,
  what: string,
): JsonSchemaObject {
  if (schema == null) return { type: 'object', properties: {} }
  const json = isZod(schema)
    ? (z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as JsonSchemaObject)
    : { ...schema }
  if (json.type !== 'object') {
    throw new InvalidToolDefinitionError(
      `${what} must be a JSON Schema with "type": "object", got type ${JSON.stringify(json.type)}`,
    )
  }
  return json
}

function describe(errors: ErrorObject[]): string {
  return errors
    .map((e) => {
      const where = e.instancePath === '' ? 'arguments' : `arguments${e.instancePath.replaceAll('/', '.')}`
      return `${where} ${e.message ?? 'is invalid'}`
    })
    .join('; ')
}

/** Compiles a validator that returns `undefined` for valid input and a description of the problems otherwise. */
export function compileValidator(
  schema: JsonSchemaObject,
  what: string,
): (value: unknown) => string | undefined {
  // Ajv checks the schema against its own draft; the `$schema` keyword would make it look up drafts it lacks.
  const { $schema: _ignored, ...body } = schema
  let validate: ReturnType<typeof ajv.compile>
  try {
    validate = ajv.compile(body)
  } catch (err) {
    throw new InvalidToolDefinitionError(`${what} is not a valid JSON Schema: ${(err as Error).message}`)
  }
  return (value) => (validate(value) ? undefined : describe(validate.errors ?? []))
}
