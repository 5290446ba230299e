/**
 * The mesh graph: this node and every known peer, with the connections they know of (this node's
 * own, and the `links` each peer names in its heartbeats). Laid out by d3-force, drawn as SVG; the
 * layout keeps its positions from one snapshot to the next and moves only when the graph changes.
 */
import {
  forceCenter,
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  type Simulation,
  type SimulationLinkDatum,
  type SimulationNodeDatum,
} from 'd3-force'
import { byId, shortId } from './dom.ts'
import type { State } from './types.ts'

interface GraphNode extends SimulationNodeDatum {
  id: string
  label: string
  state: string
  self: boolean
}

type GraphLink = SimulationLinkDatum<GraphNode> & { key: string }

const SVG = 'http://www.w3.org/2000/svg'
const WIDTH = 480
const HEIGHT = 300

const nodes = new Map<string, GraphNode>()
let links: GraphLink[] = []
let shape = ''
let simulation: Simulation<GraphNode, GraphLink> | undefined
let svg: SVGSVGElement | undefined

/** Takes a snapshot: updates states, and re-runs the layout when nodes or edges changed. */
export function renderGraph(state: State): void {
  svg ??= createSvg()
  const self = state.node.peerId
  const wanted = new Map<string, { label: string; state: string }>([
    [self, { label: state.node.alias, state: 'self' }],
  ])
  for (const p of state.peers) {
    if (p.state == null && !p.connected) continue // not a Cord node we heard, nor connected
    wanted.set(p.peerId, { label: p.alias ?? shortId(p.peerId), state: p.state ?? 'connected' })
  }
  const edges = new Map<string, [string, string]>()
  const add = (a: string, b: string): void => {
    if (a === b || !wanted.has(a) || !wanted.has(b)) return
    const [x, y] = a < b ? [a, b] : [b, a]
    edges.set(`${x} ${y}`, [x, y])
  }
  for (const id of state.node.links) add(self, id)
  // A dead peer's last heartbeat is stale: its links are not drawn (a live peer's own still are).
  for (const p of state.peers) if (p.state !== 'dead') for (const id of p.links ?? []) add(p.peerId, id)

  for (const id of nodes.keys()) if (!wanted.has(id)) nodes.delete(id)
  for (const [id, info] of wanted) {
    const known = nodes.get(id)
    if (known != null) Object.assign(known, info)
    else
      nodes.set(id, {
        id,
        ...info,
        self: id === self,
        x: WIDTH / 2 + (Math.random() - 0.5) * 50,
        y: HEIGHT / 2 + (Math.random() - 0.5) * 50,
      })
  }
  const nextShape = `${[...wanted.keys()].sort().join(',')}|${[...edges.keys()].sort().join(',')}`
  if (nextShape !== shape) {
    shape = nextShape
    links = [...edges].map(([key, [a, b]]) => ({ key, source: a, target: b }))
    relayout()
  }
  svg.setAttribute('aria-label', `Mesh graph: ${wanted.size} nodes, ${edges.size} known connections`)
  draw()
}

function createSvg(): SVGSVGElement {
  const s = document.createElementNS(SVG, 'svg')
  s.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
  s.setAttribute('role', 'img')
  byId('graph').append(s)
  return s
}

function relayout(): void {
  simulation?.stop()
  simulation = forceSimulation<GraphNode, GraphLink>([...nodes.values()])
    .force(
      'link',
      forceLink<GraphNode, GraphLink>(links)
        .id((n) => n.id)
        .distance(90),
    )
    .force('charge', forceManyBody().strength(-260))
    .force('center', forceCenter(WIDTH / 2, HEIGHT / 2))
    .force('collide', forceCollide(28))
    .alpha(0.8)
    .on('tick', draw)
}

const clamp = (v: number | undefined, max: number): number => Math.max(24, Math.min(max - 24, v ?? max / 2))

/** Draws the current positions. */
function draw(): void {
  if (svg == null) return
  const lines = links.map((l) => {
    const a = l.source as GraphNode
    const b = l.target as GraphNode
    const line = document.createElementNS(SVG, 'line')
    line.setAttribute('x1', String(clamp(a.x, WIDTH)))
    line.setAttribute('y1', String(clamp(a.y, HEIGHT)))
    line.setAttribute('x2', String(clamp(b.x, WIDTH)))
    line.setAttribute('y2', String(clamp(b.y, HEIGHT)))
    line.setAttribute('class', 'edge')
    return line
  })
  const dots = [...nodes.values()].map((n) => {
    const g = document.createElementNS(SVG, 'g')
    g.setAttribute('class', `node ${n.state}`)
    g.setAttribute('transform', `translate(${clamp(n.x, WIDTH)},${clamp(n.y, HEIGHT)})`)
    const circle = document.createElementNS(SVG, 'circle')
    circle.setAttribute('r', n.self ? '11' : '9')
    const title = document.createElementNS(SVG, 'title')
    title.textContent = `${n.label} (${n.state}) ${n.id}`
    const text = document.createElementNS(SVG, 'text')
    text.setAttribute('y', '24')
    text.setAttribute('text-anchor', 'middle')
    text.textContent = n.label
    g.append(circle, title, text)
    return g
  })
  svg.replaceChildren(...lines, ...dots)
}
