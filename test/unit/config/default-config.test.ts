import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/load.ts'

const read = (name: string): string =>
  readFileSync(new URL(`../../../config/${name}`, import.meta.url), 'utf8')

describe('config/ files', () => {
  it('default.toml is valid and states exactly the built-in defaults', () => {
    const fromFile = parseConfig(read('default.toml'), 'config/default.toml')
    const builtIn = parseConfig('', 'empty.toml')
    expect(fromFile).toEqual(builtIn)
    // every section and field of the schema is in the file (commented-out ones aside)
    expect(Object.keys(fromFile).sort()).toEqual(Object.keys(builtIn).sort())
  })

  it('example-servers.toml is valid and holds two hosted servers', () => {
    const config = parseConfig(read('example-servers.toml'), 'config/example-servers.toml')
    expect(config.servers.map((s) => s.name)).toEqual(['memory', 'docs'])
    expect(config.servers[0]).toMatchObject({
      command: 'npx',
      env: { MEMORY_FILE_PATH: '/var/lib/cord/memory.jsonl' },
    })
    expect(config.servers[1]).toMatchObject({
      url: 'http://127.0.0.1:3001/mcp',
      headers: { Authorization: 'Bearer change-me' },
    })
  })

  it('example-relay.toml is valid: a relay with announced public addresses', () => {
    const config = parseConfig(read('example-relay.toml'), 'config/example-relay.toml')
    expect(config.relay).toMatchObject({ server: true, maxDurationMs: 0, maxDataBytes: 0 })
    expect(config.nat.announce).toHaveLength(2)
    expect(config.listen).toContain('/ip4/0.0.0.0/tcp/4002/ws')
  })

  it('example-behind-nat.toml is valid', () => {
    const config = parseConfig(read('example-behind-nat.toml'), 'config/example-behind-nat.toml')
    expect(config.nat).toMatchObject({ reachability: 'auto', upnp: false })
    expect(config.bootstrap).toHaveLength(1)
  })

  it('example-lan.toml is valid', () => {
    const config = parseConfig(read('example-lan.toml'), 'config/example-lan.toml')
    expect(config.demoTools).toBe(false)
    expect(config.bootstrap).toHaveLength(2)
  })
})

describe('config/example-hardened.toml', () => {
  it('is valid: private allow list, default deny, rules, tight limits', () => {
    const config = parseConfig(read('example-hardened.toml'), 'config/example-hardened.toml')
    expect(config.access.default).toBe('deny')
    expect(config.access.topicDefault).toBe('deny')
    expect(config.access.topicRules.map((r) => r.operations)).toEqual([
      ['publish'],
      ['subscribe'],
      ['publish', 'subscribe'],
    ])
    expect(config.topics.maxMessageBytes).toBe(16384)
    expect(config.access.allowPeers).toHaveLength(2)
    expect(config.access.rules[0]).toMatchObject({ servers: ['db'], action: 'allow' })
    expect(config.limits).toMatchObject({ ratePerSec: 20, maxConcurrentPerPeer: 8 })
    expect(config.mcp.maxCallTimeoutMs).toBe(120_000)
  })
})
