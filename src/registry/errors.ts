import { CordError } from '../errors.ts'

/** No tool of that name is served here. */
export class UnknownToolError extends CordError {
  static override name = 'UnknownToolError'
  override name = 'UnknownToolError'
  override readonly kind = 'rejected'
}

/** The arguments of a call do not satisfy the tool's input schema. */
export class InvalidToolArgumentsError extends CordError {
  static override name = 'InvalidToolArgumentsError'
  override name = 'InvalidToolArgumentsError'
  override readonly kind = 'rejected'
}

/** A tool of that name is already registered. */
export class DuplicateToolError extends CordError {
  static override name = 'DuplicateToolError'
  override name = 'DuplicateToolError'
  override readonly kind = 'usage'
}

/** A tool definition is not valid (bad name, input schema not a JSON Schema object, …). */
export class InvalidToolDefinitionError extends CordError {
  static override name = 'InvalidToolDefinitionError'
  override name = 'InvalidToolDefinitionError'
  override readonly kind = 'usage'
}
