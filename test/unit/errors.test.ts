import { describe, expect, it } from 'vitest'
import * as errors from '../../src/errors.ts'
import {
  ControlRequestError,
  CordError,
  KINDS,
  RateLimitedError,
  RemoteRequestError,
  RPC,
  SessionClosedError,
} from '../../src/errors.ts'
import { fromMcpError, toMcpError } from '../../src/mcp/rpc-errors.ts'

const types = Object.values(errors).filter(
  (v): v is typeof CordError => typeof v === 'function' && v.prototype instanceof CordError,
)
const make = (type: typeof CordError, message: string): CordError =>
  (type as unknown) === RateLimitedError
    ? new RateLimitedError(message, 250)
    : type === RemoteRequestError
      ? new RemoteRequestError(message, -32099)
      : (type as unknown) === ControlRequestError
        ? new ControlRequestError(message, 'UnknownToolError', 'rejected')
        : new (type as unknown as new (m: string) => CordError)(message)

describe('the error table', () => {
  it('gives every error its own name, a kind with an exit code and status, and a JSON-RPC code', () => {
    expect(types.length).toBeGreaterThan(20)
    expect(new Set(types.map((t) => t.name)).size).toBe(types.length)
    for (const type of types) {
      const err = make(type, 'm')
      expect(err.name).toBe(type.name)
      expect(err).toBeInstanceOf(Error)
      expect(KINDS[err.kind]).toBeDefined()
      expect(Number.isInteger(err.code) && err.code < -32000 + 1).toBe(true)
    }
  })

  it('raises a remote error again by name at the caller, with its data; others become RemoteRequestError', () => {
    const remote = types.filter((t) => t.remote)
    expect(remote.map((t) => t.name).sort()).toEqual([
      'AccessDeniedError',
      'CallTimeoutError',
      'InvalidToolArgumentsError',
      'NodeStoppingError',
      'RateLimitedError',
      'ToolChangedError',
      'UnknownToolError',
      'UpstreamUnavailableError',
    ])
    for (const type of types) {
      const back = fromMcpError(toMcpError(make(type, 'why')), 'peerX') as CordError
      if (type.remote) {
        expect(back).toBeInstanceOf(type)
        expect(back.message).toBe('why (at peer peerX)')
      } else if (type.code === RPC.ConnectionClosed) {
        expect(back).toBeInstanceOf(SessionClosedError)
      } else {
        expect(back).toBeInstanceOf(RemoteRequestError)
        expect(back.code).toBe(make(type, 'x').code)
      }
    }
    const limited = fromMcpError(toMcpError(new RateLimitedError('slow down', 1234)), 'p')
    expect((limited as RateLimitedError).retryAfterMs).toBe(1234)
  })

  it('answers a JSON-RPC error that names no Cord error by its code', () => {
    expect(fromMcpError(toMcpError(new Error('boom')), 'p')).toMatchObject({
      name: 'RemoteRequestError',
      code: RPC.InternalError,
    })
    expect(fromMcpError(toMcpError(new TypeError('x')), 'p')).toBeInstanceOf(RemoteRequestError)
    const plain = new Error('not from a request')
    expect(fromMcpError(plain, 'p')).toBe(plain)
  })
})
