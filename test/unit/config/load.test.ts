import { describe, expect, it } from 'vitest'
import { parseConfig, validateNodeOptions } from '../../../src/config/load.ts'
import { backoffDelay } from '../../../src/util/backoff.ts'

const parse = (text: string) => () => parseConfig(text, 'config.toml')

describe('config.toml', () => {
  it('names the file, the line or the field, and what was expected', () => {
    expect(parse('listen = [')).toThrow(/config\.toml: not valid TOML at line 1/)
    expect(parse('[mcp]\nmax_frame_bytes = "4MB"\n')).toThrow(/mcp\.max_frame_bytes: .*expected number/)
    expect(parse('lisen = ["/ip4/0.0.0.0/tcp/1"]\n')).toThrow(/unknown field "lisen"/)
    expect(parse('bootstrap = ["/ip4/10.0.0.1/tcp/4001"]\n')).toThrow(
      /bootstrap\.0: expected the full address ending in \/p2p\//,
    )
    expect(parse('[control]\nlisten = "0.0.0.0:9000"\n')).toThrow(
      /control\.listen: expected a loopback host:port/,
    )
    expect(parse('alias = "has space"\n')).toThrow(/alias: expected 1–32 characters/)
    expect(parse('[discovery]\nsuspect_after = 6\ndead_after = 3\n')).toThrow(
      /suspect_after must be smaller than discovery\.dead_after/,
    )
    expect(parse('[redial]\nmin_ms = 5000\nmax_ms = 1000\n')).toThrow(/redial\.min_ms/)
  })

  it('accepts an empty file (every default applies) and a full one', () => {
    expect(parseConfig('', 'config.toml')).toEqual({})
    const config = parseConfig(
      'alias = "a"\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n[mcp]\ncall_timeout_ms = 5\n',
      'config.toml',
    )
    expect(config).toMatchObject({ alias: 'a', mcp: { call_timeout_ms: 5 } })
  })

  it('validates createNode() options the same way', () => {
    expect(() => validateNodeOptions({ listen: ['nope'] })).toThrow(/listen\.0: expected a multiaddr/)
    expect(() => validateNodeOptions({ maxFrameBytes: -1 })).toThrow(/maxFrameBytes/)
    expect(() => validateNodeOptions({ colour: 'red' })).toThrow(/unknown field "colour"/)
  })
})

describe('redial backoff', () => {
  it('doubles from the minimum, stops at the maximum, and jitters by ±25%', () => {
    expect(backoffDelay(0, 1000, 30000, () => 0.5)).toBe(1000)
    expect(backoffDelay(3, 1000, 30000, () => 0.5)).toBe(8000)
    expect(backoffDelay(20, 1000, 30000, () => 0.5)).toBe(30000)
    expect(backoffDelay(1, 1000, 30000, () => 0)).toBe(1500)
    expect(backoffDelay(1, 1000, 30000, () => 1)).toBe(2500)
  })
})
