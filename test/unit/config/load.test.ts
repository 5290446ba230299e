import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/load.ts'
import { ConfigError } from '../../../src/errors.ts'
import { createNode, type NodeOptions } from '../../../src/index.ts'
import { backoffDelay } from '../../../src/util/backoff.ts'

const parse = (text: string) => () => parseConfig(text, 'config.toml')

const P = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

/**
 * Values both entry points must refuse: the same setting written in config.toml (snake_case) and
 * given to createNode() (camelCase). `line` is where the file sets the offending field.
 */
const REFUSED: Array<{
  what: string
  toml: string
  line: number
  field: string
  api: NodeOptions
  option: string
  message: RegExp
}> = [
  {
    what: 'a heartbeat interval under 100 ms',
    toml: '[discovery]\nheartbeat_interval_ms = 50\n',
    line: 2,
    field: 'discovery.heartbeat_interval_ms',
    api: { discovery: { heartbeatIntervalMs: 50 } },
    option: 'discovery.heartbeatIntervalMs',
    message: />=100/,
  },
  {
    what: 'suspect_after not below dead_after',
    toml: 'alias = "a"\n[discovery]\nsuspect_after = 6\ndead_after = 3\n',
    line: 3,
    field: 'discovery.suspect_after',
    api: { discovery: { suspectAfter: 6, deadAfter: 3 } },
    option: 'discovery.suspectAfter',
    message: /must be smaller than discovery\.(dead_after|deadAfter)/,
  },
  {
    what: 'a server with both command and url',
    toml: '[[servers]]\nname = "x"\ncommand = "a"\nurl = "http://h/mcp"\n',
    line: 1,
    field: 'servers.0',
    api: { servers: [{ name: 'x', command: 'a', url: 'http://h/mcp' }] },
    option: 'servers.0',
    message: /not both or neither/,
  },
  {
    what: 'two servers of one name',
    toml: '[[servers]]\nname = "x"\ncommand = "a"\n\n[[servers]]\nname = "x"\ncommand = "b"\n',
    line: 6,
    field: 'servers.1.name',
    api: {
      servers: [
        { name: 'x', command: 'a' },
        { name: 'x', command: 'b' },
      ],
    },
    option: 'servers.1.name',
    message: /duplicate server name "x"/,
  },
  {
    what: 'a server URL that is not http(s)',
    toml: '[[servers]]\nname = "x"\nurl = "ftp://h/mcp"\n',
    line: 3,
    field: 'servers.0.url',
    api: { servers: [{ name: 'x', url: 'ftp://h/mcp' }] },
    option: 'servers.0.url',
    message: /http:\/\/ or https:\/\//,
  },
  {
    what: 'a bootstrap address without /p2p/',
    toml: 'bootstrap = ["/ip4/10.0.0.1/tcp/4001"]\n',
    line: 1,
    field: 'bootstrap.0',
    api: { bootstrap: ['/ip4/10.0.0.1/tcp/4001'] },
    option: 'bootstrap.0',
    message: /expected the full address ending in \/p2p\//,
  },
  {
    what: 'a frame limit of the wrong type',
    toml: '\n[mcp]\nmax_frame_bytes = "4MB"\n',
    line: 3,
    field: 'mcp.max_frame_bytes',
    api: { mcp: { maxFrameBytes: '4MB' as unknown as number } },
    option: 'mcp.maxFrameBytes',
    message: /expected number/,
  },
  {
    what: 'redial.min_ms above redial.max_ms',
    toml: '[redial]\nmax_ms = 1000\nmin_ms = 5000\n',
    line: 3,
    field: 'redial.min_ms',
    api: { redial: { minMs: 5000, maxMs: 1000 } },
    option: 'redial.minMs',
    message: /must not be larger than redial\.(max_ms|maxMs)/,
  },
  {
    what: 'an access rule with neither tools nor servers',
    toml: `[access]\ndefault = "deny"\n[[access.rules]]\npeers = ["${P}"]\naction = "allow"\n`,
    line: 3,
    field: 'access.rules.0',
    api: { access: { rules: [{ peers: [P], action: 'allow' }] } },
    option: 'access.rules.0',
    message: /a rule needs tools .* or servers/,
  },
  {
    what: 'a bad alias',
    toml: 'alias = "has space"\n',
    line: 1,
    field: 'alias',
    api: { alias: 'has space' },
    option: 'alias',
    message: /expected 1–32 characters/,
  },
  {
    what: 'a listen address with /p2p/',
    toml: `listen = ["/ip4/0.0.0.0/tcp/1/p2p/${P}"]\n`,
    line: 1,
    field: 'listen.0',
    api: { listen: [`/ip4/0.0.0.0/tcp/1/p2p/${P}`] },
    option: 'listen.0',
    message: /must not contain \/p2p\//,
  },
  {
    what: 'a negative relay data limit',
    toml: '[relay]\nserver = true\nmax_data_bytes = -1\n',
    line: 3,
    field: 'relay.max_data_bytes',
    api: { relay: { server: true, maxDataBytes: -1 } },
    option: 'relay.maxDataBytes',
    message: /greater than or equal to 0|>=0/,
  },
  {
    what: 'an unknown reachability',
    toml: '[nat]\nreachability = "sometimes"\n',
    line: 2,
    field: 'nat.reachability',
    api: { nat: { reachability: 'sometimes' as never } },
    option: 'nat.reachability',
    message: /"auto"\|"public"\|"private"|expected one of/,
  },
  {
    what: 'an announced address with a peer ID',
    toml: `[nat]\nannounce = ["/ip4/198.51.100.7/tcp/4001/p2p/${P}"]\n`,
    line: 2,
    field: 'nat.announce.0',
    api: { nat: { announce: [`/ip4/198.51.100.7/tcp/4001/p2p/${P}`] } },
    option: 'nat.announce.0',
    message: /must not contain \/p2p\//,
  },
  {
    what: 'an OTLP endpoint that is not an HTTP URL',
    toml: '[tracing]\notlp_endpoint = "collector:4317"\n',
    line: 2,
    field: 'tracing.otlp_endpoint',
    api: { tracing: { otlpEndpoint: 'collector:4317' } },
    option: 'tracing.otlpEndpoint',
    message: /OTLP\/HTTP traces endpoint/,
  },
]

async function refusal(run: () => unknown): Promise<Error> {
  try {
    await run()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a refusal')
}

describe('settings: config.toml and createNode() refuse the same values', () => {
  for (const c of REFUSED) {
    it(`refuses ${c.what}, naming the file, line and field, or the option`, async () => {
      const fromFile = await refusal(parse(c.toml))
      expect(fromFile).toBeInstanceOf(ConfigError)
      expect(fromFile.message).toContain('config.toml')
      expect(fromFile.message).toMatch(new RegExp(`line ${c.line}: ${c.field.replaceAll('.', '\\.')}: `))
      expect(fromFile.message).toMatch(c.message)
      const fromApi = await refusal(() => createNode({ ...c.api, logLevel: 'silent' }))
      expect(fromApi).toBeInstanceOf(ConfigError)
      expect(fromApi.name).toBe('ConfigError')
      expect(fromApi.message).toContain(`${c.option}: `)
      expect(fromApi.message).toMatch(c.message)
    })
  }
})

describe('config.toml', () => {
  it('names the line of a TOML syntax error, and unknown fields as the file wrote them', () => {
    expect(parse('listen = [')).toThrow(/config\.toml: not valid TOML at line 1/)
    expect(parse('lisen = ["/ip4/0.0.0.0/tcp/1"]\n')).toThrow(/line 1: unknown field "lisen"/)
    expect(parse('[mcp]\nmax_frame_bytez = 1\n')).toThrow(/line 2: mcp: unknown field "max_frame_bytez"/)
    // the API's camelCase is not a field name of a file
    expect(parse('[mcp]\nmaxFrameBytes = 1\n')).toThrow(/line 2: mcp: unknown field "maxFrameBytes"/)
    expect(parse('[control]\nlisten = "0.0.0.0:9000"\n')).toThrow(
      /line 2: control\.listen: expected a loopback host:port/,
    )
  })

  it('keeps the keys of env and headers as written', () => {
    const config = parseConfig(
      '[[servers]]\nname = "m"\ncommand = "npx"\nenv = { MEMORY_FILE_PATH = "/x", my_var = "y" }\n',
      'config.toml',
    )
    expect(config.servers[0]?.env).toEqual({ MEMORY_FILE_PATH: '/x', my_var: 'y' })
    expect(parse('[[servers]]\nname = "x"\ncommand = "a"\nenv = { A = 1 }\n')).toThrow(
      /line 4: servers\.0\.env\.A: /,
    )
  })

  it('applies every default to an empty file, and the file’s values over them', () => {
    const empty = parseConfig('', 'config.toml')
    expect(empty.mcp.callTimeoutMs).toBe(30_000)
    expect(empty.gateway.enabled).toBe(true)
    const config = parseConfig(
      'alias = "a"\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n[mcp]\ncall_timeout_ms = 5\n',
      'config.toml',
    )
    expect(config).toMatchObject({ alias: 'a', mcp: { callTimeoutMs: 5, maxFrameBytes: 4 * 1024 * 1024 } })
  })
})

describe('createNode() options', () => {
  it('refuses unknown options and the file’s snake_case names', async () => {
    expect((await refusal(() => createNode({ colour: 'red' } as NodeOptions))).message).toMatch(
      /unknown field "colour"/,
    )
    expect(
      (await refusal(() => createNode({ mcp: { max_frame_bytes: 1 } } as unknown as NodeOptions))).message,
    ).toMatch(/mcp: unknown field "max_frame_bytes"/)
    expect((await refusal(() => createNode({ dir: 42 } as unknown as NodeOptions))).message).toMatch(
      /dir: expected a non-empty string/,
    )
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
