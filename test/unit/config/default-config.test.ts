import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/load.ts'
import { daemonSettings, fileConfigToOptions, resolveNodeOptions } from '../../../src/config/schema.ts'

const read = (name: string): string =>
  readFileSync(new URL(`../../../config/${name}`, import.meta.url), 'utf8')

describe('config/ files', () => {
  it('default.toml is valid and states exactly the built-in defaults', () => {
    const config = parseConfig(read('default.toml'), 'config/default.toml')
    const fromFile = resolveNodeOptions(fileConfigToOptions(config), 'x')
    const builtIn = resolveNodeOptions({}, 'x')
    expect(fromFile).toEqual(builtIn)
    expect(daemonSettings(config)).toEqual(daemonSettings({}))
  })

  it('example-servers.toml is valid and turns into two upstream specs', () => {
    const config = parseConfig(read('example-servers.toml'), 'config/example-servers.toml')
    const servers = fileConfigToOptions(config).servers
    expect(servers?.map((s) => s.name)).toEqual(['memory', 'docs'])
    expect(servers?.[0]).toMatchObject({
      command: 'npx',
      env: { MEMORY_FILE_PATH: '/var/lib/cord/memory.jsonl' },
    })
    expect(servers?.[1]).toMatchObject({
      url: 'http://127.0.0.1:3001/mcp',
      headers: { Authorization: 'Bearer change-me' },
    })
  })

  it('example-lan.toml is valid', () => {
    const config = parseConfig(read('example-lan.toml'), 'config/example-lan.toml')
    expect(config.demo_tools).toBe(false)
    expect(config.bootstrap).toHaveLength(2)
  })
})

describe('config/example-hardened.toml', () => {
  it('is valid: private allow list, default deny, rules, tight limits', () => {
    const config = parseConfig(read('example-hardened.toml'), 'config/example-hardened.toml')
    const options = resolveNodeOptions(fileConfigToOptions(config), 'x')
    expect(options.access.default).toBe('deny')
    expect(options.access.allowPeers).toHaveLength(2)
    expect(options.access.rules[0]).toMatchObject({ tools: ['db__*'], action: 'allow' })
    expect(options.limits).toMatchObject({ ratePerSec: 20, maxConcurrentPerPeer: 8 })
    expect(options.maxCallTimeout).toBe(120_000)
  })
})
