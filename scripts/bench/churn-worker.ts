/**
 * One provider process of the churn benchmark (scripts/bench/churn.ts forks several and kills them):
 * it starts the nodes the coordinator asks for, each serving the same read-only tool, and answers
 * over the IPC channel. Ephemeral nodes: a replacement process has fresh identities.
 */
import { type CordNode, createNode } from '../../dist/index.js'

/** A request from the coordinator. */
export type ChurnRequest =
  | { id: number; op: 'spawn'; count: number; prefix: string; tool: string; bootstrap: string[] }
  | { id: number; op: 'stop' }

const nodes: CordNode[] = []

async function spawn(req: Extract<ChurnRequest, { op: 'spawn' }>): Promise<string[]> {
  const started = await Promise.all(
    Array.from({ length: req.count }, async (_, i) => {
      const node = await createNode({
        alias: `${req.prefix}-${i}`,
        bootstrap: req.bootstrap,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        logLevel: 'silent',
      })
      node.registerTool(
        req.tool,
        { description: 'a read-only lookup', annotations: { readOnlyHint: true } },
        () => ({ content: [{ type: 'text', text: node.peerId }] }),
      )
      await node.start()
      nodes.push(node)
      return node.peerId
    }),
  )
  return started
}

async function handle(req: ChurnRequest): Promise<unknown> {
  if (req.op === 'spawn') return spawn(req)
  await Promise.allSettled(nodes.map((n) => n.stop()))
  return true
}

process.on('message', (req: ChurnRequest) => {
  handle(req).then(
    (result) => process.send?.({ id: req.id, result }),
    (err: Error) => process.send?.({ id: req.id, error: err.message }),
  )
})
process.on('disconnect', () => process.exit(0))
