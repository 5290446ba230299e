/**
 * The dashboard page: takes the daemon's snapshot from server-sent events (`/ui/api/events`, every
 * second) and draws it. Everything it needs is bundled: it works with no internet.
 */
import 'uplot/dist/uPlot.min.css'
import '../app.css'
import { setupCallForm, updateCallForm } from './call-form.ts'
import { renderCharts, resizeCharts } from './charts.ts'
import { byId } from './dom.ts'
import { renderGraph } from './graph.ts'
import { renderCatalog, renderPeers, renderSelf, renderServers } from './tables.ts'
import type { State } from './types.ts'

function render(state: State): void {
  const parts: Array<(s: State) => void> = [
    renderSelf,
    renderPeers,
    renderServers,
    renderCatalog,
    updateCallForm,
    renderGraph,
    renderCharts,
  ]
  for (const part of parts) {
    try {
      part(state)
    } catch (err) {
      console.error('dashboard: could not draw a part of the page', err)
    }
  }
  document.body.dataset.updated = String(state.time)
}

function status(text: string, kind: 'live' | 'down'): void {
  const el = byId('connection')
  el.textContent = text
  el.className = kind
}

/** Listens to the daemon; when the stream fails for good, says why (a session ended, the daemon stopped). */
function listen(): void {
  const events = new EventSource('/ui/api/events')
  events.addEventListener('state', (evt) => {
    status(`live · updated ${new Date().toLocaleTimeString()}`, 'live')
    render(JSON.parse((evt as MessageEvent<string>).data) as State)
  })
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.CLOSED) return status('reconnecting…', 'down')
    void fetch('/ui/api/state').then(
      (res) => {
        if (res.status === 401) status('Signed out: run `cord ui` for a new login link.', 'down')
        else {
          status('reconnecting…', 'down')
          setTimeout(listen, 2_000)
        }
      },
      () => {
        status('The daemon does not answer (stopped?). Retrying…', 'down')
        setTimeout(listen, 2_000)
      },
    )
  })
}

setupCallForm()
listen()
window.addEventListener('resize', resizeCharts)
