import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { NodeStoppingError } from '../../../src/errors.ts'
import { DEMO_TOOL_NAMES, registerDemoTools } from '../../../src/registry/demo-tools.ts'
import { ToolRegistry } from '../../../src/registry/registry.ts'

const ctx = () => ({ signal: new AbortController().signal, caller: 'test' })
const textSchema = { type: 'object' as const, properties: { text: { type: 'string' } }, required: ['text'] }

describe('ToolRegistry', () => {
  it('checks arguments against the schema before the handler runs', async () => {
    const registry = new ToolRegistry()
    let ran = 0
    registry.register('t', { inputSchema: textSchema }, (args) => {
      ran++
      return { content: [{ type: 'text', text: String(args.text) }] }
    })
    await expect(registry.call('t', { text: 1 }, ctx())).rejects.toMatchObject({
      name: 'InvalidToolArgumentsError',
      message: expect.stringMatching(/text must be string/),
    })
    await expect(registry.call('t', {}, ctx())).rejects.toMatchObject({ name: 'InvalidToolArgumentsError' })
    await expect(registry.call('nope', {}, ctx())).rejects.toMatchObject({ name: 'UnknownToolError' })
    expect(ran).toBe(0)
    expect(await registry.call('t', { text: 'ok' }, ctx())).toEqual({
      content: [{ type: 'text', text: 'ok' }],
    })
    expect(ran).toBe(1)
  })

  it('accepts a zod schema, refuses bad names, duplicates and non-object schemas', async () => {
    const registry = new ToolRegistry()
    registry.register('z', { inputSchema: z.object({ n: z.number().int() }) }, (args) => ({
      content: [{ type: 'text', text: String(args.n) }],
    }))
    expect(registry.list()[0]?.inputSchema).toMatchObject({
      type: 'object',
      properties: { n: { type: 'integer' } },
    })
    await expect(registry.call('z', { n: 1.5 }, ctx())).rejects.toMatchObject({
      name: 'InvalidToolArgumentsError',
    })
    expect(() => registry.register('z', {}, () => ({ content: [] }))).toThrow(
      expect.objectContaining({ name: 'DuplicateToolError' }),
    )
    expect(() => registry.register('bad name', {}, () => ({ content: [] }))).toThrow(
      expect.objectContaining({ name: 'InvalidToolDefinitionError' }),
    )
    expect(() =>
      registry.register('s', { inputSchema: { type: 'string' } as never }, () => ({ content: [] })),
    ).toThrow(expect.objectContaining({ name: 'InvalidToolDefinitionError' }))
  })

  it('turns a throwing handler or a malformed result into isError, as MCP prescribes', async () => {
    const registry = new ToolRegistry()
    registry.register('boom', {}, () => {
      throw new Error('disk full')
    })
    registry.register('junk', {}, () => 42 as never)
    expect(await registry.call('boom', {}, ctx())).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'disk full' }],
    })
    expect(await registry.call('junk', {}, ctx())).toMatchObject({ isError: true })
  })

  it('announces changes and removes a tool with the function register returned', () => {
    const registry = new ToolRegistry()
    let changes = 0
    registry.addEventListener('change', () => changes++)
    const remove = registry.register('a', {}, () => ({ content: [] }))
    registry.register('b', {}, () => ({ content: [] }))
    expect(registry.list().map((t) => t.name)).toEqual(['a', 'b'])
    remove()
    remove()
    expect(registry.list().map((t) => t.name)).toEqual(['b'])
    expect(changes).toBe(3)
  })

  it('drains: a short call finishes, a long one is aborted, new calls are refused', async () => {
    const registry = new ToolRegistry()
    let aborted = false
    let finishShort!: () => void
    const shortRunning = new Promise<void>((started) => {
      registry.register('short', {}, async (_args, { signal }) => {
        await new Promise<void>((finish) => {
          finishShort = finish
          started()
        })
        return { content: [{ type: 'text', text: signal.aborted ? 'aborted' : 'done' }] }
      })
    })
    registry.register(
      'long',
      {},
      (_args, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true
            reject(signal.reason)
          })
        }),
    )
    const short = registry.call('short', {}, ctx())
    // caught at once: it is rejected while drain() is still being awaited
    const long = registry.call('long', {}, ctx()).then(
      () => 'resolved',
      (err: unknown) => err,
    )
    await shortRunning
    expect(registry.activeCalls).toBe(2)
    const drained = registry.drain(100, new NodeStoppingError('stopping'))
    finishShort() // within the grace period, and before anything is aborted
    await drained
    expect(await short).toMatchObject({ content: [{ text: 'done' }] })
    expect(await long).toBeInstanceOf(NodeStoppingError)
    expect(aborted).toBe(true)
    expect(registry.activeCalls).toBe(0)
    await expect(registry.call('short', {}, ctx())).rejects.toMatchObject({ name: 'NodeStoppingError' })
  })
})

describe('demo tools', () => {
  it('registers exactly the names DEMO_TOOL_NAMES lists (the DHT advertiser holds those back)', () => {
    const registry = new ToolRegistry()
    const info = { peerId: 'p', alias: 'a', version: '0', uptimeMs: 0, addrs: [], connections: 0, tools: 4 }
    const remove = registerDemoTools(registry, () => info)
    expect(
      registry
        .list()
        .map((t) => t.name)
        .sort(),
    ).toEqual([...DEMO_TOOL_NAMES].sort())
    remove()
    expect(registry.list()).toEqual([])
  })
})
