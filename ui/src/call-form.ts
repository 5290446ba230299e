/**
 * The call form: pick a tool of the mesh catalog (and, optionally, one of its providers), write its
 * arguments as JSON, call it through the daemon (`POST /ui/api/call`) and see the result or the error.
 */
import { byId, el, shortId } from './dom.ts'
import type { State, Tool } from './types.ts'

let catalog: Tool[] = []
let catalogKey = ''

/** Wires the form; call once. */
export function setupCallForm(): void {
  const form = byId<HTMLFormElement>('call')
  const tool = byId<HTMLSelectElement>('call-tool')
  tool.addEventListener('change', () => {
    fillTargets()
    byId<HTMLTextAreaElement>('call-args').value = skeleton(selected())
  })
  form.addEventListener('submit', (evt) => {
    evt.preventDefault()
    void submit()
  })
}

/** Takes the catalog of a new snapshot; keeps what the user chose and wrote. */
export function updateCallForm(state: State): void {
  const key = JSON.stringify(state.catalog.map((t) => [t.name, t.providers.map((p) => [p.peerId, p.state])]))
  if (key === catalogKey) return
  catalogKey = key
  catalog = state.catalog
  const tool = byId<HTMLSelectElement>('call-tool')
  const before = tool.value
  tool.replaceChildren(...catalog.map((t) => el('option', t.name, { value: t.name })))
  if (catalog.some((t) => t.name === before)) tool.value = before
  fillTargets()
  const args = byId<HTMLTextAreaElement>('call-args')
  if (args.value.trim() === '' || before !== tool.value) args.value = skeleton(selected())
}

function selected(): Tool | undefined {
  const name = byId<HTMLSelectElement>('call-tool').value
  return catalog.find((t) => t.name === name)
}

/** The providers of the chosen tool, after "any live provider". */
function fillTargets(): void {
  const target = byId<HTMLSelectElement>('call-target')
  const before = target.value
  const options = [el('option', 'any live provider', { value: '' })]
  for (const p of selected()?.providers ?? [])
    options.push(el('option', `${p.alias ?? shortId(p.peerId)} (${p.state})`, { value: p.peerId }))
  target.replaceChildren(...options)
  if (options.some((o) => o.value === before)) target.value = before
}

/** `{"text": ""}`: the tool's properties, each with an empty value of its type. */
function skeleton(tool: Tool | undefined): string {
  const props = tool?.inputSchema.properties ?? {}
  const empty: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(props)) {
    const t = schema.type
    empty[name] =
      t === 'number' || t === 'integer'
        ? 0
        : t === 'boolean'
          ? false
          : t === 'object'
            ? {}
            : t === 'array'
              ? []
              : ''
  }
  return JSON.stringify(empty)
}

async function submit(): Promise<void> {
  const argsBox = byId<HTMLTextAreaElement>('call-args')
  const output = byId('call-output')
  const tool = byId<HTMLSelectElement>('call-tool').value
  const target = byId<HTMLSelectElement>('call-target').value
  let args: unknown
  try {
    args = argsBox.value.trim() === '' ? {} : JSON.parse(argsBox.value)
    if (typeof args !== 'object' || args == null || Array.isArray(args))
      throw new Error('expected a JSON object, such as {"text": "hi"}')
    argsBox.removeAttribute('aria-invalid')
  } catch (err) {
    argsBox.setAttribute('aria-invalid', 'true')
    return show(output, 'error', `The arguments are not a JSON object: ${(err as Error).message}`)
  }
  if (tool === '') return show(output, 'error', 'Choose a tool first.')
  show(output, 'pending', `Calling ${tool}…`)
  try {
    const res = await fetch('/ui/api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tool, args, ...(target !== '' ? { target } : {}) }),
    })
    const body = (await res.json()) as { result?: CallResult; error?: { name: string; message: string } }
    if (body.error != null) return show(output, 'error', `${body.error.name}: ${body.error.message}`)
    const result = body.result!
    const text = resultText(result)
    show(
      output,
      result.isError === true ? 'error' : 'ok',
      result.isError === true ? `The tool reported an error:\n${text}` : text,
    )
  } catch (err) {
    show(output, 'error', `The daemon did not answer: ${(err as Error).message}`)
  }
}

interface CallResult {
  content?: Array<{ type: string; text?: string }>
  structuredContent?: unknown
  isError?: boolean
  _meta?: Record<string, unknown>
}

/** The result's text items, one per line; any other content as JSON. */
function resultText(result: CallResult): string {
  const parts = (result.content ?? []).map((c) =>
    c.type === 'text' && c.text != null ? c.text : JSON.stringify(c),
  )
  if (parts.length === 0 && result.structuredContent != null)
    return JSON.stringify(result.structuredContent, null, 2)
  const by = result._meta?.['cord/servedBy']
  return `${parts.join('\n')}${typeof by === 'string' ? `\n\n(served by ${shortId(by)})` : ''}`
}

function show(output: HTMLElement, kind: 'ok' | 'error' | 'pending', text: string): void {
  output.textContent = text
  output.className = kind
}
