import { CordError } from '../errors.ts'

/** A config file or a set of options is invalid. The message names the file, the field and what was expected. */
export class ConfigError extends CordError {
  static override name = 'ConfigError'
  override name = 'ConfigError'
  override readonly kind = 'config'
}
