import { ConfigError } from '../errors.ts'

/** A failure to listen, said plainly (the usual cause: the port is taken). */
export function listenError(err: Error): Error {
  if (err.name !== 'UnsupportedListenAddressesError') return err
  const detail = err.message.match(/\n\s*(\/\S+: [^\n]*)/)?.[1] ?? err.message
  return new ConfigError(
    `cannot listen on ${detail.replace(/^(\S+): Error: listen \w+: /, '$1: ')} (choose another address with --listen or "listen" in config.toml)`,
  )
}
